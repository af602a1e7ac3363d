/**
 * Unified diff parsing: what `git diff` prints (with or without a/ b/ prefixes, renames,
 * copies, binary sections, C-quoted paths) or a plain `diff -u` / `diff -ru`, read into files
 * and hunks. Where a review comment may sit on them is commentable.ts; hunk headers and hunk
 * lines are diff-hunks.ts; the path names of header lines are diff-paths.ts.
 */

import { makeHunk, parseHunkHeader, type HunkHeader } from './diff-hunks.js'
import { parseName, splitGitNames, stripPrefix, unquote } from './diff-paths.js'

export type Side = 'LEFT' | 'RIGHT'

export type FileStatus = 'added' | 'deleted' | 'modified' | 'renamed' | 'copied' | 'mode-only'

/**
 * One line of a hunk. Each kind carries the numbers of the sides it exists on; the absent side
 * is typed `undefined` so `line.newLine` reads without narrowing first.
 */
export type DiffLine =
  | { kind: 'context'; oldLine: number; newLine: number; text: string }
  | { kind: 'add'; oldLine?: undefined; newLine: number; text: string }
  | { kind: 'del'; oldLine: number; newLine?: undefined; text: string }

export interface Hunk {
  oldStart: number
  /** Old-side lines present in the hunk (the header's count, unless the diff was cut short). */
  oldLines: number
  newStart: number
  /** New-side lines present in the hunk (the header's count, unless the diff was cut short). */
  newLines: number
  /** The `@@ -a,b +c,d @@ section` line as printed. */
  header: string
  /** Read from the diff text on first use, then kept. */
  readonly lines: DiffLine[]
}

export interface FileDiff {
  /** Null for an added file. */
  oldPath: string | null
  /** Null for a deleted file. */
  newPath: string | null
  /** The path GitHub files comments under: the new path, or the old one for a deletion. */
  path: string
  status: FileStatus
  binary: boolean
  hunks: Hunk[]
  additions: number
  deletions: number
  /** `similarity index N%` of a rename or copy. */
  similarity?: number
  oldMode?: string
  newMode?: string
  /**
   * A type change (symlink ↔ file): git prints it as a deletion and an addition of the same
   * path, and both are kept here, so the old side's lines take LEFT comments too. Its hunks are
   * then not in one order on both sides.
   */
  typeChange?: boolean
  /** Why this file's changes could not be read (the rest of the diff is unaffected). */
  unreadable?: string
}

export interface ParsedDiff {
  files: FileDiff[]
  byPath: Map<string, FileDiff>
}

const SPACE = 0x20
const PLUS = 0x2b
const MINUS = 0x2d
const BACKSLASH = 0x5c
const QUOTE = 0x22
const AT = 0x40
const LOWER_D = 0x64
const CR = 0x0d

/** Header facts collected for one file until its first hunk or binary section. */
interface Pending {
  file: FileDiff
  git: boolean
  /** Names from the `diff --git` line, set only when they could be split unambiguously. */
  gitName: string | null
  /** Whether the `diff --git` names carried a/ b/ style prefixes; undefined when unknown. */
  prefixed: boolean | undefined
  minus: string | null | undefined
  plus: string | null | undefined
  renameFrom: string | undefined
  renameTo: string | undefined
  copied: boolean
  added: boolean
  deleted: boolean
}

/**
 * Parses a unified diff. Never throws: lines it does not understand (commit messages, `Only in`
 * notes, combined merge diffs) are skipped, and a file whose path cannot be found is left out.
 */
export function parseUnifiedDiff(text: string): ParsedDiff {
  const files: FileDiff[] = []
  const byPath = new Map<string, FileDiff>()
  const len = text.length

  let pending: Pending | null = null
  // Extended header lines are only read before the file's first hunk or binary section.
  let inHeader = false
  // Inside a `GIT binary patch` or a combined diff: nothing counts until the next `diff `.
  let skipping = false
  // The open hunk: its header, where its body starts, and the lines its header still owes.
  let open: HunkHeader | null = null
  let bodyStart = 0
  let oldLeft = 0
  let newLeft = 0

  const finish = (): void => {
    if (pending === null) return
    const file = finalize(pending)
    if (file !== null) {
      files.push(file)
      const seen = byPath.get(file.path)
      // A path twice in one diff: git's type change (a deletion, then an addition) is one file
      // with both sides; any other repeat (hand-made or concatenated diffs) keeps the first.
      if (seen === undefined) byPath.set(file.path, file)
      else if (seen.status === 'deleted' && file.status === 'added') {
        byPath.set(file.path, typeChangeOf(seen, file))
      } else if (seen.status === 'deleted' && file.status !== 'deleted') {
        byPath.set(file.path, file)
      }
    }
    pending = null
  }

  // Line by line without splitting: inside hunks (nearly all of a diff) only the first
  // character of a line is read, so parsing allocates per hunk, not per line.
  let pos = 0
  while (pos < len) {
    let eol = text.indexOf('\n', pos)
    if (eol === -1) eol = len
    const c = text.charCodeAt(pos)

    if (open !== null && pending !== null) {
      // The header's counts, not the line's look, decide where a hunk ends: a deleted
      // `-- comment` prints as `--- comment`, an added `++ x` as `+++ x`.
      let taken = true
      if (c === SPACE && oldLeft > 0 && newLeft > 0) {
        oldLeft--
        newLeft--
      } else if (c === MINUS && oldLeft > 0) {
        pending.file.deletions++
        oldLeft--
      } else if (c === PLUS && newLeft > 0) {
        pending.file.additions++
        newLeft--
      } else if (c === BACKSLASH) {
        // `\ No newline at end of file` describes the line before it; it is not a line.
      } else if (eol === pos && oldLeft > 0 && newLeft > 0) {
        // Some tools (and editors) strip the lone space of an empty context line.
        oldLeft--
        newLeft--
      } else {
        // The diff was cut short: keep what arrived and read this line as a header line.
        taken = false
      }
      if (taken) {
        pos = eol + 1
        if (oldLeft === 0 && newLeft === 0) {
          pending.file.hunks.push(makeHunk(text, open, bodyStart, pos, 0, 0))
          open = null
        }
        continue
      }
      pending.file.hunks.push(makeHunk(text, open, bodyStart, pos, oldLeft, newLeft))
      open = null
    }

    const line = text.charCodeAt(eol - 1) === CR ? text.slice(pos, eol - 1) : text.slice(pos, eol)
    pos = eol + 1

    if (c === LOWER_D && line.startsWith('diff ')) {
      finish()
      skipping = false
      if (line.startsWith('diff --git ')) {
        pending = startGitFile(line.slice(11))
        inHeader = true
      } else if (line.startsWith('diff --cc ') || line.startsWith('diff --combined ')) {
        // Merge-commit diffs have no single old side to anchor on.
        skipping = true
        inHeader = false
      }
      // Any other `diff ...` line is the command echo of `diff -r`; its `---`/`+++` follow.
      continue
    }
    if (skipping) continue

    if (c === AT && line.startsWith('@@ -')) {
      if (pending === null || pending.file.binary) continue
      const header = parseHunkHeader(line)
      if (header === null) continue
      if (header.outOfRange) {
        // Not a line number anyone can comment on: this file is unreadable, the rest is not.
        pending.file.unreadable = `its hunk header has a line number past ${Number.MAX_SAFE_INTEGER}: ${line.slice(0, 80)}`
        pending.file.hunks = []
        skipping = true
        inHeader = false
        continue
      }
      inHeader = false
      oldLeft = header.oldLines
      newLeft = header.newLines
      bodyStart = pos
      // `@@ -0,0 +0,0 @@` owes no lines at all; anything else opens the hunk.
      if (oldLeft > 0 || newLeft > 0) open = header
      else pending.file.hunks.push(makeHunk(text, header, pos, pos, 0, 0))
      continue
    }

    if (c === MINUS && line.startsWith('--- ')) {
      if (pending !== null && pending.git && inHeader) {
        pending.minus = parseName(line, 4)
        continue
      }
      // A plain diff starts at `---` only when `+++` and a hunk follow, so a commit message
      // line that happens to start with `--- ` is not taken for a file.
      if (text.startsWith('+++ ', pos)) {
        let plusEnd = text.indexOf('\n', pos)
        if (plusEnd === -1) plusEnd = len
        if (text.startsWith('@@ -', plusEnd + 1)) {
          finish()
          const plus = text.slice(pos, text.charCodeAt(plusEnd - 1) === CR ? plusEnd - 1 : plusEnd)
          pending = startPlainFile(parseName(line, 4), parseName(plus, 4))
          inHeader = false
          pos = plusEnd + 1
        }
      }
      continue
    }

    if (c === 0x42 /* B */ && line.startsWith('Binary files ')) {
      if (!line.endsWith(' differ')) continue
      if (pending !== null && pending.git && inHeader) {
        pending.file.binary = true
        inHeader = false
      } else {
        finish()
        pending = startPlainBinary(line)
      }
      continue
    }

    if (pending !== null && pending.git && inHeader) {
      if (line === 'GIT binary patch') {
        // Its base85 lines must not be read as diff syntax.
        pending.file.binary = true
        skipping = true
        inHeader = false
      } else {
        readGitHeader(pending, line)
      }
    }
  }
  if (open !== null && pending !== null) {
    pending.file.hunks.push(makeHunk(text, open, bodyStart, len, oldLeft, newLeft))
  }
  finish()
  return { files, byPath }
}

/** The deletion and the addition git prints for a type change, as one file with both sides. */
function typeChangeOf(deletion: FileDiff, addition: FileDiff): FileDiff {
  return {
    ...addition,
    oldPath: deletion.oldPath,
    status: 'modified',
    binary: deletion.binary || addition.binary,
    // Each side's lines in one hunk of its own; hunkContaining scans them (see typeChange).
    hunks: [...deletion.hunks, ...addition.hunks],
    additions: addition.additions,
    deletions: deletion.deletions,
    oldMode: deletion.oldMode,
    newMode: addition.newMode,
    typeChange: true
  }
}

function newFile(): FileDiff {
  return {
    oldPath: null,
    newPath: null,
    path: '',
    status: 'modified',
    binary: false,
    hunks: [],
    additions: 0,
    deletions: 0
  }
}

function newPending(git: boolean): Pending {
  return {
    file: newFile(),
    git,
    gitName: null,
    prefixed: undefined,
    minus: undefined,
    plus: undefined,
    renameFrom: undefined,
    renameTo: undefined,
    copied: false,
    added: false,
    deleted: false
  }
}

function startGitFile(names: string): Pending {
  const pending = newPending(true)
  const split = splitGitNames(names)
  if (split !== null) {
    pending.gitName = split.name
    pending.prefixed = split.prefixed
  }
  return pending
}

function startPlainFile(minus: string | null, plus: string | null): Pending {
  const pending = newPending(false)
  pending.minus = minus
  pending.plus = plus
  return pending
}

/** `Binary files X and Y differ` from plain `diff -r`, which has no other header. */
function startPlainBinary(line: string): Pending {
  const pending = newPending(false)
  pending.file.binary = true
  const body = line.slice(13, line.length - 7)
  let at = 0
  let minus: string | null | undefined
  if (body.charCodeAt(0) === QUOTE) {
    const q = unquote(body, 0)
    if (q !== null && body.startsWith(' and ', q.end)) {
      minus = q.value
      at = q.end + 5
    }
  } else {
    const sep = body.indexOf(' and ')
    if (sep > 0) {
      minus = body.slice(0, sep)
      at = sep + 5
    }
  }
  if (minus !== undefined) {
    pending.minus = minus === '/dev/null' ? null : minus
    pending.plus = parseName(body, at)
  }
  return pending
}

function readGitHeader(pending: Pending, line: string): void {
  const file = pending.file
  switch (line.charCodeAt(0)) {
    case PLUS:
      if (line.startsWith('+++ ')) pending.plus = parseName(line, 4)
      return
    case 0x6f /* o */:
      if (line.startsWith('old mode ')) file.oldMode = line.slice(9)
      return
    case 0x6e /* n */:
      if (line.startsWith('new mode ')) file.newMode = line.slice(9)
      else if (line.startsWith('new file mode ')) {
        pending.added = true
        file.newMode = line.slice(14)
      }
      return
    case LOWER_D:
      if (line.startsWith('deleted file mode ')) {
        pending.deleted = true
        file.oldMode = line.slice(18)
      }
      return
    case 0x72 /* r */:
      if (line.startsWith('rename from ')) pending.renameFrom = parseName(line, 12) ?? undefined
      else if (line.startsWith('rename to ')) pending.renameTo = parseName(line, 10) ?? undefined
      return
    case 0x63 /* c */:
      if (line.startsWith('copy from ')) {
        pending.renameFrom = parseName(line, 10) ?? undefined
        pending.copied = true
      } else if (line.startsWith('copy to ')) {
        pending.renameTo = parseName(line, 8) ?? undefined
        pending.copied = true
      }
      return
    case 0x73 /* s */:
      if (line.startsWith('similarity index ')) {
        const n = Number.parseInt(line.slice(17), 10)
        if (Number.isFinite(n)) file.similarity = n
      }
      return
    default:
      return
  }
}

function finalize(pending: Pending): FileDiff | null {
  const file = pending.file
  const prefixed = pending.prefixed
  const minus = stripPrefix(pending.minus, prefixed, 'a/', pending.plus)
  const plus = stripPrefix(pending.plus, prefixed, 'b/', pending.minus)
  // `---`/`+++` say /dev/null for an added or deleted file even when the mode lines are missing
  // (plain diffs never have them).
  const added = pending.added || pending.minus === null
  const deleted = pending.deleted || pending.plus === null
  file.oldPath = added ? null : (pending.renameFrom ?? pending.gitName ?? minus ?? null)
  file.newPath = deleted ? null : (pending.renameTo ?? pending.gitName ?? plus ?? null)
  const path = file.newPath ?? file.oldPath
  if (path === null || path === '') return null
  file.path = path

  if (added) file.status = 'added'
  else if (deleted) file.status = 'deleted'
  else if (pending.copied) file.status = 'copied'
  else if (pending.renameFrom !== undefined || pending.renameTo !== undefined) {
    file.status = 'renamed'
  } else if (
    !file.binary &&
    file.hunks.length === 0 &&
    file.oldMode !== undefined &&
    file.newMode !== undefined &&
    file.oldMode !== file.newMode
  ) {
    file.status = 'mode-only'
  }

  if (!sortedHunks(file.hunks)) file.hunks.sort((a, b) => a.oldStart - b.oldStart)
  return file
}

function sortedHunks(hunks: Hunk[]): boolean {
  for (let i = 1; i < hunks.length; i++) {
    if ((hunks[i] as Hunk).oldStart < (hunks[i - 1] as Hunk).oldStart) return false
  }
  return true
}
