import { createHash } from 'node:crypto'
import { SEVERITIES, type Severity } from './severity.js'

export type Side = 'LEFT' | 'RIGHT'
export type Verdict = 'approve' | 'comment' | 'request_changes'

/** One finding as the reviewer reports it (CONTRACT.md, "The reviewer's structured output"). */
export interface Finding {
  path: string
  line: number
  start_line?: number
  side?: Side
  severity: Severity
  title: string
  body: string
  suggestion?: string
}

export interface ReviewOutput {
  summary: string
  verdict: Verdict
  findings: Finding[]
}

/** The schema handed to the reviewer with --json-schema; public, see CONTRACT.md. */
export const REVIEW_SCHEMA = {
  type: 'object',
  required: ['summary', 'verdict', 'findings'],
  properties: {
    summary: { type: 'string' },
    verdict: { enum: ['approve', 'comment', 'request_changes'] },
    findings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'line', 'severity', 'title', 'body'],
        properties: {
          path: { type: 'string' },
          line: { type: 'integer', minimum: 1 },
          start_line: { type: 'integer', minimum: 1 },
          side: { enum: ['RIGHT', 'LEFT'] },
          severity: { enum: ['critical', 'major', 'minor', 'nit'] },
          title: { type: 'string' },
          body: { type: 'string' },
          suggestion: { type: 'string' }
        }
      }
    }
  }
} as const

/**
 * Checks the reviewer's structured output. The CLI already enforces the schema, but a review
 * posted from a malformed object would be wrong in public, so every field is checked again.
 */
export function parseReviewOutput(value: unknown): ReviewOutput {
  if (!isRecord(value)) throw new Error('the reviewer returned no structured output object')
  const { summary, verdict, findings } = value
  if (typeof summary !== 'string') throw new Error('review output: "summary" must be a string')
  if (verdict !== 'approve' && verdict !== 'comment' && verdict !== 'request_changes') {
    throw new Error(`review output: "verdict" has value ${JSON.stringify(verdict)}`)
  }
  if (!Array.isArray(findings)) throw new Error('review output: "findings" must be an array')
  return { summary, verdict, findings: findings.map((item, i) => parseFinding(item, i)) }
}

function parseFinding(item: unknown, index: number): Finding {
  const where = `review output: findings[${index}]`
  if (!isRecord(item)) throw new Error(`${where} must be an object`)
  const text = (key: string): string => {
    const value = item[key]
    if (typeof value !== 'string') throw new Error(`${where}.${key} must be a string`)
    return value
  }
  const lineNumber = (key: string): number | undefined => {
    const value = item[key]
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new Error(`${where}.${key} must be a whole number ≥ 1, got ${JSON.stringify(value)}`)
    }
    return value
  }
  const severity = text('severity') as Severity
  if (!SEVERITIES.includes(severity)) {
    throw new Error(`${where}.severity has value ${JSON.stringify(severity)}`)
  }
  const side = item.side
  if (side !== undefined && side !== 'LEFT' && side !== 'RIGHT') {
    throw new Error(`${where}.side has value ${JSON.stringify(side)}`)
  }
  const finding: Finding = {
    path: text('path'),
    line: lineNumber('line')!,
    severity,
    title: text('title'),
    body: text('body')
  }
  if (finding.line === undefined) throw new Error(`${where}.line is required`)
  const startLine = lineNumber('start_line')
  if (startLine !== undefined && startLine !== finding.line) finding.start_line = startLine
  if (side) finding.side = side
  if (item.suggestion !== undefined) finding.suggestion = text('suggestion')
  return finding
}

/** Index in SEVERITIES: 0 is the most severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold)
}

/**
 * A finding's identity across runs: its file and what it says, never its line number, so a
 * finding that moves with the code is still recognised (and not posted again).
 */
export function fingerprint(finding: Pick<Finding, 'path' | 'title' | 'side'>): string {
  // Letters and digits of any script: an ASCII-only class would reduce a title written in,
  // say, Japanese to '' and give every such finding in a file the same fingerprint.
  const normalizedTitle = finding.title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
  const path = finding.path.replace(/^\.?\//, '')
  return createHash('sha256')
    .update(`${path}\0${finding.side ?? 'RIGHT'}\0${normalizedTitle}`)
    .digest('hex')
    .slice(0, 16)
}

/** The sticky summary's marker outside Actions, and in summaries Tandem wrote before 0.3. */
export const SUMMARY_MARKER = '<!-- tandem:summary -->'

/**
 * The sticky summary's marker for the job that owns it, `<!-- tandem:summary job=W/J -->` (see
 * stickyJob): two workflows, or two jobs of one, that review the same pull request each keep a
 * summary of their own instead of overwriting one. Without a job, the plain SUMMARY_MARKER.
 */
export function summaryMarker(job: string | undefined): string {
  return job ? `<!-- tandem:summary job=${markerValue(job)} -->` : SUMMARY_MARKER
}

// Letters, digits and `._/-` as they are; anything else (spaces, `>`, quotes) percent-encoded,
// so a workflow's name can neither end the marker nor make two jobs' markers alike.
function markerValue(text: string): string {
  return text.replace(/[^A-Za-z0-9._/-]/gu, c =>
    [...Buffer.from(c, 'utf8')]
      .map(b => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join('')
  )
}

/** Ends every review body, so a `pull_request_review` event can tell Tandem's reviews apart. */
export const REVIEW_MARKER = '<!-- tandem:review -->'

export function findingMarker(fp: string): string {
  return `<!-- tandem:finding fp=${fp} -->`
}

export function reviewedMarker(sha: string): string {
  return `<!-- tandem:reviewed sha=${sha} -->`
}

// One marker, alone on its line: `<!-- tandem:… -->` with no other comment end inside.
const MARKER_LINE = /^<!-- tandem:(?:(?!-->)[^\n])* -->$/

/**
 * The markers Tandem wrote into a body: the lines at its very end that are markers, after the
 * last line that is not one (trailing blank lines aside), in their order. Tandem appends its
 * markers last, after every piece of text the model or a person wrote, so a marker anywhere
 * else — in the model's summary, in a finding's text, in a code block, or at the end of such
 * text with a blank line or any of Tandem's own lines after it — is not Tandem's, and is never
 * read. Only a comment by Tandem's own login (identity.ts) is read at all.
 */
export function trailerMarkers(body: string): string[] {
  const lines = body.split(/\r?\n/).map(line => line.trim())
  while (lines.length > 0 && lines.at(-1) === '') lines.pop()
  const trailer: string[] = []
  for (let i = lines.length - 1; i >= 0 && MARKER_LINE.test(lines[i]!); i--) {
    trailer.unshift(lines[i]!)
  }
  return trailer
}

/** Whether `marker` is one of the body's trailer markers (see trailerMarkers). */
export function hasTrailerMarker(body: string, marker: string): boolean {
  return trailerMarkers(body).includes(marker)
}

/** The fingerprints in a body's trailer (see trailerMarkers); markers elsewhere do not count. */
export function readFingerprints(body: string): string[] {
  return trailerMarkers(body).flatMap(marker => {
    const match = /^<!-- tandem:finding fp=([0-9a-f]+) -->$/.exec(marker)
    return match ? [match[1]!] : []
  })
}

/** The reviewed head the body's trailer records: its last reviewed marker. */
export function readReviewedSha(body: string): string | undefined {
  let sha: string | undefined
  for (const marker of trailerMarkers(body)) {
    const match = /^<!-- tandem:reviewed sha=([0-9a-f]{7,64}) -->$/.exec(marker)
    if (match) sha = match[1]
  }
  return sha
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
