// The fake's own reading of a unified diff, written apart from src/review/diff.ts on purpose:
// the fake decides which review comments GitHub would accept, so it must not share the
// product's parser (or its bugs).

export type LineKind = 'context' | 'add' | 'del'

export interface DiffLine {
  kind: LineKind
  /** Old-file number for context and deleted lines. */
  oldLine?: number
  /** New-file number for context and added lines. */
  newLine?: number
  /** GitHub's legacy `position`: lines below the file's first `@@`, later headers included. */
  position: number
  text: string
}

export interface Hunk {
  header: string
  oldStart: number
  newStart: number
  /** Position of the header line itself (0 for the first hunk). */
  position: number
  lines: DiffLine[]
}

export type FileStatus = 'added' | 'removed' | 'modified' | 'renamed' | 'copied'

export interface DiffFile {
  filename: string
  previousFilename?: string
  status: FileStatus
  binary: boolean
  additions: number
  deletions: number
  hunks: Hunk[]
  /** The text from the first `@@` on, as GitHub's files API returns it; undefined without hunks. */
  patch?: string
  /** The whole block, from `diff --git` to the next file. */
  raw: string
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/

function unquote(path: string): string {
  if (!path.startsWith('"')) return path
  try {
    return JSON.parse(path) as string
  } catch {
    return path.slice(1, -1)
  }
}

function stripPrefix(path: string): string | undefined {
  const clean = unquote(path.replace(/\t.*$/, ''))
  if (clean === '/dev/null') return undefined
  return clean.replace(/^[ab]\//, '')
}

interface Builder {
  file: DiffFile
  lines: string[]
  oldPath?: string
  newPath?: string
  sawOldNull: boolean
  sawNewNull: boolean
}

function finish(builder: Builder): DiffFile {
  const { file } = builder
  const firstHunk = builder.lines.findIndex(line => line.startsWith('@@'))
  file.raw = builder.lines.join('\n')
  if (firstHunk >= 0) {
    const body = builder.lines.slice(firstHunk)
    while (body.length > 0 && body[body.length - 1] === '') body.pop()
    file.patch = body.join('\n')
  }
  if (builder.newPath !== undefined) file.filename = builder.newPath
  else if (builder.oldPath !== undefined) file.filename = builder.oldPath
  if (builder.sawOldNull) file.status = 'added'
  else if (builder.sawNewNull) file.status = 'removed'
  if (file.status === 'renamed' && file.previousFilename === file.filename) file.status = 'modified'
  return file
}

/** Splits a `git diff` (or plain unified diff) into files, hunks and numbered lines. */
export function parseDiff(text: string): DiffFile[] {
  const files: DiffFile[] = []
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  let current: Builder | undefined
  let hunk: Hunk | undefined
  let oldLeft = 0
  let newLeft = 0
  let position = 0
  let oldNo = 0
  let newNo = 0

  const start = (header: string): Builder => {
    if (current) files.push(finish(current))
    hunk = undefined
    oldLeft = newLeft = 0
    position = 0
    current = {
      file: {
        filename: '',
        status: 'modified',
        binary: false,
        additions: 0,
        deletions: 0,
        hunks: [],
        raw: ''
      },
      lines: [header],
      sawOldNull: false,
      sawNewNull: false
    }
    const paths = /^diff --git (?:"?a\/)(.*?)"? (?:"?b\/)(.*?)"?$/.exec(header)
    if (paths) {
      current.oldPath = paths[1]
      current.newPath = paths[2]
    }
    return current
  }

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const inHunk = hunk !== undefined && (oldLeft > 0 || newLeft > 0)
    if (!inHunk && line.startsWith('diff --git ')) {
      start(line)
      continue
    }
    if (!inHunk && line.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')) {
      // A plain unified diff has no `diff --git` line; a second `---/+++` pair starts a file.
      const builder = current && current.file.hunks.length === 0 ? current : start(line)
      if (builder.lines[0] !== line) builder.lines.push(line)
      const next = lines[i + 1] ?? ''
      builder.lines.push(next)
      const oldPath = stripPrefix(line.slice(4))
      const newPath = stripPrefix(next.slice(4))
      builder.sawOldNull = oldPath === undefined
      builder.sawNewNull = newPath === undefined
      if (oldPath !== undefined) builder.oldPath = oldPath
      if (newPath !== undefined) builder.newPath = newPath
      i++
      continue
    }
    if (!current) continue
    const header = HUNK.exec(line)
    if (!inHunk && header) {
      current.lines.push(line)
      // The first header is position 0; every later one takes a position of its own.
      if (current.file.hunks.length > 0) position++
      oldNo = Number(header[1])
      newNo = Number(header[3])
      oldLeft = header[2] === undefined ? 1 : Number(header[2])
      newLeft = header[4] === undefined ? 1 : Number(header[4])
      hunk = { header: line, oldStart: oldNo, newStart: newNo, position, lines: [] }
      current.file.hunks.push(hunk)
      continue
    }
    if (inHunk && hunk) {
      current.lines.push(line)
      const mark = line[0]
      if (mark === '\\') continue // "\ No newline at end of file" is not a line of either file
      position++
      if (mark === '+') {
        hunk.lines.push({ kind: 'add', newLine: newNo++, position, text: line.slice(1) })
        current.file.additions++
        newLeft--
      } else if (mark === '-') {
        hunk.lines.push({ kind: 'del', oldLine: oldNo++, position, text: line.slice(1) })
        current.file.deletions++
        oldLeft--
      } else {
        const kind: LineKind = 'context'
        hunk.lines.push({ kind, oldLine: oldNo++, newLine: newNo++, position, text: line.slice(1) })
        oldLeft--
        newLeft--
      }
      continue
    }
    current.lines.push(line)
    if (line.startsWith('\\')) continue
    if (line.startsWith('new file mode')) current.sawOldNull = true
    else if (line.startsWith('deleted file mode')) current.sawNewNull = true
    else if (line.startsWith('rename from ')) {
      current.file.status = 'renamed'
      current.oldPath = unquote(line.slice('rename from '.length))
      current.file.previousFilename = current.oldPath
    } else if (line.startsWith('rename to ')) {
      current.newPath = unquote(line.slice('rename to '.length))
    } else if (line.startsWith('copy from ')) {
      current.file.status = 'copied'
      current.file.previousFilename = unquote(line.slice('copy from '.length))
    } else if (line.startsWith('copy to ')) {
      current.newPath = unquote(line.slice('copy to '.length))
    } else if (line.startsWith('Binary files ') || line === 'GIT binary patch') {
      current.file.binary = true
    }
  }
  if (current) files.push(finish(current))
  return files.filter(file => file.filename !== '')
}

export interface Anchor {
  hunk: Hunk
  line: DiffLine
}

/** Where GitHub would anchor `line` on `side`: added/context lines on RIGHT, deleted/context on LEFT. */
export function findAnchor(
  file: DiffFile,
  side: 'LEFT' | 'RIGHT',
  line: number
): Anchor | undefined {
  for (const hunk of file.hunks) {
    for (const entry of hunk.lines) {
      if (side === 'RIGHT' && entry.kind !== 'del' && entry.newLine === line)
        return { hunk, line: entry }
      if (side === 'LEFT' && entry.kind !== 'add' && entry.oldLine === line)
        return { hunk, line: entry }
    }
  }
  return undefined
}

export function findPosition(file: DiffFile, position: number): Anchor | undefined {
  for (const hunk of file.hunks) {
    for (const entry of hunk.lines) if (entry.position === position) return { hunk, line: entry }
  }
  return undefined
}

/** GitHub's `diff_hunk`: the hunk header and every line up to the commented one. */
export function diffHunk(anchor: Anchor): string {
  const upTo = anchor.hunk.lines.filter(entry => entry.position <= anchor.line.position)
  const mark = (kind: LineKind): string => (kind === 'add' ? '+' : kind === 'del' ? '-' : ' ')
  return [anchor.hunk.header, ...upTo.map(entry => `${mark(entry.kind)}${entry.text}`)].join('\n')
}

export function countLines(text: string): number {
  if (text === '') return 0
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}
