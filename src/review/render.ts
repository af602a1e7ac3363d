import { SEVERITIES, type Severity } from './severity.js'
import { severityLabel, type PlacedFinding, type UnanchoredFinding } from './anchor.js'
import {
  REVIEW_MARKER,
  SUMMARY_MARKER,
  findingMarker,
  reviewedMarker,
  type Finding,
  type Verdict
} from './findings.js'
import { fenced, inertMarkdown, inlineCode, neutralizeMarkers, tableCell } from '../markdown.js'
import { MAX_BODY_CHARS } from '../github/body.js'

export interface SummaryInput {
  verdict: Verdict
  summary: string
  /** Every finding the reviewer reported this run, wherever it went. */
  findings: Finding[]
  unanchored: UnanchoredFinding[]
  inlineCount: number
  alreadyPostedCount: number
  headSha: string
  sinceSha?: string
  reviewUrl?: string
  costUsd: number
  numTurns: number
  /** Set when the review could not be posted (fork PR with a read-only token, …). */
  notice?: string
  /** Fingerprints listed by earlier runs, kept (hidden) so a finding that returns is known. */
  carriedFingerprints?: string[]
  /** The sticky marker of the job that owns the summary (summaryMarker); default the plain one. */
  marker?: string
}

const VERDICT_TEXT: Record<Verdict, string> = {
  approve: '✅ Looks good',
  comment: '💬 Comments',
  request_changes: '🛑 Changes requested'
}

export function countBySeverity(findings: Pick<Finding, 'severity'>[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map(s => [s, 0])) as Record<Severity, number>
  for (const finding of findings) counts[finding.severity]++
  return counts
}

function countsLine(findings: Finding[]): string {
  if (findings.length === 0) return 'No findings.'
  const counts = countBySeverity(findings)
  return SEVERITIES.filter(s => counts[s] > 0)
    .map(s => `${counts[s]} ${severityLabel(s)}`)
    .join(' · ')
}

/**
 * A finding that could not be placed on a line, as a list entry. Its body and suggestion keep
 * at most `cap` characters each (see fitListing); the title and location are always whole.
 */
export function renderUnanchored(item: UnanchoredFinding, cap = Infinity): string {
  const { finding } = item
  const where = finding.start_line
    ? `${finding.path}:${finding.start_line}-${finding.line}`
    : `${finding.path}:${finding.line}`
  const lines = [
    `- **${severityLabel(finding.severity)}** · ${inertMarkdown(finding.title.trim())} — ${inlineCode(where)} _(${item.reason})_`,
    '',
    indent(inertMarkdown(shorten(finding.body.trim(), cap)))
  ]
  if (finding.suggestion !== undefined) {
    const suggestion = shorten(finding.suggestion, cap)
    lines.push(
      '',
      indent(
        suggestion === finding.suggestion
          ? `Suggested replacement:\n\n${fenced(neutralizeMarkers(suggestion), '')}`
          : `Suggested replacement (cut):\n\n${fenced(neutralizeMarkers(suggestion), '')}`
      )
    )
  }
  return lines.join('\n')
}

// Room left for what is added on posting (github/publish.ts appends the review's run marker).
const LISTING_CHARS = MAX_BODY_CHARS - 1024

/**
 * `render(cap)` with the largest cap on each long text (the summary, every listed body and
 * suggestion) that keeps it within GitHub's limit, so one long text cannot push the findings
 * after it out of a body that fitBody then cuts. Without a cap when it fits. A listing too long
 * even with every text cut away (thousands of findings) is left for fitBody to cut.
 */
export function fitListing(render: (cap: number) => string): string {
  const whole = render(Infinity)
  if (charCount(whole) <= LISTING_CHARS) return whole
  let low = 0
  let high = charCount(whole)
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    if (charCount(render(mid)) <= LISTING_CHARS) low = mid
    else high = mid - 1
  }
  return render(low)
}

/** `text` cut to `cap` characters (code points), saying so. */
function shorten(text: string, cap: number): string {
  if (text.length <= cap) return text
  let end = 0
  let count = 0
  for (const char of text) {
    if (count === cap) break
    end += char.length
    count++
  }
  if (end === text.length) return text
  return `${text.slice(0, end)}… [cut here: the whole text is in the run's findings output]`
}

function charCount(text: string): number {
  let count = 0
  for (const _ of text) count++
  return count
}

/** The body of the one pull request review: summary plus what could not go inline. */
export function renderReviewBody(input: {
  summary: string
  unanchored: UnanchoredFinding[]
}): string {
  return fitListing(cap => reviewBodyText(input, cap))
}

function reviewBodyText(
  input: { summary: string; unanchored: UnanchoredFinding[] },
  cap: number
): string {
  const parts = [
    `### Tandem review`,
    '',
    inertMarkdown(shorten(input.summary.trim(), cap)) || 'No summary.'
  ]
  if (input.unanchored.length > 0) {
    parts.push(
      '',
      `**Findings that could not be placed on a changed line (${input.unanchored.length})**`,
      ''
    )
    parts.push(...input.unanchored.map(item => renderUnanchored(item, cap)))
  }
  // Markers are read back only from the trailer, the lines after everything else.
  parts.push('', ...input.unanchored.map(item => findingMarker(item.fingerprint)), REVIEW_MARKER)
  return parts.join('\n')
}

/** The sticky summary comment, replaced on every run; found again by SUMMARY_MARKER. */
export function renderSummaryComment(input: SummaryInput): string {
  return fitListing(cap => summaryCommentText(input, cap))
}

function summaryCommentText(input: SummaryInput, cap: number): string {
  const parts = [
    `## Tandem review: ${VERDICT_TEXT[input.verdict]}`,
    '',
    inertMarkdown(shorten(input.summary.trim(), cap)) || 'No summary.',
    '',
    `**Findings:** ${countsLine(input.findings)}`,
    ''
  ]
  const facts = [
    `${input.inlineCount} new inline comment(s)`,
    `${input.alreadyPostedCount} already on the PR`,
    `${input.unanchored.length} listed below`
  ]
  parts.push(`_${facts.join(' · ')}_`)
  if (input.notice) parts.push('', `> [!NOTE]\n> ${input.notice}`)
  if (input.unanchored.length > 0) {
    parts.push(
      '',
      `### Not on a changed line`,
      '',
      ...input.unanchored.map(item => renderUnanchored(item, cap))
    )
  }
  const scope = input.sinceSha
    ? `changes since \`${input.sinceSha.slice(0, 7)}\``
    : 'the whole pull request'
  parts.push(
    '',
    `<sub>Reviewed ${scope} at \`${input.headSha.slice(0, 7)}\`` +
      (input.reviewUrl ? ` · [review](${input.reviewUrl})` : '') +
      ` · ${input.numTurns} turns · $${input.costUsd.toFixed(4)}</sub>`,
    '',
    // The trailer: the only place markers are read back from (trailerMarkers).
    input.marker ?? SUMMARY_MARKER,
    reviewedMarker(input.headSha),
    ...[
      ...new Set([
        ...input.unanchored.map(item => item.fingerprint),
        ...(input.carriedFingerprints ?? [])
      ])
    ].map(findingMarker)
  )
  return parts.join('\n') + '\n'
}

/** The job summary: verdict and one row per finding, with where it went. */
export function renderFindingsTable(input: {
  verdict: Verdict
  findings: Finding[]
  placement: Map<Finding, string>
}): string {
  const lines = [
    `### Review: ${VERDICT_TEXT[input.verdict]}`,
    '',
    `**Findings:** ${countsLine(input.findings)}`
  ]
  if (input.findings.length > 0) {
    lines.push('', '| Severity | Location | Finding | Posted |', '|---|---|---|---|')
    for (const finding of input.findings) {
      const where = finding.start_line
        ? `${finding.path}:${finding.start_line}-${finding.line}`
        : `${finding.path}:${finding.line}`
      lines.push(
        `| ${severityLabel(finding.severity)} | ${tableCell(inlineCode(where))} | ${tableCell(inertMarkdown(finding.title))} | ${tableCell(input.placement.get(finding) ?? '')} |`
      )
    }
  }
  return lines.join('\n') + '\n'
}

function indent(text: string): string {
  return text
    .split('\n')
    .map(line => (line ? `  ${line}` : line))
    .join('\n')
}

export type { PlacedFinding }

/**
 * Reads back what renderFindingComment wrote: the severity and title of an open thread, so a
 * later run can count findings it reported before and the reviewer can be told about them.
 */
export function parseFindingComment(
  body: string
): { severity: Severity; title: string } | undefined {
  const head = body.split('\n', 1)[0] ?? ''
  for (const severity of SEVERITIES) {
    const prefix = `**${severityLabel(severity)}** · `
    if (head.startsWith(prefix)) return { severity, title: head.slice(prefix.length).trim() }
  }
  return undefined
}
