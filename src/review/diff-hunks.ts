/** A hunk's header (`@@ -a,b +c,d @@`) and its lines, read from the diff text on demand. */

import type { DiffLine, Hunk } from './diff.js'

const SPACE = 0x20
const PLUS = 0x2b
const MINUS = 0x2d
const BACKSLASH = 0x5c
const COMMA = 0x2c
const DIGIT_0 = 0x30
const DIGIT_9 = 0x39

export interface HunkHeader {
  oldStart: number
  oldLines: number
  newStart: number
  newLines: number
  header: string
  /** A number too large to be exact (above 2^53 − 1): the header is well-formed but absurd. */
  outOfRange?: boolean
}

/**
 * A hunk whose `lines` are read from the diff text on first use. Most hunks are never looked at
 * line by line (anchoring needs only the ranges), and building an object per line of a large
 * diff costs more in garbage collection than the whole parse.
 */
export function makeHunk(
  text: string,
  h: HunkHeader,
  from: number,
  to: number,
  oldMissing: number,
  newMissing: number
): Hunk {
  let lines: DiffLine[] | undefined
  return {
    oldStart: h.oldStart,
    oldLines: h.oldLines - oldMissing,
    newStart: h.newStart,
    newLines: h.newLines - newMissing,
    header: h.header,
    get lines(): DiffLine[] {
      lines ??= readLines(text, from, Math.min(to, text.length), h.oldStart, h.newStart)
      return lines
    }
  }
}

/** The lines of a hunk body the parser has already checked against the header's counts. */
function readLines(
  text: string,
  from: number,
  to: number,
  oldStart: number,
  newStart: number
): DiffLine[] {
  const out: DiffLine[] = []
  let oldNo = oldStart
  let newNo = newStart
  let pos = from
  while (pos < to) {
    let eol = text.indexOf('\n', pos)
    if (eol === -1 || eol > to) eol = to
    const c = text.charCodeAt(pos)
    if (c === MINUS) out.push({ kind: 'del', oldLine: oldNo++, text: text.slice(pos + 1, eol) })
    else if (c === PLUS) out.push({ kind: 'add', newLine: newNo++, text: text.slice(pos + 1, eol) })
    else if (c !== BACKSLASH) {
      const body = eol > pos ? text.slice(pos + 1, eol) : ''
      out.push({ kind: 'context', oldLine: oldNo++, newLine: newNo++, text: body })
    }
    pos = eol + 1
  }
  return out
}

/** `@@ -a[,b] +c[,d] @@[ section]`; an omitted count means 1. */
export function parseHunkHeader(line: string): HunkHeader | null {
  let i = 4
  const oldStart = readInt(line, i)
  if (oldStart === null) return null
  i = oldStart.end
  let oldLines = 1
  if (line.charCodeAt(i) === COMMA) {
    const n = readInt(line, i + 1)
    if (n === null) return null
    oldLines = n.value
    i = n.end
  }
  if (line.charCodeAt(i) !== SPACE || line.charCodeAt(i + 1) !== PLUS) return null
  const newStart = readInt(line, i + 2)
  if (newStart === null) return null
  i = newStart.end
  let newLines = 1
  if (line.charCodeAt(i) === COMMA) {
    const n = readInt(line, i + 1)
    if (n === null) return null
    newLines = n.value
    i = n.end
  }
  if (!line.startsWith(' @@', i)) return null
  const numbers = [oldStart.value, oldLines, newStart.value, newLines]
  return {
    oldStart: oldStart.value,
    oldLines,
    newStart: newStart.value,
    newLines,
    header: line,
    outOfRange: numbers.some(n => !Number.isSafeInteger(n))
  }
}

function readInt(s: string, at: number): { value: number; end: number } | null {
  let value = 0
  let i = at
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < DIGIT_0 || c > DIGIT_9) break
    value = value * 10 + (c - DIGIT_0)
  }
  return i === at ? null : { value, end: i }
}
