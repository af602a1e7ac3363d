import * as core from '@actions/core'
import { readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { parse as shellParse } from 'shell-quote'
import { wideningArgument } from './agent/argv.js'
import { invalidBranchName } from './git/branch-name.js'
import { readMatrix, unfitTask, type PlannedMatrix } from './fanout/results.js'
import { DEFAULT_CANDIDATES, MAX_CANDIDATES } from './explore/candidates.js'
import { TASK_PLACEHOLDER } from './fanout/shard.js'
import { REVIEW_EVENTS, type ReviewEventChoice } from './review/events.js'
import { SEVERITIES, type Severity } from './review/severity.js'
import { DEFAULT_TEST_PATHS } from './pair/tests-first.js'

export const MODES = [
  'review',
  'write',
  'address',
  'pair',
  'plan',
  'shard',
  'collect',
  'explore',
  'run'
] as const
export type Mode = (typeof MODES)[number]

export { SEVERITIES, type Severity }

export { REVIEW_EVENTS }

/** The Claude Code release the action installs when `claude-version` is empty. */
export const DEFAULT_CLAUDE_VERSION = '2.1.197'

/** GitHub refuses a `strategy.matrix` with more than 256 jobs. */
export const MAX_SHARDS_LIMIT = 256

export interface Inputs {
  mode: Mode
  /** The prompt text, from `prompt` or read from `prompt-file`. */
  prompt: string | undefined
  /** `prompt-file` resolved against the working directory. */
  promptFile: string | undefined
  anthropicApiKey: string | undefined
  githubToken: string | undefined
  model: string | undefined
  /** undefined: the mode's own default rules. */
  allowedTools: string[] | undefined
  disallowedTools: string[]
  maxTurns: number
  maxBudgetUsd: number | undefined
  timeoutMinutes: number
  claudeArgs: string[]
  /** A path (absolute after resolution) or a bare command name looked up on PATH. */
  claudePath: string | undefined
  claudeVersion: string
  /** undefined: take it from the event. */
  prNumber: number | undefined
  /** Absolute and existing. */
  workingDirectory: string
  /**
   * `allowed-bots`: bots besides Tandem's own login whose events and reviews may start a run
   * (each still needs write permission), as `name[bot]` in lower case.
   */
  allowedBots: string[]

  // review
  blockingSeverity: Severity
  reviewEvent: ReviewEventChoice
  /** undefined: never fail the step on findings. */
  failOn: Severity | undefined
  maxInlineComments: number
  incremental: boolean

  // write / collect (verify-command also in address and pair)
  branch: string | undefined
  base: string | undefined
  commitMessage: string | undefined
  prTitle: string | undefined
  prBody: string | undefined
  labels: string[]
  draft: boolean
  allowWorkflowChanges: boolean
  review: boolean
  verifyCommand: string | undefined
  /** write/address/collect: who Tandem's commits are by; undefined = github-actions[bot]. */
  commitAuthor: { name: string; email: string } | undefined

  // pair
  maxRounds: number
  /** pair: no new round starts once the loop has spent this much in all. */
  pairBudgetUsd: number | undefined
  /** pair: a test writer first writes tests that must fail on the base. */
  testsFirst: boolean
  /** pair with tests-first: the files the test writer may change and the writer may not. */
  testPaths: string[]

  // address
  includeHumanComments: boolean
  /** A previous writer session to resume, when its session file is on this runner. */
  sessionId: string | undefined

  // plan / shard
  /** The raw `tasks` text: a list in `plan`, the matrix's JSON array in `shard`. */
  tasks: string | undefined
  /** `tasks` parsed as a JSON array of strings; set in `shard` mode only. */
  shardTasks: string[] | undefined
  files: string[]
  taskCommand: string | undefined
  shardSize: number
  maxShards: number
  /** Only the first N tasks; 0 = all. */
  canary: number
  shardId: string | undefined
  concurrency: number

  // collect
  /** The plan's matrix, parsed; undefined when the input is empty. */
  matrix: PlannedMatrix | undefined
  artifactPattern: string

  // explore
  candidates: number
  /** One hint per candidate, in order; fewer than `candidates` (or none) leaves the rest open. */
  approaches: string[]
}

/** A bad input value. The message names the input, quotes the value and says what was expected. */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

/** Like `core.getInput`: the value of an input, '' when unset. */
export type InputReader = (name: string) => string

// `Name <email>`, as git writes an identity. Split at the last '<' rather than matched with one
// regex: a lazy name group followed by `\s*<` took quadratic time (a 20,000-space value: 0.2 s).
function parseCommitAuthor(read: InputReader): { name: string; email: string } | undefined {
  const raw = optionalString(read, 'commit-author')
  if (raw === undefined) return undefined
  const open = raw.lastIndexOf('<')
  const name = raw.slice(0, Math.max(0, open)).trim()
  const email = raw.slice(open + 1, -1)
  if (
    open < 0 ||
    !raw.endsWith('>') ||
    name === '' ||
    /[<>\n]/.test(name) ||
    !/^[^<>\s]+$/.test(email) ||
    !email.slice(1, -1).includes('@')
  ) {
    throw invalid('commit-author', raw, 'a git identity such as "Tandem Bot <tandem@example.com>"')
  }
  return { name, email }
}

/** The most characters of a bad value an error quotes: a 1 MB value is not echoed whole. */
const QUOTED_CHARS = 200

/** A value as an error quotes it: JSON-quoted, cut after QUOTED_CHARS with its full length. */
export function quoteValue(value: string): string {
  if (value.length <= QUOTED_CHARS) return JSON.stringify(value)
  return `${JSON.stringify(`${value.slice(0, QUOTED_CHARS)}…`)} (${value.length} characters)`
}

/** A path built from a value, cut like quoteValue cuts the value. */
function shorten(text: string): string {
  return text.length <= QUOTED_CHARS ? text : `${text.slice(0, QUOTED_CHARS)}…`
}

function invalid(name: string, value: string, expected: string): InputError {
  return new InputError(`Input '${name}' has value ${quoteValue(value)}: expected ${expected}`)
}

/** Inputs whose value is never quoted, not even cut: a bad one is described instead. */
const SECRET_INPUTS = ['github-token', 'anthropic-api-key']

function invalidSecret(name: string, value: string, expected: string): InputError {
  return new InputError(
    `Input '${name}' has a value that is not shown (a secret of ${value.length} characters): expected ${expected}`
  )
}

/**
 * No input may hold a NUL byte: no process argument, environment variable or header can carry
 * one, so the value would fail far from here (the runner cannot pass one either).
 */
function refusingNul(read: InputReader): InputReader {
  return name => {
    const value = read(name)
    if (!value.includes('\0')) return value
    const expected = 'text without NUL bytes'
    throw SECRET_INPUTS.includes(name)
      ? invalidSecret(name, value, expected)
      : invalid(name, value, expected)
  }
}

// A token goes into an HTTP header or the CLI's environment: one word of printable characters.
function parseSecret(read: InputReader, name: string): string | undefined {
  const value = optionalString(read, name)
  // eslint-disable-next-line no-control-regex -- control characters are what a header refuses
  if (value !== undefined && /[\s\x00-\x1f\x7f]/.test(value)) {
    throw invalidSecret(
      name,
      value,
      'a single token without spaces, line breaks or control characters'
    )
  }
  return value
}

/**
 * Splits a list input on newlines and on commas. A comma inside (), [] or {} does not split,
 * so a tool rule such as `Bash(npm run lint, npm test)` or a glob such as `*.{ts,js}` stays whole.
 */
export function splitList(text: string): string[] {
  const items: string[] = []
  // Each line starts at depth 0, so one unbalanced bracket cannot swallow the rest of the list.
  for (const line of text.split(/\r?\n/)) {
    let depth = 0
    let current = ''
    for (const c of line) {
      if (c === '(' || c === '[' || c === '{') depth++
      else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1)
      if (c === ',' && depth === 0) {
        items.push(current)
        current = ''
      } else {
        current += c
      }
    }
    items.push(current)
  }
  return items.map(item => item.trim()).filter(item => item !== '')
}

/**
 * Prepares `claude-args` for shell-quote: escapes every `$` a shell would expand (shell-quote
 * would substitute it, and we promise to keep it literal), drops line continuations, and
 * escapes a `#` inside a word (a shell starts a comment only at a word's start; shell-quote
 * anywhere). A backslash-escaped `*` or `?` becomes a quoted one, which shell-quote does not
 * mistake for a glob.
 */
function protectForShellQuote(text: string): string | undefined {
  let out = ''
  let state: 'plain' | 'single' | 'double' | 'ansi' = 'plain'
  let wordStart = true
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i)
    const next = text.charAt(i + 1)
    switch (state) {
      case 'plain':
        if (c === '\\') {
          i++
          if (next === '\n') break
          out += next === '*' || next === '?' ? `"${next}"` : `\\${next}`
        } else if (c === "'") {
          state = 'single'
          out += c
        } else if (c === '"') {
          state = 'double'
          out += c
        } else if (c === '$' && next === "'") {
          state = 'ansi'
          out += "$'"
          i++
        } else if (c === '$') {
          out += '\\$'
        } else if (c === '#' && !wordStart) {
          out += '\\#'
        } else {
          out += c
        }
        wordStart = /\s/.test(c)
        break
      case 'single':
        if (c === "'") state = 'plain'
        out += c
        wordStart = false
        break
      case 'double':
        if (c === '\\') {
          i++
          if (next !== '\n') out += `\\${next}`
        } else if (c === '$') {
          out += '\\$'
        } else {
          if (c === '"') state = 'plain'
          out += c
        }
        wordStart = false
        break
      case 'ansi':
        if (c === '\\') {
          out += c + next
          i++
        } else {
          if (c === "'") state = 'plain'
          out += c
        }
        wordStart = false
        break
    }
  }
  return state === 'plain' ? out : undefined
}

/**
 * Splits `claude-args` into argv words the way a shell would (quotes, escapes) without ever
 * running a shell: anything a shell would treat as more than a word is refused rather than
 * passed on with a meaning the user did not intend.
 */
export function parseClaudeArgs(text: string): string[] {
  const expectedWords = 'command-line words, split like a shell splits them'
  if (text.trim() === '') return []
  const prepared = protectForShellQuote(text)
  if (prepared === undefined) {
    throw invalid('claude-args', text, `${expectedWords}, with every quote closed`)
  }
  const words: string[] = []
  for (const entry of shellParse(prepared)) {
    if (typeof entry === 'string') {
      words.push(entry)
    } else if ('comment' in entry) {
      throw invalid(
        'claude-args',
        text,
        `${expectedWords}; it contains a comment (#${entry.comment}): quote the '#'`
      )
    } else if (entry.op === 'glob') {
      throw invalid(
        'claude-args',
        text,
        `${expectedWords}; it contains the glob pattern ${JSON.stringify(entry.pattern)}: quote it, no shell expands it`
      )
    } else {
      throw invalid(
        'claude-args',
        text,
        `${expectedWords}; it contains the shell operator '${entry.op}': quote it, the arguments never go through a shell`
      )
    }
  }
  return words
}

function optionalString(read: InputReader, name: string): string | undefined {
  const value = read(name).trim()
  return value === '' ? undefined : value
}

const TRUE_VALUES = ['true', 'True', 'TRUE']
const FALSE_VALUES = ['false', 'False', 'FALSE']

// The YAML 1.2 core schema's spellings, as core.getBooleanInput accepts them.
function parseBoolean(read: InputReader, name: string, fallback: boolean): boolean {
  const raw = read(name).trim()
  if (raw === '') return fallback
  if (TRUE_VALUES.includes(raw)) return true
  if (FALSE_VALUES.includes(raw)) return false
  throw invalid(name, raw, 'true or false')
}

interface IntegerRange {
  min: number
  max?: number
  note?: string
}

function parseInteger(read: InputReader, name: string, range: IntegerRange): number | undefined {
  const raw = read(name).trim()
  if (raw === '') return undefined
  const value = Number(raw)
  const inRange = value >= range.min && (range.max === undefined || value <= range.max)
  // A regex rather than Number() alone: Number accepts '0x1f', '1e3' and ' '.
  if (/^\d+$/.test(raw) && Number.isSafeInteger(value) && inRange) return value
  const bounds =
    range.max === undefined
      ? `a whole number ≥ ${range.min}`
      : `a whole number from ${range.min} to ${range.max}`
  throw invalid(name, raw, range.note ? `${bounds} (${range.note})` : bounds)
}

function parsePositiveNumber(
  read: InputReader,
  name: string,
  max?: { value: number; note: string }
): number | undefined {
  const raw = read(name).trim()
  if (raw === '') return undefined
  const value = Number(raw)
  const inRange = value > 0 && (max === undefined || value <= max.value)
  if (/^(\d+(\.\d*)?|\.\d+)$/.test(raw) && Number.isFinite(value) && inRange) return value
  const bounds = max ? ` and at most ${max.value} (${max.note})` : ''
  throw invalid(name, raw, `a number greater than 0${bounds}, such as 5 or 0.5`)
}

/**
 * Node's timers wait at most 2^31-1 ms; a longer delay fires after 1 ms, which stopped every
 * session at once (timeout-minutes 40000).
 */
export const MAX_TIMEOUT_MINUTES = Math.floor((2 ** 31 - 1) / 60_000)

function parseChoice<T extends string>(
  read: InputReader,
  name: string,
  choices: readonly T[],
  fallback: T
): T {
  const raw = read(name).trim()
  if (raw === '') return fallback
  const value = raw.toLowerCase()
  const choice = choices.find(c => c === value)
  if (choice === undefined) throw invalid(name, raw, `one of ${choices.join(', ')}`)
  return choice
}

// A tool name (built-in, `mcp__server__tool`), optionally with a specifier in parentheses.
const TOOL_RULE = /^[A-Za-z][A-Za-z0-9_.:-]*(\(.*\))?$/s

function parseToolRules(read: InputReader, name: string): string[] {
  const rules = splitList(read(name))
  for (const rule of rules) {
    const opened = rule.split('(').length - 1
    const closed = rule.split(')').length - 1
    // Rules follow a variadic CLI flag: a word starting with '-' would be read as another flag
    // (`--tools=Bash` in disallowed-tools gave the reviewer a shell).
    if (opened !== closed || !TOOL_RULE.test(rule)) {
      throw invalid(
        name,
        rule,
        'a tool name or a permission rule with balanced parentheses, such as Edit or Bash(npm test)'
      )
    }
  }
  return rules
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

function resolveWorkingDirectory(read: InputReader, env: NodeJS.ProcessEnv): string {
  const workspace = env.GITHUB_WORKSPACE?.trim() || undefined
  const raw = read('working-directory').trim()
  if (raw === '') {
    const dir = path.resolve(workspace ?? process.cwd())
    if (!isDirectory(dir)) {
      throw new InputError(
        `Input 'working-directory' is empty and its default, $GITHUB_WORKSPACE ${JSON.stringify(dir)}, is not an existing directory`
      )
    }
    return dir
  }
  // Relative paths mean the same thing as a step's own `working-directory`: inside the workspace.
  const dir = path.resolve(workspace ?? process.cwd(), raw)
  if (!isDirectory(dir)) {
    throw invalid('working-directory', raw, `an existing directory (${shorten(dir)} is not one)`)
  }
  return dir
}

// A mode where the agent has nothing to do without a task.
function needsPrompt(mode: Mode, prNumber: number | undefined): boolean {
  if (mode === 'pair') return prNumber === undefined
  return mode === 'write' || mode === 'shard' || mode === 'run' || mode === 'explore'
}

function readPrompt(
  read: InputReader,
  mode: Mode,
  prNumber: number | undefined,
  workingDirectory: string
): { prompt: string | undefined; promptFile: string | undefined } {
  const prompt = optionalString(read, 'prompt')
  const rawFile = optionalString(read, 'prompt-file')
  if (prompt !== undefined && rawFile !== undefined) {
    throw new InputError(
      `Inputs 'prompt' and 'prompt-file' are both set (prompt-file ${quoteValue(rawFile)}): expected only one of them`
    )
  }
  if (rawFile !== undefined) {
    const promptFile = path.resolve(workingDirectory, rawFile)
    if (!isFile(promptFile)) {
      throw invalid('prompt-file', rawFile, `an existing file (${shorten(promptFile)} is not one)`)
    }
    const text = readFileSync(promptFile, 'utf8')
    if (text.trim() === '') {
      throw invalid('prompt-file', rawFile, `a file holding the prompt (${promptFile} is empty)`)
    }
    // A NUL byte means a binary file, and no process's stdin prompt should carry one.
    if (text.includes('\0')) {
      throw invalid('prompt-file', rawFile, `a text file (${promptFile} holds a NUL byte)`)
    }
    return { prompt: text, promptFile }
  }
  if (prompt === undefined && needsPrompt(mode, prNumber)) {
    const why = mode === 'pair' ? ` without 'pr-number'` : ''
    throw new InputError(
      `Inputs 'prompt' and 'prompt-file' are both empty: mode "${mode}"${why} expected one of them to give the task`
    )
  }
  return { prompt, promptFile: undefined }
}

/**
 * In shard mode the prompt is a template: each task's writer gets it with `{task}` replaced.
 * Without the placeholder every writer would get the same prompt and none would know its task.
 */
function checkTaskTemplate(
  prompt: string | undefined,
  promptFile: string | undefined,
  read: InputReader
): void {
  if (prompt === undefined || prompt.includes(TASK_PLACEHOLDER)) return
  const replaced = `which each task of the shard replaces (e.g. "Migrate ${TASK_PLACEHOLDER} to ESM")`
  const [name, value, expected] =
    promptFile !== undefined
      ? [
          'prompt-file',
          read('prompt-file').trim(),
          `a file holding a template with ${TASK_PLACEHOLDER}, ${replaced}; ${promptFile} has none`
        ]
      : ['prompt', prompt, `a template holding ${TASK_PLACEHOLDER}, ${replaced}`]
  throw new InputError(
    `Input '${name}' has value ${quoteValue(value)}: mode "shard" expected ${expected}`
  )
}

function parseClaudePath(read: InputReader, workingDirectory: string): string | undefined {
  const raw = optionalString(read, 'claude-path')
  if (raw === undefined) return undefined
  // A bare name is left to the PATH lookup, as a shell would do.
  if (!raw.includes('/') && !raw.includes('\\')) return raw
  const resolved = path.resolve(workingDirectory, raw)
  if (!isFile(resolved)) {
    throw invalid(
      'claude-path',
      raw,
      `an existing claude executable (${shorten(resolved)} is not a file)`
    )
  }
  return resolved
}

function parseClaudeVersion(read: InputReader): string {
  const raw = read('claude-version').trim()
  if (raw === '') return DEFAULT_CLAUDE_VERSION
  // It becomes part of an npm argument: refuse anything npm could read as an option or a URL.
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]*$/.test(raw)) {
    throw invalid(
      'claude-version',
      raw,
      'a version such as 2.1.197 or an npm dist-tag such as latest'
    )
  }
  return raw
}

// It becomes a CLI argument: a model id or alias (`opus`, `claude-opus-4-8[1m]`, a Bedrock ARN)
// is one word.
function parseModel(read: InputReader): string | undefined {
  const raw = optionalString(read, 'model')
  // eslint-disable-next-line no-control-regex -- a control character is never part of a model id
  if (raw !== undefined && (/[\s\x00-\x1f\x7f]/.test(raw) || raw.startsWith('-'))) {
    throw invalid(
      'model',
      raw,
      'a model name such as claude-sonnet-4-5 or an alias such as opus (one word, not starting with -)'
    )
  }
  return raw
}

// Checked here, before any agent runs: a bad `base` used to fail only at pulls.create, after the
// branch was pushed.
function parseBranch(read: InputReader, name: 'branch' | 'base'): string | undefined {
  const raw = optionalString(read, name)
  const bad = raw === undefined ? undefined : invalidBranchName(raw)
  if (bad) throw invalid(name, raw!, `a git branch name (${bad})`)
  return raw
}

/** GitHub refuses a longer title or label name with a 422 (after the branch is pushed). */
export const GITHUB_TITLE_CHARS = 256
export const GITHUB_LABEL_CHARS = 50

function parsePrTitle(read: InputReader): string | undefined {
  const raw = optionalString(read, 'pr-title')
  if (raw !== undefined && [...raw].length > GITHUB_TITLE_CHARS) {
    throw invalid(
      'pr-title',
      raw,
      `at most ${GITHUB_TITLE_CHARS} characters, GitHub's limit for a title`
    )
  }
  return raw
}

function parseLabels(read: InputReader): string[] {
  const labels = splitList(read('labels'))
  for (const label of labels) {
    if ([...label].length > GITHUB_LABEL_CHARS) {
      throw invalid(
        'labels',
        label,
        `label names of at most ${GITHUB_LABEL_CHARS} characters, GitHub's limit, one per line or comma-separated`
      )
    }
  }
  return labels
}

function parseFailOn(read: InputReader): Severity | undefined {
  const value = parseChoice(read, 'fail-on', [...SEVERITIES, 'none'], 'none')
  return value === 'none' ? undefined : value
}

// It becomes a CLI argument and part of a file path: only the UUIDs the CLI itself hands out.
function parseSessionId(read: InputReader): string | undefined {
  const raw = optionalString(read, 'session-id')
  if (raw === undefined) return undefined
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(raw)) {
    throw invalid(
      'session-id',
      raw,
      "a Claude Code session id, a UUID such as 2a905a19-a645-4dd4-8ea7-586adf94a4b0 (the 'session-id' output of an earlier step)"
    )
  }
  return raw.toLowerCase()
}

function parseShardTasks(raw: string | undefined): string[] {
  const expected = "a JSON array of task strings, as the plan mode's matrix hands it"
  if (raw === undefined) {
    throw new InputError(`Input 'tasks' is empty: mode "shard" expected ${expected}`)
  }
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw invalid('tasks', raw, expected)
  }
  if (!Array.isArray(value) || !value.every((t): t is string => typeof t === 'string')) {
    throw invalid('tasks', raw, expected)
  }
  const unfit = unfitTask(value)
  if (unfit !== undefined) {
    throw invalid(
      'tasks',
      raw,
      `${expected}, none empty or holding a control character (${JSON.stringify(unfit)})`
    )
  }
  return value
}

/**
 * Bot logins, `[bot]` suffix optional: a GitHub login is letters, digits and hyphens (not
 * first), at most 39 characters. Kept as `name[bot]` in lower case, as GitHub's events name bots.
 */
function parseAllowedBots(read: InputReader): string[] {
  const bots: string[] = []
  for (const item of splitList(read('allowed-bots'))) {
    const name = item.replace(/\[bot\]$/i, '')
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/.test(name)) {
      throw invalid(
        'allowed-bots',
        item,
        'bot logins such as dependabot[bot] or renovate, one per line or comma-separated: ' +
          'letters, digits and hyphens (not first), at most 39 characters, [bot] optional'
      )
    }
    bots.push(`${name.toLowerCase()}[bot]`)
  }
  return [...new Set(bots)]
}

function parseShardId(read: InputReader, mode: Mode): string | undefined {
  const raw = optionalString(read, 'shard-id')
  if (raw === undefined) {
    if (mode === 'shard') {
      throw new InputError(
        `Input 'shard-id' is empty: mode "shard" expected the shard's id from the matrix`
      )
    }
    return undefined
  }
  // It names the shard's artifact, whose name may not hold characters such as '/' or ':'.
  if (!/^[A-Za-z0-9._-]+$/.test(raw)) {
    throw invalid('shard-id', raw, "letters, digits, '.', '_' or '-' only")
  }
  return raw
}

/**
 * `claude-args` reach the reviewer too, whose whole point is that it cannot write or run
 * anything: there they may only narrow (model, limits, deny rules), never add.
 */
function checkReviewerArgs(args: string[], mode: Mode): void {
  const widening = wideningArgument(args)
  if (widening === undefined) return
  throw new InputError(
    `Input 'claude-args' has value ${quoteValue(args.join(' '))}: mode "${mode}" runs the ` +
      `read-only reviewer, and '${widening}' could give it tools, permissions, settings, MCP ` +
      'servers, directories or setting sources; expected only flags that narrow it ' +
      '(--model, --fallback-model, --effort, --append-system-prompt, --disallowedTools, ' +
      '--max-turns, --max-budget-usd, --betas)'
  )
}

function parseMatrix(read: InputReader): PlannedMatrix | undefined {
  const raw = optionalString(read, 'matrix')
  if (raw === undefined) return undefined
  const matrix = readMatrix(raw)
  if (matrix === undefined) {
    throw invalid(
      'matrix',
      raw,
      'the plan mode\'s matrix output: {"include":[{"shard":1,"tasks":["…"]},…]}'
    )
  }
  return matrix
}

// 'a' and 'b'; 'a', 'b' and 'c'
function quoteNames(names: string[]): string {
  const quoted = names.map(n => `'${n}'`)
  const last = quoted.pop()
  return quoted.length === 0 ? (last ?? '') : `${quoted.join(', ')} and ${last}`
}

function checkPlanSource(
  tasks: string | undefined,
  files: string[],
  taskCommand: string | undefined
): void {
  const given = [
    tasks !== undefined && 'tasks',
    files.length > 0 && 'files',
    taskCommand !== undefined && 'task-command'
  ].filter((name): name is string => typeof name === 'string')
  if (given.length === 0) {
    throw new InputError(
      `Inputs 'tasks', 'files' and 'task-command' are all empty: mode "plan" expected exactly one of them`
    )
  }
  if (given.length > 1) {
    throw new InputError(
      `Inputs ${quoteNames(given)} are ${given.length === 2 ? 'both' : 'all'} set: mode "plan" expected exactly one of 'tasks', 'files' or 'task-command'`
    )
  }
}

/**
 * Reads, parses and validates every input. Throws an InputError at the first bad value, before
 * anything has run or been posted.
 */
export function parseInputs(readRaw: InputReader, env: NodeJS.ProcessEnv = process.env): Inputs {
  const read = refusingNul(readRaw)
  const mode = parseChoice(read, 'mode', MODES, 'review')
  const workingDirectory = resolveWorkingDirectory(read, env)
  const prNumber = parseInteger(read, 'pr-number', { min: 1 })
  const { prompt, promptFile } = readPrompt(read, mode, prNumber, workingDirectory)
  if (mode === 'shard') checkTaskTemplate(prompt, promptFile, read)

  const allowedTools = parseToolRules(read, 'allowed-tools')
  const maxShards = parseInteger(read, 'max-shards', {
    min: 1,
    max: MAX_SHARDS_LIMIT,
    note: "GitHub's matrix limit"
  })

  const tasks = optionalString(read, 'tasks')
  const files = splitList(read('files'))
  const taskCommand = optionalString(read, 'task-command')
  if (mode === 'plan') checkPlanSource(tasks, files, taskCommand)
  const shardTasks = mode === 'shard' ? parseShardTasks(tasks) : undefined
  const review = parseBoolean(read, 'review', false)
  const claudeArgs = parseClaudeArgs(read('claude-args'))
  if (mode === 'review' || mode === 'pair' || mode === 'explore' || (mode === 'write' && review)) {
    checkReviewerArgs(claudeArgs, mode)
  }

  return {
    mode,
    prompt,
    promptFile,
    anthropicApiKey: parseSecret(read, 'anthropic-api-key'),
    githubToken: parseSecret(read, 'github-token'),
    model: parseModel(read),
    allowedTools: allowedTools.length > 0 ? allowedTools : undefined,
    disallowedTools: parseToolRules(read, 'disallowed-tools'),
    maxTurns: parseInteger(read, 'max-turns', { min: 1 }) ?? 30,
    maxBudgetUsd: parsePositiveNumber(read, 'max-budget-usd'),
    timeoutMinutes:
      parsePositiveNumber(read, 'timeout-minutes', {
        value: MAX_TIMEOUT_MINUTES,
        note: 'the longest a timer can wait'
      }) ?? 30,
    claudeArgs,
    claudePath: parseClaudePath(read, workingDirectory),
    claudeVersion: parseClaudeVersion(read),
    prNumber,
    workingDirectory,
    allowedBots: parseAllowedBots(read),

    blockingSeverity: parseChoice(read, 'blocking-severity', SEVERITIES, 'major'),
    reviewEvent: parseChoice(read, 'review-event', REVIEW_EVENTS, 'auto'),
    failOn: parseFailOn(read),
    maxInlineComments: parseInteger(read, 'max-inline-comments', { min: 0 }) ?? 30,
    incremental: parseBoolean(read, 'incremental', true),

    branch: parseBranch(read, 'branch'),
    base: parseBranch(read, 'base'),
    commitMessage: optionalString(read, 'commit-message'),
    prTitle: parsePrTitle(read),
    prBody: optionalString(read, 'pr-body'),
    labels: parseLabels(read),
    draft: parseBoolean(read, 'draft', false),
    allowWorkflowChanges: parseBoolean(read, 'allow-workflow-changes', false),
    review,
    verifyCommand: optionalString(read, 'verify-command'),

    maxRounds: parseInteger(read, 'max-rounds', { min: 1 }) ?? 3,
    pairBudgetUsd: parsePositiveNumber(read, 'pair-budget-usd'),
    ...parseTestsFirst(read, mode, prNumber),

    includeHumanComments: parseBoolean(read, 'include-human-comments', false),
    commitAuthor: parseCommitAuthor(read),
    sessionId: parseSessionId(read),

    tasks,
    shardTasks,
    files,
    taskCommand,
    shardSize: parseInteger(read, 'shard-size', { min: 1 }) ?? 10,
    maxShards: maxShards ?? MAX_SHARDS_LIMIT,
    canary: parseInteger(read, 'canary', { min: 0 }) ?? 0,
    shardId: parseShardId(read, mode),
    concurrency: parseInteger(read, 'concurrency', { min: 1 }) ?? 2,

    matrix: parseMatrix(read),
    artifactPattern: optionalString(read, 'artifact-pattern') ?? 'tandem-shard-*',

    ...parseCandidates(read)
  }
}

/** `candidates` and `approaches`: with approaches and no count, one candidate per approach. */
function parseCandidates(read: InputReader): { candidates: number; approaches: string[] } {
  const approaches = read('approaches')
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(line => line !== '')
  const candidates =
    parseInteger(read, 'candidates', {
      min: 1,
      max: MAX_CANDIDATES,
      note: 'more parallel writers on one task stop paying for themselves'
    }) ?? (approaches.length > 0 ? Math.min(approaches.length, MAX_CANDIDATES) : DEFAULT_CANDIDATES)
  if (approaches.length > candidates) {
    throw new InputError(
      `Input 'approaches' has ${approaches.length} lines: expected at most one per candidate ` +
        `(candidates is ${candidates})`
    )
  }
  return { candidates, approaches }
}

/** `tests-first` and `test-paths` (pair): tests that fail first need a check that runs them. */
function parseTestsFirst(
  read: InputReader,
  mode: Mode,
  prNumber: number | undefined
): { testsFirst: boolean; testPaths: string[] } {
  const testsFirst = parseBoolean(read, 'tests-first', false)
  const given = splitList(read('test-paths'))
  if (testsFirst && mode === 'pair') {
    if (optionalString(read, 'verify-command') === undefined) {
      throw new InputError(
        "Input 'tests-first' is true and 'verify-command' is empty: expected the command that " +
          'runs the tests (it must fail before the change and pass after it)'
      )
    }
    if (prNumber !== undefined) {
      throw new InputError(
        `Input 'tests-first' is true and 'pr-number' is ${prNumber}: expected no pr-number ` +
          '(tests come first, before the writer opens the pull request)'
      )
    }
  }
  return { testsFirst, testPaths: given.length > 0 ? given : [...DEFAULT_TEST_PATHS] }
}

/** The action's inputs, read through @actions/core. */
export function readInputs(): Inputs {
  const read: InputReader = name => core.getInput(name)
  return parseInputs(read, process.env)
}
