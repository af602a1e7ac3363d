import { Minimatch, type MinimatchOptions } from 'minimatch'
import os from 'node:os'
import path from 'node:path'

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
export const FILE = 2
const ALL = DIRECTORY | FILE

export class GlobPattern {
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
export class Globs {
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
export function globEscape(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/(\[)(?=[^/]+\])/g, '[[]')
    .replace(/\?/g, '[?]')
    .replace(/\*/g, '[*]')
}
