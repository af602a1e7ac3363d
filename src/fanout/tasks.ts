import * as core from '@actions/core'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { formatDuration } from '../agent/summary.js'
import { logUntrusted } from '../github/emit.js'
import { tailOutput } from '../write/verify.js'
import { globEscape, GlobPattern, Globs } from './glob-pattern.js'
import { fromGit, fromWalk, insideWorkTree } from './task-files.js'
import { messageOf } from '../outcome.js'

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

// @actions/glob reads `{a,b}` literally (it runs minimatch with `nobrace`), and so does the port
// below: one pattern per line is the way to list alternatives.
const BRACES = /\{[^{}]*,[^{}]*\}/

/**
 * The files that `patterns` (@actions/glob syntax: `*`, `**`, `?`, `[…]`, `!` to exclude, one
 * per entry, a later entry overriding an earlier one) match under `root`, as tasks: paths
 * relative to `root` with '/' separators, in byte order, each once. Left out: what is not a
 * regular file (symlinks too: a link's change lands in its target, which is a task of its own
 * or outside the checkout), what is reached through a symlinked directory, anything under a
 * `.git` directory, anything git ignores, and anything outside `root`. Relative patterns are
 * relative to `root`, not to the process's directory as @actions/glob would take them.
 *
 * The matching is @actions/glob 0.7's (ported below, see `GlobPattern`), but not its walk: it
 * awaits one lstat per entry, 2–5 s for 100,000 files where a plan has 1 s. In a git checkout
 * the candidates are what git lists (`ls-files --cached --others --exclude-standard`: tracked
 * files and untracked ones that are not ignored, in one process), of which a readdir per
 * directory keeps the regular files; outside one, a readdir-with-file-types walk. What
 * @actions/glob's walk would have reached beyond git's list (ignored directories, `.git/`,
 * a pattern through a symlink or outside `root`) is walked only when a pattern can match in it,
 * to count what is left out.
 */
export async function tasksFromGlobs(patterns: string[], root: string): Promise<string[]> {
  const base = path.resolve(root)
  const globs = new Globs(parsePatterns(patterns, base))
  const { files, left } = (await insideWorkTree(base))
    ? await fromGit(globs, base)
    : await fromWalk(globs, base)
  const dropped = left.outside + left.gitDir + left.ignored + left.throughLink + left.notFile
  // As many paths as @actions/glob's walk gave: the tasks and what is left out.
  core.info(
    `${files.length + dropped} paths matched, ${files.length} tasks` +
      (dropped > 0
        ? ` (left out: ${left.ignored} ignored by git, ${left.notFile} not regular files, ${left.throughLink} behind a symlinked directory, ${left.gitDir} under .git/, ${left.outside} outside the working directory)`
        : '')
  )
  return files.sort(byUtf8Bytes)
}

/** The patterns rooted at `base`, each checked on its own, so an error can name it. */
function parsePatterns(patterns: string[], base: string): GlobPattern[] {
  const lines = patterns.map(p => p.trim()).filter(p => p !== '' && !p.startsWith('#'))
  return lines.map(pattern => {
    if (BRACES.test(pattern)) {
      core.warning(
        `Input 'files' pattern ${JSON.stringify(pattern)} has braces, which @actions/glob does not expand: write one pattern per line instead`
      )
    }
    try {
      return new GlobPattern(rootedPattern(pattern, base))
    } catch (error) {
      throw new Error(
        `Input 'files' has an unusable pattern ${JSON.stringify(pattern)}: ${messageOf(error)}`
      )
    }
  })
}

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
