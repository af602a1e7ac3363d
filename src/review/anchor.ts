import path from 'node:path'
import { canComment, rangeInOneHunk } from './commentable.js'
import type { ParsedDiff } from './diff.js'
import { fenced, inertMarkdown, neutralizeMarkers, oneLine } from '../markdown.js'
import { findingMarker, fingerprint, severityRank, type Finding, type Side } from './findings.js'

/** One inline comment as `pulls.createReview` takes it. */
export interface ReviewComment {
  path: string
  line: number
  side: Side
  start_line?: number
  start_side?: Side
  body: string
}

export interface PlacedFinding {
  finding: Finding
  fingerprint: string
}

export interface InlineFinding extends PlacedFinding {
  comment: ReviewComment
}

export interface UnanchoredFinding extends PlacedFinding {
  reason: string
}

export interface ReviewPlan {
  inline: InlineFinding[]
  /** Findings that cannot sit on a diff line: they go to the review body and the summary. */
  unanchored: UnanchoredFinding[]
  /** Already on the PR from an earlier run (same fingerprint): not posted again. */
  alreadyPosted: PlacedFinding[]
}

export const MAX_COMMENT_BODY = 65_536

const SEVERITY_LABEL: Record<Finding['severity'], string> = {
  critical: '🔴 Critical',
  major: '🟠 Major',
  minor: '🟡 Minor',
  nit: '⚪ Nit'
}

export function severityLabel(severity: Finding['severity']): string {
  return SEVERITY_LABEL[severity]
}

/**
 * Decides where each finding goes: an inline comment when GitHub will accept it on the diff,
 * otherwise the review body and summary, with the reason. No finding is dropped.
 */
export function planReview(
  findings: Finding[],
  diff: ParsedDiff,
  options: {
    existingFingerprints: ReadonlySet<string>
    maxInlineComments: number
    /**
     * False in an incremental review: the reviewer's old-side numbers are those of the last
     * reviewed head, not of the base the PR diff is anchored on.
     */
    allowLeftSide?: boolean
  }
): ReviewPlan {
  const plan: ReviewPlan = { inline: [], unanchored: [], alreadyPosted: [] }
  const seen = new Set<string>()
  // Most severe first, so the inline cap keeps the findings that matter most on the code.
  // The plan hands back the caller's own Finding objects (callers key maps by them); only the
  // comment is built from the normalized copy.
  const ordered = findings
    .map((finding, index) => ({ finding, normalized: normalize(finding), index }))
    .sort(
      (a, b) =>
        severityRank(a.finding.severity) - severityRank(b.finding.severity) || a.index - b.index
    )
  for (const { finding, normalized } of ordered) {
    const fp = fingerprint(normalized)
    if (options.existingFingerprints.has(fp)) {
      plan.alreadyPosted.push({ finding, fingerprint: fp })
      continue
    }
    if (seen.has(fp)) {
      plan.unanchored.push({
        finding,
        fingerprint: fp,
        reason: 'repeats another finding of this review'
      })
      continue
    }
    seen.add(fp)
    const reason = whyNotAnchorable(normalized, diff)
    if (reason) {
      plan.unanchored.push({ finding, fingerprint: fp, reason })
    } else if (plan.inline.length >= options.maxInlineComments) {
      plan.unanchored.push({
        finding,
        fingerprint: fp,
        reason: `over the limit of ${options.maxInlineComments} inline comments`
      })
    } else {
      plan.inline.push({ finding, fingerprint: fp, comment: toComment(normalized, fp) })
    }
  }
  return plan
}

/** Why GitHub would refuse this finding as an inline comment, or undefined if it would not. */
export function whyNotAnchorable(finding: Finding, diff: ParsedDiff): string | undefined {
  if (isOutsideRepository(finding.path)) return 'the path is outside the repository'
  const file = diff.byPath.get(finding.path)
  if (!file) return 'the pull request does not change this file'
  if (file.unreadable) return `the diff of this file is unreadable: ${file.unreadable}`
  if (file.binary) return 'binary file'
  if (file.hunks.length === 0) return 'the file has no textual changes'
  const side = finding.side ?? 'RIGHT'
  if (finding.start_line !== undefined) {
    if (finding.start_line > finding.line) return 'start_line is after line'
    if (!rangeInOneHunk(diff, finding.path, finding.start_line, finding.line, side)) {
      return canComment(diff, finding.path, finding.line, side) &&
        canComment(diff, finding.path, finding.start_line, side)
        ? 'the line range spans more than one hunk'
        : 'the lines are outside the diff'
    }
    return undefined
  }
  return canComment(diff, finding.path, finding.line, side)
    ? undefined
    : 'the line is outside the diff'
}

function toComment(finding: Finding, fp: string): ReviewComment {
  const side = finding.side ?? 'RIGHT'
  const comment: ReviewComment = {
    path: finding.path,
    line: finding.line,
    side,
    body: renderFindingComment(finding, fp)
  }
  if (finding.start_line !== undefined) {
    comment.start_line = finding.start_line
    comment.start_side = side
  }
  return comment
}

/** An inline comment body: severity, title, text, suggestion, and the fingerprint marker last. */
export function renderFindingComment(finding: Finding, fp: string): string {
  const marker = findingMarker(fp)
  // The model's words are posted inert: no mention pings, no image loads, no HTML or marker.
  const head = `**${severityLabel(finding.severity)}** · ${inertMarkdown(oneLine(finding.title))}`
  let suggestion = ''
  if (finding.suggestion !== undefined) {
    // GitHub applies suggestions to the new file only; on a deleted line it is plain code.
    const language = (finding.side ?? 'RIGHT') === 'RIGHT' ? 'suggestion' : ''
    suggestion = `\n\n${fenced(neutralizeMarkers(finding.suggestion.replace(/\n$/, '')), language)}`
  }
  const fixed = `${head}\n\n\n${suggestion}\n\n${marker}`.length
  const room = MAX_COMMENT_BODY - fixed - 40
  const full = finding.body.trim()
  // Cut first, then made inert: a cut through a code span would otherwise leave its end as
  // prose, which GitHub would render (a mention in it would ping).
  const text = inertMarkdown(
    full.length > room ? `${full.slice(0, Math.max(0, room))}… (cut to fit GitHub's limit)` : full
  )
  const body = `${head}\n\n${text}${suggestion}\n\n${marker}`
  // A suggestion larger than GitHub allows cannot be cut without changing its meaning: drop it.
  return body.length <= MAX_COMMENT_BODY
    ? body
    : `${head}\n\n${inertMarkdown(`${full.slice(0, 1000)}… (too long for GitHub; see the summary)`)}\n\n${marker}`
}

function normalize(finding: Finding): Finding {
  const cleaned = finding.path.trim().replace(/^\.\//, '')
  // GitHub refuses a range whose start equals its end: that is a one-line comment.
  const singleLine = finding.start_line !== undefined && finding.start_line === finding.line
  if (cleaned === finding.path && !singleLine) return finding
  const copy: Finding = { ...finding, path: cleaned }
  if (singleLine) delete copy.start_line
  return copy
}

function isOutsideRepository(file: string): boolean {
  if (file === '' || path.posix.isAbsolute(file) || /^[A-Za-z]:[\\/]/.test(file)) return true
  const normalized = path.posix.normalize(file)
  return normalized === '..' || normalized.startsWith('../')
}
