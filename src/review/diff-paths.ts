/**
 * The path names of diff header lines as git writes them: C-quoted or bare, with or without
 * a/ b/ (or --src-prefix / --dst-prefix) components, `/dev/null` for the absent side.
 */

const SPACE = 0x20
const BACKSLASH = 0x5c
const QUOTE = 0x22
const TAB = 0x09
const DIGIT_0 = 0x30

/**
 * Removes the a/ b/ (or --src-prefix / --dst-prefix) component of a `---` / `+++` name. The
 * `diff --git` line tells whether the diff was made with prefixes; without one (plain diffs),
 * both names are stripped when they both start with a/ b/, or when they agree after their first
 * component (`diff -ru old new`).
 */
export function stripPrefix(
  name: string | null | undefined,
  prefixed: boolean | undefined,
  usual: string,
  other: string | null | undefined
): string | null | undefined {
  if (name === null || name === undefined) return name
  if (prefixed === false) return name
  if (prefixed === true) return afterFirstComponent(name) ?? name
  if (other === null || other === undefined) return name.startsWith(usual) ? name.slice(2) : name
  const otherUsual = usual === 'a/' ? 'b/' : 'a/'
  if (name.startsWith(usual) && other.startsWith(otherUsual)) return name.slice(2)
  const rest = afterFirstComponent(name)
  return rest !== null && rest === afterFirstComponent(other) ? rest : name
}

function afterFirstComponent(name: string): string | null {
  const slash = name.indexOf('/')
  return slash > 0 && slash < name.length - 1 ? name.slice(slash + 1) : null
}

/**
 * Splits the two names of a `diff --git` line when the file was not renamed or copied (a rename
 * carries its names unambiguously in `rename from` / `rename to`). Unquoted names may contain
 * spaces, so like `git apply` this accepts a split only where both names are the same path:
 * `P P` (made with --no-prefix) or `xP yP` (any one-component prefixes, a/ b/ by default).
 */
export function splitGitNames(names: string): { name: string; prefixed: boolean } | null {
  let first: string
  let second: string
  if (names.charCodeAt(0) === QUOTE) {
    const q = unquote(names, 0)
    if (q === null || names.charCodeAt(q.end) !== SPACE) return null
    first = q.value
    const rest = parseName(names, q.end + 1)
    if (rest === null) return null
    second = rest
  } else if (names.charCodeAt(names.length - 1) === QUOTE) {
    // Only a rename mixes an unquoted and a quoted name; its header lines name it.
    return null
  } else {
    const len = names.length
    if (len % 2 === 1 && names.charCodeAt((len - 1) / 2) === SPACE) {
      const half = names.slice(0, (len - 1) / 2)
      if (names.endsWith(half)) return { name: half, prefixed: false }
    }
    const firstSlash = names.indexOf('/')
    if (firstSlash <= 0) return null
    const tail = names.slice(firstSlash + 1)
    // Try every space of the first name as the separator; the second name, past its own
    // prefix, must repeat exactly what came before the space.
    for (let sp = tail.indexOf(' '); sp !== -1; sp = tail.indexOf(' ', sp + 1)) {
      const candidate = tail.slice(0, sp)
      const other = tail.slice(sp + 1)
      const slash = other.indexOf('/')
      if (slash > 0 && other.length - slash - 1 === candidate.length && other.endsWith(candidate)) {
        return { name: candidate, prefixed: true }
      }
    }
    return null
  }
  if (first === second) return { name: first, prefixed: false }
  const a = afterFirstComponent(first)
  if (a !== null && a === afterFirstComponent(second)) return { name: a, prefixed: true }
  return null
}

/**
 * A path from a header line starting at `at`: C-quoted, or bare up to a tab (git adds a tab
 * after `---`/`+++` names that contain a space; GNU diff puts the timestamp after one).
 * `/dev/null` is returned as null.
 */
export function parseName(line: string, at: number): string | null {
  let name: string
  if (line.charCodeAt(at) === QUOTE) {
    const q = unquote(line, at)
    name = q === null ? line.slice(at) : q.value
  } else {
    const tab = line.indexOf('\t', at)
    name = tab === -1 ? line.slice(at) : line.slice(at, tab)
  }
  return name === '/dev/null' ? null : name
}

const ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  t: TAB,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  '"': QUOTE,
  '\\': BACKSLASH
}

/**
 * Decodes a C-style quoted name as git writes it (`core.quotePath`): octal escapes are raw
 * bytes, so consecutive ones form UTF-8 sequences and are decoded together.
 */
export function unquote(s: string, start: number): { value: string; end: number } | null {
  let out = ''
  let bytes: number[] = []
  const flush = (): void => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8')
      bytes = []
    }
  }
  let i = start + 1
  while (i < s.length) {
    const c = s.charCodeAt(i)
    if (c === QUOTE) {
      flush()
      return { value: out, end: i + 1 }
    }
    if (c !== BACKSLASH) {
      flush()
      out += s[i]
      i++
      continue
    }
    const e = s.charCodeAt(i + 1)
    if (e >= DIGIT_0 && e <= 0x37 && isOctal(s, i + 2) && isOctal(s, i + 3)) {
      bytes.push(
        ((e - DIGIT_0) << 6) |
          ((s.charCodeAt(i + 2) - DIGIT_0) << 3) |
          (s.charCodeAt(i + 3) - DIGIT_0)
      )
      i += 4
      continue
    }
    const code = ESCAPES[s.charAt(i + 1)]
    if (code === undefined) return null
    bytes.push(code)
    i += 2
  }
  return null
}

function isOctal(s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  return c >= DIGIT_0 && c <= 0x37
}
