import * as core from '@actions/core'
import * as glob from '@actions/glob'
import { spawn } from 'node:child_process'
import { readdir, realpath } from 'node:fs/promises'
import path from 'node:path'
import { formatDuration } from '../agent/summary.js'
import { git } from '../git/git.js'
import { logUntrusted } from '../github/emit.js'
import { tailOutput } from '../write/verify.js'

/** The lines of `text` as tasks: trimmed, blank lines and repeats dropped, first one kept. */
export function tasksFromLines(text: string): string[] {
  const tasks = new Set<string>()
  for (const line of text.split(/\r?\n/)) {
    const task = line.trim()
    if (task !== '') tasks.add(task)
  }
  return [...tasks]
}

/**
 * Orders paths by their UTF-8 bytes, as git does, so the plan is the same on every machine and
 * locale. JavaScript's `<` compares UTF-16 units, which puts U+E000–U+FFFF after the characters
 * beyond U+FFFF; shifting the surrogates above them restores code point (= byte) order.
 */
export function byUtf8Bytes(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800 && y >= 0xd800) {
      x = x < 0xe000 ? x + 0x2000 : x - 0x800
      y = y < 0xe000 ? y + 0x2000 : y - 0x800
    }
    return x - y
  }
  return a.length - b.length
}

// @actions/glob reads `{a,b}` literally (it runs minimatch with `nobrace`).
const BRACES = /\{[^{}]*,[^{}]*\}/

/**
 * The files that `patterns` (@actions/glob syntax: `*`, `**`, `?`, `[…]`, `!` to exclude, one
 * per entry) match under `root`, as tasks: paths relative to `root` with '/' separators, in
 * byte order, each once. Left out: what is not a regular file (symlinks too: a link's change
 * lands in its target, which is a task of its own or outside the checkout), what is reached
 * through a symlinked directory, anything under a `.git` directory, anything git ignores, and
 * anything outside `root`. Relative patterns are relative to `root`, not to the process's
 * directory as @actions/glob would take them.
 */
export async function tasksFromGlobs(patterns: string[], root: string): Promise<string[]> {
  const globber = await glob.create((await rootedPatterns(patterns, root)).join('\n'), GLOB_OPTIONS)
  const [matched, ignored] = await Promise.all([globber.glob(), ignoredByGit(root)])
  const { candidates, left } = sortOut(matched, root, ignored)
  const { files, throughLink, notFile } = await regularFiles(root, candidates)
  const dropped = left.outside + left.gitDir + left.ignored + throughLink + notFile
  core.info(
    `${matched.length} paths matched, ${files.length} tasks` +
      (dropped > 0
        ? ` (left out: ${left.ignored} ignored by git, ${notFile} not regular files, ${throughLink} behind a symlinked directory, ${left.gitDir} under .git/, ${left.outside} outside the working directory)`
        : '')
  )
  return files.sort(byUtf8Bytes)
}

/** The patterns rooted at `root`, each checked on its own first, so an error can name it. */
async function rootedPatterns(patterns: string[], root: string): Promise<string[]> {
  const lines = patterns.map(p => p.trim()).filter(p => p !== '' && !p.startsWith('#'))
  const rooted: string[] = []
  for (const pattern of lines) {
    if (BRACES.test(pattern)) {
      core.warning(
        `Input 'files' pattern ${JSON.stringify(pattern)} has braces, which @actions/glob does not expand: write one pattern per line instead`
      )
    }
    const line = rootedPattern(pattern, root)
    try {
      await glob.create(line, GLOB_OPTIONS)
    } catch (error) {
      throw new Error(
        `Input 'files' has an unusable pattern ${JSON.stringify(pattern)}: ${error instanceof Error ? error.message : String(error)}`
      )
    }
    rooted.push(line)
  }
  return rooted
}

/** The matches as tasks relative to `root`, each once, without what is never a task. */
function sortOut(
  matched: string[],
  root: string,
  ignored: (task: string) => boolean
): { candidates: string[]; left: { outside: number; gitDir: number; ignored: number } } {
  const left = { outside: 0, gitDir: 0, ignored: 0 }
  const candidates = new Set<string>()
  for (const file of matched) {
    const relative = path.relative(root, file)
    // An absolute pattern or `~/` can point anywhere.
    if (
      relative === '' ||
      relative === '..' ||
      relative.startsWith(`..${path.sep}`) ||
      path.isAbsolute(relative)
    ) {
      left.outside++
      continue
    }
    const task = relative.split(path.sep).join('/')
    if (task.split('/').includes('.git')) left.gitDir++
    else if (ignored(task)) left.ignored++
    else candidates.add(task)
  }
  return { candidates: [...candidates], left }
}

const GLOB_OPTIONS: glob.GlobOptions = { matchDirectories: false, followSymbolicLinks: false }

/**
 * `pattern` rooted at `root`, which is matched literally (escaped): a relative pattern below it,
 * and an absolute one that starts with it (`${{ github.workspace }}/src/**`) too, whatever
 * glob characters the root's own path holds.
 */
function rootedPattern(pattern: string, root: string): string {
  const bangs = /^(?:!\s*)*/.exec(pattern)![0]
  const negations = bangs.replace(/\s/g, '')
  const base = path.resolve(root)
  let rest = pattern.slice(bangs.length)
  if (rest === base || rest.startsWith(`${base}/`)) rest = rest.slice(base.length + 1)
  else if (path.isAbsolute(rest) || rest === '~' || rest.startsWith('~/')) return pattern
  if (rest === '.') rest = ''
  while (rest.startsWith('./')) rest = rest.slice(2)
  const escaped = globEscape(base)
  return `${negations}${rest === '' ? escaped : `${escaped.replace(/\/$/, '')}/${rest}`}`
}

// @actions/glob's own escaping (Pattern.globEscape, not exported), for POSIX paths.
function globEscape(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/(\[)(?=[^/]+\])/g, '[[]')
    .replace(/\?/g, '[?]')
    .replace(/\*/g, '[*]')
}

/**
 * A test for "git ignores this untracked path" in the repository around `root`; outside a
 * repository nothing is ignored. One listing with `--directory` (an ignored directory is one
 * entry) costs about as much as git's status walk, whatever the number of matches.
 */
async function ignoredByGit(root: string): Promise<(task: string) => boolean> {
  const inside = await git(root, ['rev-parse', '--is-inside-work-tree'], { allowFailure: true })
  if (inside.exitCode !== 0 || inside.stdout.trim() !== 'true') return () => false
  // Inside an ignored directory everything is ignored (and `ls-files --directory` fails there
  // with "directory entry not superset of prefix", git 2.39).
  const rootIgnored = await git(root, ['check-ignore', '--quiet', '.'], { allowFailure: true })
  if (rootIgnored.exitCode === 0) return () => true
  const listed = await git(root, [
    'ls-files',
    '--others',
    '--ignored',
    '--exclude-standard',
    '--directory',
    '-z'
  ])
  const files = new Set<string>()
  const dirs = new Set<string>()
  for (const entry of listed.stdout.split('\0')) {
    if (entry === '') continue
    if (entry.endsWith('/')) dirs.add(entry)
    else files.add(entry)
  }
  if (files.size === 0 && dirs.size === 0) return () => false
  return task => {
    if (files.has(task)) return true
    for (let slash = task.indexOf('/'); slash >= 0; slash = task.indexOf('/', slash + 1)) {
      if (dirs.has(task.slice(0, slash + 1))) return true
    }
    return false
  }
}

/**
 * The tasks that are regular files reached without a symlink: the walk never enters a
 * symlinked directory, but a literal part of a pattern (`vendor/link/src/*.js`) leads through
 * one, to files that git does not see at that path and that may lie outside the checkout.
 * One readdir per directory, not one lstat per file: about 7× faster on 100,000 files.
 */
async function regularFiles(
  root: string,
  tasks: string[]
): Promise<{ files: string[]; throughLink: number; notFile: number }> {
  const realRoot = await realpath(root)
  const byDir = new Map<string, string[]>()
  for (const task of tasks) {
    const slash = task.lastIndexOf('/')
    const dir = slash < 0 ? '' : task.slice(0, slash)
    let names = byDir.get(dir)
    if (!names) byDir.set(dir, (names = []))
    names.push(task.slice(slash + 1))
  }
  const files: string[] = []
  let throughLink = 0
  let notFile = 0
  // All at once: libuv's thread pool runs four at a time, so only that many are open.
  await Promise.all(
    [...byDir].map(async ([dir, names]) => {
      const full = path.join(root, dir)
      const real = await realpath(full).catch(() => undefined)
      if (real === undefined) {
        notFile += names.length // gone since the walk
        return
      }
      if (real !== path.join(realRoot, dir)) {
        throughLink += names.length
        return
      }
      const entries = await readdir(full, { withFileTypes: true })
      const regular = new Set(entries.filter(entry => entry.isFile()).map(entry => entry.name))
      for (const name of names) {
        if (regular.has(name)) files.push(dir === '' ? name : `${dir}/${name}`)
        else notFile++
      }
    })
  )
  return { files, throughLink, notFile }
}

/** A plan over more than this would be far over GitHub's 1 MB output limit anyway. */
export const MAX_TASK_COMMAND_STDOUT = 50 * 1024 * 1024

export interface TaskCommandOptions {
  /** Stop the command after this long; default: no limit. */
  timeoutMs?: number
  /** Stop the command once its stdout passes this many bytes. */
  maxStdoutBytes?: number
}

/**
 * The lines `command` prints on stdout, as tasks (see `tasksFromLines`). Run with `bash -c` in
 * `cwd`: it is the workflow author's configuration, never model output. The step fails when it
 * exits non-zero (with its exit code and the end of its stderr), is killed, runs too long or
 * prints too much; its stderr is logged, inert, when it succeeds.
 */
export async function tasksFromCommand(
  command: string,
  cwd: string,
  env: Record<string, string>,
  options: TaskCommandOptions = {}
): Promise<string[]> {
  const maxStdout = options.maxStdoutBytes ?? MAX_TASK_COMMAND_STDOUT
  const stdout: Buffer[] = []
  let stdoutBytes = 0
  let stderr = Buffer.alloc(0)
  let stopped: string | undefined
  const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      const child = spawn('bash', ['-c', command], {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so stopping it stops what it started too.
        detached: true
      })
      const stop = (reason: string): void => {
        stopped ??= reason
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {
          child.kill('SIGKILL')
        }
      }
      child.stdout.on('data', (chunk: Buffer) => {
        stdoutBytes += chunk.length
        if (stdoutBytes > maxStdout) stop(`printed more than ${formatMiB(maxStdout)} on stdout`)
        else stdout.push(chunk)
      })
      child.stderr.on('data', (chunk: Buffer) => {
        // Only the end is ever shown.
        stderr = Buffer.concat([stderr, chunk]).subarray(-64 * 1024)
      })
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(
              () => stop(`did not finish within ${formatDuration(options.timeoutMs!)}`),
              options.timeoutMs
            )
      child.once('error', error => {
        clearTimeout(timer)
        reject(new Error(`task-command could not start: ${error.message}`))
      })
      child.once('close', (code, signal) => {
        clearTimeout(timer)
        resolve({ code, signal })
      })
    }
  )
  const tail = tailOutput(stderr.toString('utf8'), { maxLines: 20, maxBytes: 2048 }).text
  const withTail = tail === '' ? '' : `; the end of its stderr:\n${tail}`
  if (stopped) {
    const hint =
      stdoutBytes > maxStdout
        ? ': a plan that large could not be a job output (GitHub allows 1 MB); print fewer or shorter tasks'
        : ''
    throw new Error(`task-command ${stopped} and was stopped${hint}${withTail}`)
  }
  if (end.code !== 0) {
    const how = end.code === null ? `was killed by ${end.signal}` : `exited with code ${end.code}`
    throw new Error(`task-command ${how}${withTail}`)
  }
  if (tail !== '') logUntrusted(`task-command's stderr:\n${tail}`)
  return tasksFromLines(Buffer.concat(stdout).toString('utf8'))
}

function formatMiB(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${bytes} bytes`
}
