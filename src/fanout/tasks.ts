import * as core from '@actions/core'
import { Minimatch, type MinimatchOptions } from 'minimatch'
import { spawn } from 'node:child_process'
import { lstat, readdir, realpath } from 'node:fs/promises'
import os from 'node:os'
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
        `Input 'files' has an unusable pattern ${JSON.stringify(pattern)}: ${error instanceof Error ? error.message : String(error)}`
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

interface LeftOut {
  ignored: number
  notFile: number
  throughLink: number
  gitDir: number
  outside: number
}

interface Found {
  files: string[]
  left: LeftOut
}

async function insideWorkTree(base: string): Promise<boolean> {
  const inside = await git(base, ['rev-parse', '--is-inside-work-tree'], { allowFailure: true })
  return inside.exitCode === 0 && inside.stdout.trim() === 'true'
}

/**
 * The tasks of a git checkout: git's list of tracked and not-ignored untracked files, matched,
 * then kept if they are regular files. git's list holds nothing through a symlink (it lists the
 * link) and nothing under `.git/`; a nested repository is one `dir/` entry, left out: its files
 * belong to another repository, as a submodule's do (one entry that is a directory).
 */
async function fromGit(globs: Globs, base: string): Promise<Found> {
  const [listed, ignoredListing, rootCheck] = await Promise.all([
    git(base, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']),
    git(base, ['ls-files', '--others', '--ignored', '--exclude-standard', '--directory', '-z'], {
      allowFailure: true
    }),
    git(base, ['check-ignore', '--quiet', '.'], { allowFailure: true })
  ])
  const candidates = new Set<string>()
  for (const entry of listed.stdout.split('\0')) {
    if (entry !== '' && !entry.endsWith('/') && globs.yields(joinPath(base, entry))) {
      candidates.add(entry)
    }
  }
  const realBase = await realpath(base)
  const left: LeftOut = { ignored: 0, notFile: 0, throughLink: 0, gitDir: 0, outside: 0 }
  // What a walk beyond git's list reaches is counted as @actions/glob's results were sorted out:
  // outside `root` first, then under `.git/` (whatever the reason given), then the reason.
  const counted = (reason: 'ignored' | 'throughLink' | 'outside') => (abs: string) => {
    const task = taskOf(base, abs)
    if (task === undefined) left.outside++
    else if (underGitDir(task)) left.gitDir++
    else if (!candidates.has(task)) left[reason]++
  }
  // Directories git lists as one entry or not at all, where @actions/glob's walk went on: an
  // ignored directory (everything in it is ignored), and `.git/`. Inside an ignored directory
  // `ls-files --ignored --directory` lists `./` or fails ("directory entry not superset of
  // prefix", git 2.39), so the root is one.
  const ignored = ignoredListing.stdout.split('\0').filter(entry => entry !== '')
  const unlisted: string[] = []
  if (rootCheck.exitCode === 0 || ignored.includes('./')) {
    unlisted.push(base)
  } else if (ignoredListing.exitCode !== 0) {
    throw new Error(`git ls-files --ignored failed: ${ignoredListing.stderr.trim()}`)
  } else {
    unlisted.push(joinPath(base, '.git'))
    for (const entry of ignored) {
      const abs = joinPath(base, entry.replace(/\/$/, ''))
      if (entry.endsWith('/')) unlisted.push(abs)
      else if (globs.yields(abs)) counted('ignored')(abs)
    }
  }
  // Each walked where the patterns reach it: from the directory itself if the walk gets there
  // (then no search path lies below it), else from the search paths below it.
  const walks: Promise<void>[] = []
  for (const dir of unlisted) {
    if (globs.reaches(dir)) walks.push(walk(globs, dir, counted('ignored')))
  }
  for (const start of globs.searchPaths) {
    const task = taskOf(base, start)
    if (task === undefined) {
      // Outside `root`, or around it (then `root` itself is git's).
      if (start !== base) walks.push(walk(globs, start, counted('outside'), base))
    } else if (unlisted.some(dir => start.startsWith(`${dir}/`))) {
      walks.push(walk(globs, start, counted('ignored')))
    } else if (await throughLink(base, realBase, start)) {
      // A literal part of the pattern leads through a symlinked directory (`vendor/lib/*.js`),
      // to files git does not see at that path.
      walks.push(walk(globs, start, counted('throughLink')))
    }
  }
  await Promise.all(walks)
  const { files, throughLink: linked, notFile } = await regularFiles(base, realBase, candidates)
  left.throughLink += linked
  left.notFile += notFile
  return { files, left }
}

/** The tasks outside git: @actions/glob's walk, with readdir's file types instead of lstat. */
async function fromWalk(globs: Globs, base: string): Promise<Found> {
  const realBase = await realpath(base)
  const files: string[] = []
  const left: LeftOut = { ignored: 0, notFile: 0, throughLink: 0, gitDir: 0, outside: 0 }
  await Promise.all(
    globs.searchPaths.map(async start => {
      const linked = taskOf(base, start) !== undefined && (await throughLink(base, realBase, start))
      await walk(globs, start, (abs, isFile) => {
        const task = taskOf(base, abs)
        if (task === undefined) left.outside++
        else if (underGitDir(task)) left.gitDir++
        else if (linked) left.throughLink++
        else if (isFile) files.push(task)
        else left.notFile++
      })
    })
  )
  return { files, left }
}

/** `abs` relative to `base` when it lies below it, else undefined. */
function taskOf(base: string, abs: string): string | undefined {
  const prefix = base.endsWith('/') ? base : `${base}/`
  return abs.length > prefix.length && abs.startsWith(prefix) ? abs.slice(prefix.length) : undefined
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`
}

function underGitDir(task: string): boolean {
  return (
    task === '.git' || task.startsWith('.git/') || task.endsWith('/.git') || task.includes('/.git/')
  )
}

/**
 * Whether the start of a walk below `base` is reached through a symlinked directory: the walk
 * itself enters none, but a literal part of a pattern (`vendor/link/src/*.js`) leads through
 * one, to files that git does not see at that path and that may lie outside the checkout.
 */
async function throughLink(base: string, realBase: string, start: string): Promise<boolean> {
  const dir = path.dirname(start)
  if (dir === base) return false
  const real = await realpath(dir).catch(() => undefined)
  return real !== undefined && real !== path.join(realBase, path.relative(base, dir))
}

/**
 * @actions/glob's walk from `start`, never into a symlinked directory: `found` gets each path it
 * would give (whatever is not a directory and matches), with whether it is a regular file. One
 * readdir with file types per directory instead of one lstat per entry: about 7× faster on
 * 100,000 files. `skip` is a directory not to enter.
 */
async function walk(
  globs: Globs,
  start: string,
  found: (abs: string, isFile: boolean) => void,
  skip?: string
): Promise<void> {
  const stats = await lstat(start).catch(goneOrThrow)
  if (stats === undefined) return
  if (!stats.isDirectory()) {
    if (globs.match(start) & FILE) found(start, stats.isFile())
    return
  }
  if (!globs.opens(start)) return
  const visit = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true }).catch(goneOrThrow)) ?? []
    const below: Promise<void>[] = []
    for (const entry of entries) {
      const abs = joinPath(dir, entry.name)
      if (entry.isDirectory()) {
        if (abs !== skip && globs.opens(abs)) below.push(visit(abs))
      } else if (globs.match(abs) & FILE) found(abs, entry.isFile())
    }
    await Promise.all(below)
  }
  await visit(start)
}

/** Gone since it was listed (or never a directory): nothing to give. Other errors stop the plan. */
function goneOrThrow(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
  throw error
}

/**
 * The candidates that are regular files reached without a symlink. One readdir per directory,
 * not one lstat per file. A path that is not there (a deletion the index still lists) counts
 * nowhere, as @actions/glob's walk would not have seen it, nor does a directory (a submodule).
 */
async function regularFiles(
  base: string,
  realBase: string,
  tasks: Iterable<string>
): Promise<{ files: string[]; throughLink: number; notFile: number }> {
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
      const full = dir === '' ? base : joinPath(base, dir)
      const real = await realpath(full).catch(() => undefined)
      if (real === undefined) return
      if (real !== path.join(realBase, dir)) {
        throughLink += names.length
        return
      }
      const entries = (await readdir(full, { withFileTypes: true }).catch(goneOrThrow)) ?? []
      const byName = new Map(entries.map(entry => [entry.name, entry]))
      for (const name of names) {
        const entry = byName.get(name)
        if (entry === undefined || entry.isDirectory()) continue
        if (entry.isFile()) files.push(dir === '' ? name : `${dir}/${name}`)
        else notFile++
      }
    })
  )
  return { files, throughLink, notFile }
}

/*
 * @actions/glob 0.7's matching, ported from its lib/internal-pattern.js, internal-path.js,
 * internal-path-helper.js, internal-pattern-helper.js and internal-globber.js for POSIX paths
 * (what `rootedPattern` writes), so `files` means what it meant when Tandem globbed through it:
 *  - minimatch with `dot` (dotfiles match `*` and `**`), `nobrace`, `noext`, `nocomment`,
 *    `nonegate`; case-sensitive everywhere but on Windows (on macOS too);
 *  - a leading `!` (repeatable, spaces allowed after it) excludes; patterns apply in order, so
 *    a later pattern overrides an earlier one for the paths they share;
 *  - a pattern that does not end in `**`, or ends in `/`, also stands for everything below what
 *    it names (`src/lib` = `src/lib/**`: "implicit descendants"); a trailing `/` alone matches
 *    directories only, so it adds nothing but its descendants here;
 *  - a pattern ending in `**` matches the directory it starts from too (`src/**` matches
 *    `src/`): minimatch needs the path's trailing slash for that, which @actions/glob appends;
 *  - `.` and `..` segments are refused, `~` is the home directory;
 *  - the walk starts at each pattern's literal prefix (its "search path") and enters a
 *    directory only where a non-negated pattern can still match below it (or it matches).
 */

const MINIMATCH_OPTIONS: MinimatchOptions = {
  dot: true,
  nobrace: true,
  nocase: process.platform === 'win32',
  nocomment: true,
  noext: true,
  nonegate: true
}

// MatchKind: what a pattern matches of a path (directories only with a trailing `/`).
const DIRECTORY = 1
const FILE = 2
const ALL = DIRECTORY | FILE

class GlobPattern {
  readonly negate: boolean
  readonly segments: string[]
  readonly trailingSeparator: boolean
  /** The literal path before the first glob segment: where the walk starts. */
  readonly searchPath: string
  private readonly rootRegExp: RegExp
  private readonly minimatch: Minimatch

  constructor(
    line: string,
    private readonly implicit = false
  ) {
    let pattern = line.trim()
    let negate = false
    while (pattern.startsWith('!')) {
      negate = !negate
      pattern = pattern.slice(1).trim()
    }
    this.negate = negate
    pattern = fixupPattern(pattern)
    this.segments = segmentsOf(pattern)
    this.trailingSeparator = pattern.endsWith('/')
    pattern = trimTrailingSlash(pattern)
    let foundGlob = false
    const searchSegments = this.segments
      .map(literalOf)
      .filter(x => !foundGlob && !(foundGlob = x === ''))
    this.searchPath = joinSegments(searchSegments)
    this.rootRegExp = new RegExp(regExpEscape(searchSegments[0] ?? ''))
    this.minimatch = new Minimatch(pattern, MINIMATCH_OPTIONS)
  }

  /** This pattern's implicit `<pattern>/**`. */
  descendants(): GlobPattern {
    return new GlobPattern(
      `${this.negate ? '!' : ''}${joinSegments([...this.segments, '**'])}`,
      true
    )
  }

  match(itemPath: string): number {
    if (this.segments[this.segments.length - 1] === '**') {
      itemPath = normalizeSlashes(itemPath)
      if (!itemPath.endsWith('/') && !this.implicit) itemPath = `${itemPath}/`
    } else {
      itemPath = trimTrailingSlash(itemPath)
    }
    if (!this.minimatch.match(itemPath)) return 0
    return this.trailingSeparator ? DIRECTORY : ALL
  }

  /** Whether the pattern may match below `itemPath`. */
  partialMatch(itemPath: string): boolean {
    itemPath = trimTrailingSlash(itemPath)
    if (path.dirname(itemPath) === itemPath) return this.rootRegExp.test(itemPath)
    return this.minimatch.matchOne(itemPath.split(/\/+/), this.minimatch.set[0] ?? [], true)
  }
}

/** The patterns with their implicit descendants, matched and walked as @actions/glob does. */
class Globs {
  /** Where the walk starts: the search paths not below another one. */
  readonly searchPaths: string[]
  private readonly patterns: GlobPattern[] = []
  private readonly starts: Set<string>
  private readonly entered = new Map<string, boolean>()

  constructor(lines: GlobPattern[]) {
    for (const pattern of lines) {
      this.patterns.push(pattern)
      if (pattern.trailingSeparator || pattern.segments[pattern.segments.length - 1] !== '**') {
        this.patterns.push(pattern.descendants())
      }
    }
    this.searchPaths = searchPathsOf(this.patterns)
    this.starts = new Set(this.searchPaths)
  }

  /** What the patterns, in order, make of `abs`: included kinds, less the later exclusions. */
  match(abs: string): number {
    let result = 0
    for (const pattern of this.patterns) {
      if (pattern.negate) result &= ~pattern.match(abs)
      else result |= pattern.match(abs)
    }
    return result
  }

  /** Whether the walk, once at the directory `abs`, reads its entries. */
  opens(abs: string): boolean {
    return this.match(abs) !== 0 || this.patterns.some(p => !p.negate && p.partialMatch(abs))
  }

  /** Whether the walk gets to `abs`: it starts there, or enters every directory down to it. */
  reaches(abs: string): boolean {
    return this.starts.has(abs) || this.enters(path.dirname(abs))
  }

  /** Whether the walk would give `abs` (if it is not a directory). */
  yields(abs: string): boolean {
    return (this.match(abs) & FILE) !== 0 && this.reaches(abs)
  }

  private enters(dir: string): boolean {
    let known = this.entered.get(dir)
    if (known === undefined) {
      const parent = path.dirname(dir)
      known = (this.starts.has(dir) || (parent !== dir && this.enters(parent))) && this.opens(dir)
      this.entered.set(dir, known)
    }
    return known
  }
}

/** internal-pattern-helper's getSearchPaths: one per non-negated pattern, none below another. */
function searchPathsOf(patterns: GlobPattern[]): string[] {
  const included = patterns.filter(p => !p.negate)
  const state = new Map(included.map(p => [p.searchPath, 'candidate']))
  const result: string[] = []
  for (const { searchPath } of included) {
    if (state.get(searchPath) === 'included') continue
    let key = searchPath
    let parent = path.dirname(key)
    let foundAncestor = false
    while (parent !== key) {
      if (state.has(parent)) {
        foundAncestor = true
        break
      }
      key = parent
      parent = path.dirname(key)
    }
    if (!foundAncestor) {
      result.push(searchPath)
      state.set(searchPath, 'included')
    }
  }
  return result
}

/** Pattern.fixupPattern, for the patterns `rootedPattern` writes: absolute, or from `~`. */
function fixupPattern(pattern: string): string {
  if (pattern === '') throw new Error('pattern cannot be empty')
  const literals = segmentsOf(pattern).map(literalOf)
  if (!literals.every((x, i) => (x !== '.' || i === 0) && x !== '..')) {
    throw new Error(`Invalid pattern '${pattern}'. Relative pathing '.' and '..' is not allowed.`)
  }
  pattern = normalizeSlashes(pattern)
  if (pattern === '~' || pattern.startsWith('~/')) {
    const home = os.homedir()
    if (!home.startsWith('/')) {
      throw new Error(`Expected HOME directory to be a rooted path. Actual '${home}'`)
    }
    pattern = globEscape(home) + pattern.slice(1)
  }
  return normalizeSlashes(pattern)
}

/** The segments of a path (internal-path's Path): the root `/` first when it has one. */
function segmentsOf(itemPath: string): string[] {
  const trimmed = trimTrailingSlash(itemPath)
  if (!trimmed.startsWith('/')) return trimmed.split('/')
  return trimmed === '/' ? ['/'] : ['/', ...trimmed.slice(1).split('/')]
}

function joinSegments(segments: string[]): string {
  const [first = '', ...rest] = segments
  if (rest.length === 0) return first
  return first.endsWith('/') ? `${first}${rest.join('/')}` : `${first}/${rest.join('/')}`
}

/** Pattern.getLiteral: the segment as a literal name, or '' when it holds a glob. */
function literalOf(segment: string): string {
  let literal = ''
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!
    if (c === '\\' && i + 1 < segment.length) {
      literal += segment[++i]
      continue
    } else if (c === '*' || c === '?') {
      return ''
    } else if (c === '[' && i + 1 < segment.length) {
      let set = ''
      let closed = -1
      for (let j = i + 1; j < segment.length; j++) {
        const d = segment[j]!
        if (d === '\\' && j + 1 < segment.length) {
          set += segment[++j]
          continue
        } else if (d === ']') {
          closed = j
          break
        } else {
          set += d
        }
      }
      if (closed >= 0) {
        if (set.length > 1) return ''
        if (set) {
          literal += set
          i = closed
          continue
        }
      }
    }
    literal += c
  }
  return literal
}

function normalizeSlashes(p: string): string {
  return p.includes('//') ? p.replace(/\/\/+/g, '/') : p
}

/** `/foo/` → `/foo`, but `/` stays. */
function trimTrailingSlash(p: string): string {
  p = normalizeSlashes(p)
  return p.endsWith('/') && p !== '/' ? p.slice(0, -1) : p
}

function regExpEscape(s: string): string {
  return s.replace(/[[\\^$.|?*+()]/g, '\\$&')
}

// @actions/glob's own escaping (Pattern.globEscape), for POSIX paths.
function globEscape(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/(\[)(?=[^/]+\])/g, '[[]')
    .replace(/\?/g, '[?]')
    .replace(/\*/g, '[*]')
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
