import { describe, expect, it } from '@jest/globals'
import {
  REVIEW_SCHEMA,
  SUMMARY_MARKER,
  atOrAbove,
  findingMarker,
  fingerprint,
  parseReviewOutput,
  readFingerprints,
  readReviewedSha,
  reviewedMarker,
  severityRank,
  type Finding
} from '../../src/review/findings.js'

const finding = (over: Partial<Finding> = {}): Finding => ({
  path: 'src/a.ts',
  line: 10,
  severity: 'major',
  title: 'Null dereference',
  body: 'x may be null here.',
  ...over
})

const output = (findings: unknown[]): unknown => ({
  summary: 'Looks mostly fine.',
  verdict: 'comment',
  findings
})

describe('REVIEW_SCHEMA', () => {
  it('is exactly the schema published in CONTRACT.md', () => {
    expect(REVIEW_SCHEMA).toEqual({
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
    })
  })
})

describe('parseReviewOutput', () => {
  it('returns a valid object with every field it carries', () => {
    const full = {
      path: 'src/a.ts',
      line: 12,
      start_line: 10,
      side: 'LEFT',
      severity: 'critical',
      title: 'T',
      body: 'B',
      suggestion: 'const x = 1'
    }
    const minimal = { path: 'b.ts', line: 1, severity: 'nit', title: 't', body: 'b' }
    expect(parseReviewOutput(output([full, minimal]))).toEqual({
      summary: 'Looks mostly fine.',
      verdict: 'comment',
      findings: [full, minimal]
    })
  })

  it('accepts every verdict and an empty findings list', () => {
    for (const verdict of ['approve', 'comment', 'request_changes']) {
      expect(parseReviewOutput({ summary: '', verdict, findings: [] }).verdict).toBe(verdict)
    }
  })

  it('drops start_line when it equals line: GitHub refuses a range whose start is its end', () => {
    const parsed = parseReviewOutput(output([{ ...finding(), line: 7, start_line: 7 }]))
    expect(parsed.findings[0]).not.toHaveProperty('start_line')
    expect(parsed.findings[0]?.line).toBe(7)
  })

  it('keeps a start_line after line (anchoring reports it, the parser does not guess)', () => {
    const parsed = parseReviewOutput(output([{ ...finding(), line: 7, start_line: 9 }]))
    expect(parsed.findings[0]?.start_line).toBe(9)
  })

  it('keeps an empty suggestion, which means "delete these lines"', () => {
    const parsed = parseReviewOutput(output([{ ...finding(), suggestion: '' }]))
    expect(parsed.findings[0]?.suggestion).toBe('')
  })

  it('does not copy unknown keys into the finding', () => {
    const parsed = parseReviewOutput(output([{ ...finding(), extra: 'x' }]))
    expect(parsed.findings[0]).not.toHaveProperty('extra')
  })

  it.each([
    [null, 'no structured output object'],
    [undefined, 'no structured output object'],
    ['text', 'no structured output object'],
    [[], 'no structured output object'],
    [{ verdict: 'comment', findings: [] }, '"summary" must be a string'],
    [{ summary: 's', verdict: 'lgtm', findings: [] }, '"verdict" has value "lgtm"'],
    [{ summary: 's', verdict: 'approve' }, '"findings" must be an array'],
    [{ summary: 's', verdict: 'approve', findings: {} }, '"findings" must be an array']
  ])('refuses a malformed object %#', (value, message) => {
    expect(() => parseReviewOutput(value)).toThrow(message)
  })

  it.each([
    ['not an object', 'oops', 'findings[1] must be an object'],
    ['a missing path', { ...finding(), path: undefined }, 'findings[1].path must be a string'],
    ['a missing line', { ...finding(), line: undefined }, 'findings[1].line is required'],
    ['line 0', { ...finding(), line: 0 }, 'findings[1].line must be a whole number ≥ 1, got 0'],
    ['a fractional line', { ...finding(), line: 1.5 }, 'findings[1].line must be a whole number'],
    ['a line as text', { ...finding(), line: '3' }, 'findings[1].line must be a whole number'],
    ['start_line 0', { ...finding(), start_line: 0 }, 'findings[1].start_line must be'],
    ['a bad severity', { ...finding(), severity: 'high' }, 'findings[1].severity has value "high"'],
    ['no severity', { ...finding(), severity: undefined }, 'findings[1].severity must be a string'],
    ['a bad side', { ...finding(), side: 'right' }, 'findings[1].side has value "right"'],
    ['no title', { ...finding(), title: 3 }, 'findings[1].title must be a string'],
    ['no body', { ...finding(), body: null }, 'findings[1].body must be a string'],
    ['a non-text suggestion', { ...finding(), suggestion: 1 }, 'findings[1].suggestion must be']
  ])('refuses a finding with %s, naming it', (_label, bad, message) => {
    expect(() => parseReviewOutput(output([finding(), bad]))).toThrow(message)
  })
})

describe('severity ranking', () => {
  it('ranks critical > major > minor > nit', () => {
    expect(['nit', 'critical', 'minor', 'major'].map(s => severityRank(s as never))).toEqual([
      3, 0, 2, 1
    ])
  })

  it('atOrAbove compares against a threshold, inclusive', () => {
    expect(atOrAbove('critical', 'major')).toBe(true)
    expect(atOrAbove('major', 'major')).toBe(true)
    expect(atOrAbove('minor', 'major')).toBe(false)
    expect(atOrAbove('nit', 'nit')).toBe(true)
    expect(atOrAbove('nit', 'critical')).toBe(false)
  })
})

describe('fingerprint', () => {
  const base = fingerprint(finding())

  it('is 16 lowercase hex characters', () => {
    expect(base).toMatch(/^[0-9a-f]{16}$/)
  })

  it('does not depend on the line, range, body, severity or suggestion', () => {
    expect(fingerprint(finding({ line: 99 }))).toBe(base)
    expect(fingerprint(finding({ line: 40, start_line: 30 }))).toBe(base)
    expect(fingerprint(finding({ body: 'something else' }))).toBe(base)
    expect(fingerprint(finding({ severity: 'nit' }))).toBe(base)
    expect(fingerprint(finding({ suggestion: 'x' }))).toBe(base)
  })

  it('ignores case, punctuation, spacing and a leading ./', () => {
    expect(fingerprint(finding({ title: '  null-DEREFERENCE!  ' }))).toBe(base)
    expect(fingerprint(finding({ path: './src/a.ts' }))).toBe(base)
  })

  it('treats a missing side as RIGHT', () => {
    expect(fingerprint(finding({ side: 'RIGHT' }))).toBe(base)
    expect(fingerprint(finding({ side: 'LEFT' }))).not.toBe(base)
  })

  it('changes with the path or the title', () => {
    expect(fingerprint(finding({ path: 'src/b.ts' }))).not.toBe(base)
    expect(fingerprint(finding({ path: 'lib/src/a.ts' }))).not.toBe(base)
    expect(fingerprint(finding({ title: 'Null dereference in loop' }))).not.toBe(base)
  })

  it('tells apart titles written in other scripts (they must not all normalize to "")', () => {
    const a = fingerprint(finding({ title: 'ヌルポインタ参照' }))
    const b = fingerprint(finding({ title: '競合状態' }))
    const c = fingerprint(finding({ title: 'Ошибка округления' }))
    expect(new Set([a, b, c, fingerprint(finding({ title: '' }))]).size).toBe(4)
    expect(fingerprint(finding({ title: '競合状態!' }))).toBe(b)
  })

  it('does not let the path and title run together', () => {
    expect(fingerprint(finding({ path: 'a', title: 'b c' }))).not.toBe(
      fingerprint(finding({ path: 'a b', title: 'c' }))
    )
  })
})

describe('markers', () => {
  it('writes the public marker formats', () => {
    expect(SUMMARY_MARKER).toBe('<!-- tandem:summary -->')
    expect(findingMarker('0123abcd0123abcd')).toBe('<!-- tandem:finding fp=0123abcd0123abcd -->')
    expect(reviewedMarker('abc1234')).toBe('<!-- tandem:reviewed sha=abc1234 -->')
  })

  it('reads back every fingerprint marker of a body, in order', () => {
    const a = fingerprint(finding())
    const b = fingerprint(finding({ title: 'other' }))
    const body = `text\n${findingMarker(a)}\n- item\n  ${findingMarker(b)}\n`
    expect(readFingerprints(body)).toEqual([a, b])
    expect(readFingerprints('no markers <!-- tandem:finding fp=XYZ -->')).toEqual([])
  })

  it('reads back the reviewed head', () => {
    const sha = 'f'.repeat(40)
    expect(readReviewedSha(`${SUMMARY_MARKER}\n…\n${reviewedMarker(sha)}\n`)).toBe(sha)
    expect(readReviewedSha('<!-- tandem:reviewed sha=nothex -->')).toBeUndefined()
    expect(readReviewedSha('<!-- tandem:reviewed sha=abc -->')).toBeUndefined()
    expect(readReviewedSha('nothing here')).toBeUndefined()
  })
})
