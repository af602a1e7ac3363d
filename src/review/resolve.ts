import { hunkContaining } from './commentable.js'
import type { ParsedDiff } from './diff.js'
import { readFingerprints } from './findings.js'

/**
 * A review thread as the review logic reads it: where it sits and what its comments say. The
 * threads GitHub lists (github/threads.ts) fit it as they are.
 */
export interface PostedThread {
  isResolved: boolean
  /** The lines it was placed on changed since: GitHub no longer shows it on the diff. */
  isOutdated: boolean
  path: string
  /** Null once outdated; originalLine still says where it was placed. */
  line: number | null
  startLine: number | null
  originalLine: number | null
  originalStartLine: number | null
  diffSide: 'LEFT' | 'RIGHT'
  /** Oldest first: the first comment opened the thread. */
  comments: { body: string; authorIsBot: boolean }[]
}

/**
 * Tandem's own open threads that are most likely fixed: this review no longer reports their
 * finding, and the commits since the last review changed the lines they sit on. A thread whose
 * lines did not change stays open — the reviewer may simply not have looked again.
 */
export function threadsToResolve<T extends PostedThread>(
  threads: T[],
  reportedFingerprints: ReadonlySet<string>,
  change: { sinceSha: string | undefined; diff: ParsedDiff }
): T[] {
  return threads.filter(thread => {
    if (thread.isResolved || thread.comments[0]?.authorIsBot !== true) return false
    const fps = readFingerprints(thread.comments[0].body)
    if (fps.length === 0 || fps.some(fp => reportedFingerprints.has(fp))) return false
    return linesChangedSince(thread, change)
  })
}

function linesChangedSince(
  thread: PostedThread,
  change: { sinceSha: string | undefined; diff: ParsedDiff }
): boolean {
  // Without an incremental diff (first review, force-push) GitHub's own judgement is all we have.
  if (!change.sinceSha) return thread.isOutdated
  if (thread.diffSide !== 'RIGHT') return false
  const file = change.diff.byPath.get(thread.path)
  if (!file) return false
  // The thread was placed on the previously reviewed head, which is the old side of this diff.
  const end = thread.originalLine ?? thread.line
  if (end === null) return false
  const start = thread.originalStartLine ?? thread.startLine ?? end
  // Only lines the new commits deleted or replaced count; context lines around them did not change.
  for (let line = start; line <= end; line++) {
    const hunk = hunkContaining(file, line, 'LEFT')
    if (hunk?.lines.some(l => l.kind === 'del' && l.oldLine === line)) return true
  }
  return false
}
