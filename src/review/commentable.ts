/**
 * The question every inline review comment must answer first: can it sit on this line of the
 * parsed diff? GitHub rejects the WHOLE review (422) when one comment misses the diff, so
 * findings are checked here before anything is posted.
 *
 * GitHub's rules, as this module applies them:
 * - RIGHT uses new-file line numbers: added lines and context lines inside a hunk.
 * - LEFT uses old-file line numbers: deleted lines and context lines inside a hunk.
 * - A multi-line comment (start_line..line) lies in ONE hunk, and its start precedes its end.
 * - Binary files and files without hunks (pure renames, mode changes, empty files) take none.
 */

import type { DiffLine, FileDiff, Hunk, ParsedDiff, Side } from './diff.js'

/**
 * The hunk whose `side` range holds `line`, or undefined. Binary search over the hunks, which a
 * diff lists in ascending order on both sides.
 */
export function hunkContaining(file: FileDiff, line: number, side: Side): Hunk | undefined {
  const hunks = file.hunks
  if (file.binary || hunks.length === 0 || !Number.isInteger(line) || line < 1) return undefined
  const left = side === 'LEFT'
  if (file.typeChange) {
    return hunks.find(h => {
      const start = left ? h.oldStart : h.newStart
      const count = left ? h.oldLines : h.newLines
      return count > 0 && line >= start && line < start + count
    })
  }
  // The last hunk starting at or before `line`.
  let lo = 0
  let hi = hunks.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const h = hunks[mid] as Hunk
    if ((left ? h.oldStart : h.newStart) <= line) {
      found = mid
      lo = mid + 1
    } else {
      hi = mid - 1
    }
  }
  // A hunk empty on this side (a pure deletion seen from RIGHT) starts where its neighbour
  // might still be open, so step back past empty ones.
  for (let j = found; j >= 0; j--) {
    const h = hunks[j] as Hunk
    const start = left ? h.oldStart : h.newStart
    const count = left ? h.oldLines : h.newLines
    if (count === 0) continue
    return line < start + count ? h : undefined
  }
  return undefined
}

/** True when GitHub accepts a single-line review comment at `path`, `line`, `side`. */
export function canComment(
  diff: ParsedDiff,
  path: string,
  line: number,
  side: Side = 'RIGHT'
): boolean {
  const file = diff.byPath.get(path)
  return file !== undefined && hunkContaining(file, line, side) !== undefined
}

/**
 * True when GitHub accepts a multi-line comment from `startLine` (on `startSide`) to `line` (on
 * `side`): both ends commentable, both in the same hunk, and the start strictly before the end
 * in the hunk. GitHub refuses a range whose start equals its end ("start line must precede the
 * end line"), so a one-line finding is posted without `start_line`.
 */
export function rangeInOneHunk(
  diff: ParsedDiff,
  path: string,
  startLine: number,
  line: number,
  side: Side = 'RIGHT',
  startSide: Side = side
): boolean {
  const file = diff.byPath.get(path)
  if (file === undefined) return false
  const hunk = hunkContaining(file, line, side)
  if (hunk === undefined || hunkContaining(file, startLine, startSide) !== hunk) return false
  if (startSide === side) return startLine < line
  return rowOf(hunk, startLine, startSide) < rowOf(hunk, line, side)
}

/** Index in `hunk.lines` of the line numbered `line` on `side` (the caller knows it is there). */
function rowOf(hunk: Hunk, line: number, side: Side): number {
  const lines = hunk.lines
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as DiffLine
    if ((side === 'LEFT' ? l.oldLine : l.newLine) === line) return i
  }
  return -1
}
