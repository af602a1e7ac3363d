// Reading a patch: its sections (names as git quotes them, hunks, modes), pure.

// --- Reading a patch (pure) ----------------------------------------------------------------------

/** One file of a patch, as `git apply` will see it. */
export interface PatchSection {
  /** The path before (undefined for a new file). */
  oldPath: string | undefined
  /** The path after (undefined for a deletion). */
  newPath: string | undefined
  /** Every name the section gives anywhere (header, ---/+++, rename/copy lines), checked alike. */
  names: string[]
  newMode?: string
  binary: boolean
  /** The text of its `+` lines: a symlink's new target. */
  added: string
}

export class PatchError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PatchError'
  }
}

const C_UNESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  '"': 34,
  '\\': 92
}

/** git's C-style quoted name: `"a/t\303\251st"` → `a/tést`; the rest of the text after it. */
function unquote(text: string): { name: string; rest: string } {
  const bytes: number[] = []
  let i = 1
  for (; i < text.length; i++) {
    const c = text[i]!
    if (c === '"') break
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'))
      continue
    }
    const next = text[++i] ?? ''
    if (/[0-7]/.test(next)) {
      const octal = text.slice(i, i + 3)
      if (!/^[0-7]{3}$/.test(octal)) throw new PatchError(`bad escape in ${text}`)
      bytes.push(parseInt(octal, 8))
      i += 2
    } else if (next in C_UNESCAPES) {
      bytes.push(C_UNESCAPES[next]!)
    } else {
      throw new PatchError(`bad escape in ${text}`)
    }
  }
  if (text[i] !== '"') throw new PatchError(`unterminated quoted name: ${text}`)
  return { name: Buffer.from(bytes).toString('utf8'), rest: text.slice(i + 1) }
}

/** A name as `git apply -p1` reads it: unquoted, its first component (`a/`, `b/`) taken off. */
function stripped(raw: string): string {
  const slash = raw.indexOf('/')
  if (slash < 0) throw new PatchError(`a name without the a/ or b/ prefix: ${raw}`)
  return raw.slice(slash + 1)
}

function readName(text: string): string {
  if (text.startsWith('"')) return unquote(text).name
  // A tab ends a name in a traditional diff (a timestamp follows); git quotes names with tabs.
  return text.split('\t', 1)[0]!
}

/** The two names of a `diff --git` line, when they can be told apart. */
function headerNames(rest: string): [string, string] | undefined {
  if (rest.startsWith('"')) {
    const first = unquote(rest)
    const second = first.rest.replace(/^ /, '')
    return [first.name, readName(second)]
  }
  const quoted = rest.indexOf(' "')
  if (quoted >= 0) return [rest.slice(0, quoted), unquote(rest.slice(quoted + 1)).name]
  // Unquoted names with spaces: git's own rule, both halves the same name after the prefix.
  if (rest.length % 2 === 1) {
    const half = (rest.length - 1) / 2
    const a = rest.slice(0, half)
    const b = rest.slice(half + 1)
    if (rest[half] === ' ' && stripped(a) === stripped(b)) return [a, b]
  }
  const parts = rest.split(' ')
  return parts.length === 2 ? [parts[0]!, parts[1]!] : undefined
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/

/**
 * The files of a patch as `git diff --binary` writes it: only `diff --git` sections are read;
 * anything that is not one is refused (git would also apply a traditional diff found among
 * other text, which is why collect also asks git what it reads, see applyPatches).
 */
export function parsePatch(text: string): PatchSection[] {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const sections: PatchSection[] = []
  let i = 0
  while (i < lines.length && !lines[i]!.startsWith('diff --git ')) {
    if (/^(---|\+\+\+|@@) /.test(lines[i]!)) {
      throw new PatchError('diff text outside a `diff --git` section')
    }
    i++
  }
  while (i < lines.length) {
    const header = lines[i]!
    if (!header.startsWith('diff --git ')) {
      throw new PatchError(`unexpected text between sections: ${header.slice(0, 80)}`)
    }
    i++
    const names: string[] = []
    const pair = headerNames(header.slice('diff --git '.length))
    let headerOld: string | undefined
    let headerNew: string | undefined
    if (pair) {
      headerOld = stripped(pair[0])
      headerNew = stripped(pair[1])
      names.push(headerOld, headerNew)
    }
    let oldPath: string | undefined
    let newPath: string | undefined
    let minus: string | undefined
    let plus: string | undefined
    let created = false
    let deleted = false
    let newMode: string | undefined
    let binary = false
    const added: string[] = []
    // Extended header lines.
    for (; i < lines.length; i++) {
      const line = lines[i]!
      let m: RegExpExecArray | null
      if ((m = /^(?:new file mode|new mode) ([0-7]{6})$/.exec(line))) {
        newMode = m[1]
        if (line.startsWith('new file')) created = true
      } else if (/^deleted file mode [0-7]{6}$/.test(line)) {
        deleted = true
      } else if (/^old mode [0-7]{6}$/.test(line) || /^(dis)?similarity index \d+%$/.test(line)) {
        // nothing to read
      } else if ((m = /^index [0-9a-f]+\.\.[0-9a-f]+(?: ([0-7]{6}))?$/.exec(line))) {
        newMode ??= m[1]
      } else if ((m = /^(rename|copy) (from|to) (.+)$/.exec(line))) {
        const name = readName(m[3]!)
        names.push(name)
        if (m[2] === 'from') oldPath = name
        else newPath = name
      } else {
        break
      }
    }
    // Content: a text diff, a binary patch, or nothing (a mode change, a pure rename).
    if (i < lines.length && lines[i]!.startsWith('--- ')) {
      const from = lines[i]!.slice(4)
      const to = lines[i + 1]
      if (to === undefined || !to.startsWith('+++ ')) throw new PatchError('--- without +++')
      if (from !== '/dev/null') names.push((minus = stripped(readName(from))))
      if (to.slice(4) !== '/dev/null') names.push((plus = stripped(readName(to.slice(4)))))
      if (from === '/dev/null') created = true
      if (to.slice(4) === '/dev/null') deleted = true
      i += 2
      while (i < lines.length && lines[i]!.startsWith('@@')) {
        const m = HUNK.exec(lines[i]!)
        if (!m) throw new PatchError(`bad hunk header: ${lines[i]!.slice(0, 80)}`)
        let oldLeft = m[2] === undefined ? 1 : Number(m[2])
        let newLeft = m[4] === undefined ? 1 : Number(m[4])
        i++
        while (i < lines.length && (oldLeft > 0 || newLeft > 0 || lines[i]!.startsWith('\\'))) {
          const line = lines[i]!
          const kind = line[0]
          if (kind === ' ' || line === '') {
            oldLeft--
            newLeft--
          } else if (kind === '-') oldLeft--
          else if (kind === '+') {
            newLeft--
            added.push(line.slice(1))
          } else if (kind !== '\\') break
          i++
        }
        if (oldLeft !== 0 || newLeft !== 0) throw new PatchError('a hunk shorter than its header')
      }
    } else if (i < lines.length && lines[i] === 'GIT binary patch') {
      binary = true
      i++
      while (i < lines.length && !lines[i]!.startsWith('diff --git ')) i++
    } else if (i < lines.length && /^Binary files .* differ$/.test(lines[i]!)) {
      throw new PatchError('a binary change without its content (the patch needs --binary)')
    }
    oldPath = created ? undefined : (oldPath ?? minus ?? headerOld)
    newPath = deleted ? undefined : (newPath ?? plus ?? headerNew)
    if (oldPath === undefined && newPath === undefined) {
      throw new PatchError(`a section whose file cannot be told: ${header.slice(0, 80)}`)
    }
    sections.push({ oldPath, newPath, names, newMode, binary, added: added.join('\n') })
  }
  return sections
}

/** Every path a patch touches, both sides of a rename, each once. */
export function touchedPaths(sections: PatchSection[]): string[] {
  const paths = new Set<string>()
  for (const s of sections) {
    if (s.oldPath !== undefined) paths.add(s.oldPath)
    if (s.newPath !== undefined) paths.add(s.newPath)
  }
  return [...paths]
}
