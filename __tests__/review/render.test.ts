import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { planReview, severityLabel, type UnanchoredFinding } from '../../src/review/anchor.js'
import { parseUnifiedDiff } from '../../src/review/diff.js'
import {
  SUMMARY_MARKER,
  findingMarker,
  fingerprint,
  readFingerprints,
  readReviewedSha,
  reviewedMarker,
  trailerMarkers,
  type Finding
} from '../../src/review/findings.js'
import { MAX_BODY_CHARS } from '../../src/github/body.js'
import {
  countBySeverity,
  renderFindingsTable,
  renderReviewBody,
  renderSummaryComment,
  renderUnanchored,
  type SummaryInput
} from '../../src/review/render.js'

const HEAD = '1234567890abcdef1234567890abcdef12345678'
const SINCE = 'fedcba0987654321fedcba0987654321fedcba09'

const finding = (over: Partial<Finding>): Finding => ({
  path: 'src/a.ts',
  line: 10,
  severity: 'minor',
  title: 'A finding',
  body: 'Because.',
  ...over
})

const off = (f: Finding, reason = 'the line is outside the diff'): UnanchoredFinding => ({
  finding: f,
  fingerprint: fingerprint(f),
  reason
})

const outside = finding({ severity: 'major', title: 'Leaks the token', line: 200 })
const across = finding({
  severity: 'critical',
  title: 'Race on cache',
  path: 'src/b.ts',
  start_line: 3,
  line: 40,
  body: 'Two writers.\n\nSecond paragraph.',
  suggestion: 'lock()\n```\nnot a fence end\n```'
})
const nit = finding({ severity: 'nit', title: 'Name', path: 'src/c.ts', line: 2 })

function summaryInput(over: Partial<SummaryInput> = {}): SummaryInput {
  return {
    verdict: 'request_changes',
    summary: '  Two real problems.  ',
    findings: [outside, across, nit, finding({ severity: 'major', title: 'Another major' })],
    unanchored: [off(across, 'the line range spans more than one hunk'), off(outside)],
    inlineCount: 1,
    alreadyPostedCount: 1,
    headSha: HEAD,
    costUsd: 0.12345,
    numTurns: 7,
    ...over
  }
}

describe('countBySeverity', () => {
  it('counts every severity, zeros included', () => {
    expect(countBySeverity([])).toEqual({ critical: 0, major: 0, minor: 0, nit: 0 })
    expect(countBySeverity([outside, across, nit, outside])).toEqual({
      critical: 1,
      major: 2,
      minor: 0,
      nit: 1
    })
  })
})

describe('renderUnanchored', () => {
  it('keeps severity, title, location, reason, body, suggestion and the marker', () => {
    const text = renderUnanchored(off(across, 'the line range spans more than one hunk'))
    const lines = text.split('\n')
    expect(lines[0]).toBe(
      `- **${severityLabel('critical')}** · Race on cache — \`src/b.ts:3-40\` _(the line range spans more than one hunk)_`
    )
    expect(text).toContain('\n  Two writers.\n\n  Second paragraph.\n')
    expect(text).toContain('  Suggested replacement:\n\n  ````\n  lock()\n  ```\n')
    // Its marker goes into the trailer of the body it is listed in, not into the entry.
    expect(text).not.toContain('<!--')
  })

  it('writes a single line as path:line and leaves out an absent suggestion', () => {
    const text = renderUnanchored(off(outside))
    expect(text).toContain('`src/a.ts:200`')
    expect(text).not.toContain('Suggested replacement')
  })
})

describe('renderReviewBody', () => {
  it('carries the summary and every unanchored finding with its marker', () => {
    const unanchored = [off(across), off(outside), off(nit, 'over the limit of 2 inline comments')]
    const body = renderReviewBody({ summary: 'Summary text.', unanchored })
    expect(body.startsWith('### Tandem review\n\nSummary text.\n')).toBe(true)
    expect(body).toContain('**Findings that could not be placed on a changed line (3)**')
    expect(readFingerprints(body)).toEqual(unanchored.map(u => u.fingerprint))
    expect(body).toContain('_(over the limit of 2 inline comments)_')
  })

  it('cuts long texts, never a finding: every title and location stays within the limit', () => {
    const long = finding({ title: 'The long one', body: 'b'.repeat(70_000) })
    const after = [outside, across, nit].map(f => off(f))
    const unanchored = [off(long), ...after]
    for (const body of [
      renderReviewBody({ summary: 'S'.repeat(70_000), unanchored }),
      renderSummaryComment(summaryInput({ summary: 'S'.repeat(70_000), unanchored }))
    ]) {
      expect([...body].length).toBeLessThanOrEqual(MAX_BODY_CHARS)
      expect(body).toContain('b'.repeat(10_000))
      for (const f of [long, outside, across, nit]) {
        expect(body).toContain(`${f.title} — \`${f.path}:`)
      }
      expect(readFingerprints(body)).toEqual(
        expect.arrayContaining(unanchored.map(u => u.fingerprint))
      )
      expect(body.match(/the whole text is in the run's findings output/g)).toHaveLength(2)
      // The short bodies and the suggestion after the long one are whole.
      expect(body).toContain('  Two writers.\n\n  Second paragraph.')
      expect(body).toContain('lock()')
    }
  })

  it('cuts nothing that fits', () => {
    const unanchored = [off(finding({ body: 'b'.repeat(50_000) }))]
    expect(renderReviewBody({ summary: 'S'.repeat(10_000), unanchored })).toContain(
      'b'.repeat(50_000)
    )
  })

  it('says so when the summary is empty, and lists nothing when every finding is inline', () => {
    expect(renderReviewBody({ summary: ' ', unanchored: [] })).toBe(
      '### Tandem review\n\nNo summary.\n\n<!-- tandem:review -->'
    )
  })
})

describe('renderSummaryComment', () => {
  it('ends with a trailer of the sticky marker, the reviewed head and the fingerprints', () => {
    const input = summaryInput()
    const body = renderSummaryComment(input)
    expect(body.startsWith('## Tandem review')).toBe(true)
    expect(trailerMarkers(body)).toEqual([
      SUMMARY_MARKER,
      reviewedMarker(HEAD),
      ...input.unanchored.map(u => findingMarker(u.fingerprint))
    ])
    expect(readReviewedSha(body)).toBe(HEAD)
  })

  it('carries the marker of the job that owns it', () => {
    const marker = '<!-- tandem:summary job=.github/workflows/review.yml/review -->'
    const body = renderSummaryComment({ ...summaryInput(), marker })
    expect(trailerMarkers(body)[0]).toBe(marker)
    expect(trailerMarkers(body)).not.toContain(SUMMARY_MARKER)
  })

  it('counts findings by severity, most severe first', () => {
    const body = renderSummaryComment(summaryInput())
    expect(body).toContain(
      `**Findings:** 1 ${severityLabel('critical')} · 2 ${severityLabel('major')} · 1 ${severityLabel('nit')}\n`
    )
    expect(renderSummaryComment(summaryInput({ findings: [], unanchored: [] }))).toContain(
      '**Findings:** No findings.'
    )
  })

  it('lists every unanchored finding with its reason and fingerprint marker', () => {
    const input = summaryInput()
    const body = renderSummaryComment(input)
    expect(body).toContain('### Not on a changed line')
    expect(readFingerprints(body)).toEqual(input.unanchored.map(u => u.fingerprint))
    expect(body).toContain('Race on cache — `src/b.ts:3-40` _(the line range spans more than one')
    expect(body).toContain('Leaks the token — `src/a.ts:200` _(the line is outside the diff)_')
    expect(body).toContain('_1 new inline comment(s) · 1 already on the PR · 2 listed below_')
  })

  it('says what was reviewed, links the review, and shows turns and cost', () => {
    const body = renderSummaryComment(
      summaryInput({ sinceSha: SINCE, reviewUrl: 'https://github.com/o/r/pull/1#r1' })
    )
    expect(body).toContain('## Tandem review: 🛑 Changes requested')
    expect(body).toContain('\nTwo real problems.\n')
    expect(body).toContain(
      '<sub>Reviewed changes since `fedcba0` at `1234567` · [review](https://github.com/o/r/pull/1#r1) · 7 turns · $0.1235</sub>'
    )
    expect(renderSummaryComment(summaryInput())).toContain(
      '<sub>Reviewed the whole pull request at `1234567` · 7 turns · $0.1235</sub>'
    )
  })

  it('shows a notice and no unanchored section when there is none', () => {
    const body = renderSummaryComment(
      summaryInput({
        verdict: 'approve',
        summary: '',
        findings: [],
        unanchored: [],
        notice: 'The token is read-only.'
      })
    )
    expect(body).toContain('## Tandem review: ✅ Looks good')
    expect(body).toContain('\nNo summary.\n')
    expect(body).toContain('> [!NOTE]\n> The token is read-only.')
    expect(body).not.toContain('Not on a changed line')
    expect(readFingerprints(body)).toEqual([])
  })
})

describe('renderFindingsTable', () => {
  it('has one row per finding with where it went', () => {
    const piped = finding({ title: 'a | b\nsecond line', path: 'src/x|y.ts' })
    const placement = new Map<Finding, string>([
      [outside, 'summary (the line is outside the diff)'],
      [across, 'inline']
    ])
    const table = renderFindingsTable({
      verdict: 'comment',
      findings: [outside, across, piped],
      placement
    })
    expect(table.split('\n')).toEqual([
      '### Review: 💬 Comments',
      '',
      `**Findings:** 1 ${severityLabel('critical')} · 1 ${severityLabel('major')} · 1 ${severityLabel('minor')}`,
      '',
      '| Severity | Location | Finding | Posted |',
      '|---|---|---|---|',
      `| ${severityLabel('major')} | \`src/a.ts:200\` | Leaks the token | summary (the line is outside the diff) |`,
      `| ${severityLabel('critical')} | \`src/b.ts:3-40\` | Race on cache | inline |`,
      `| ${severityLabel('minor')} | \`src/x\\|y.ts:10\` | a \\| b second line |  |`,
      ''
    ])
  })

  it('has no table without findings', () => {
    expect(renderFindingsTable({ verdict: 'approve', findings: [], placement: new Map() })).toBe(
      '### Review: ✅ Looks good\n\n**Findings:** No findings.\n'
    )
  })

  it("fills the Posted column from planReview's result, even for a path it normalized", () => {
    const diff = parseUnifiedDiff(
      readFileSync(new URL('../fixtures/diffs/multi-hunk.diff', import.meta.url), 'utf8')
    )
    const inline = finding({ path: './multi.txt', line: 5, title: 'inline one' })
    const away = finding({ path: 'multi.txt', line: 20, title: 'outside one' })
    const plan = planReview([inline, away], diff, {
      existingFingerprints: new Set(),
      maxInlineComments: 30
    })
    const placement = new Map<Finding, string>()
    for (const item of plan.inline) placement.set(item.finding, 'inline')
    for (const item of plan.unanchored) placement.set(item.finding, `summary (${item.reason})`)
    const table = renderFindingsTable({ verdict: 'comment', findings: [inline, away], placement })
    expect(table).toContain('| inline one | inline |')
    expect(table).toContain('| outside one | summary (the line is outside the diff) |')
  })
})
