// The entry: the Inputs type and parseInputs, which assembles them from the parsers in inputs/.
import * as core from '@actions/core'
import type { PlannedMatrix } from './fanout/results.js'
import { REVIEW_EVENTS, type ReviewEventChoice } from './review/events.js'
import { SEVERITIES, type Severity } from './review/severity.js'
import {
  DEFAULT_CLAUDE_VERSION,
  MAX_TIMEOUT_MINUTES,
  parseClaudeArgs,
  parseClaudePath,
  parseClaudeVersion,
  parseModel,
  parseSessionId
} from './inputs/claude.js'
import { parseCandidates } from './inputs/explore.js'
import {
  checkPlanSource,
  checkTaskTemplate,
  parseMatrix,
  parseShardId,
  parseShardTasks
} from './inputs/fanout.js'
import { readPrompt, resolveWorkingDirectory } from './inputs/files.js'
import { parseTestsFirst } from './inputs/pair.js'
import { parseBranch, parseCommitAuthor, parseLabels, parsePrTitle } from './inputs/publish.js'
import { checkReviewerArgs, parseFailOn } from './inputs/review.js'
import {
  InputError,
  type InputReader,
  optionalString,
  parseAllowedBots,
  parseBoolean,
  parseChoice,
  parseInteger,
  parsePositiveNumber,
  parseSecret,
  parseToolRules,
  refusingNul,
  splitList
} from './inputs/values.js'

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

// What the tests of the inputs reach through the entry.
export {
  SEVERITIES,
  DEFAULT_CLAUDE_VERSION,
  parseClaudeArgs,
  InputError,
  type InputReader,
  splitList
}

/** GitHub refuses a `strategy.matrix` with more than 256 jobs. */
const MAX_SHARDS_LIMIT = 256

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

/** The action's inputs, read through @actions/core. */
export function readInputs(): Inputs {
  const read: InputReader = name => core.getInput(name)
  return parseInputs(read, process.env)
}
