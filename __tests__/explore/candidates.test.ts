import { describe, expect, it } from '@jest/globals'
import {
  buildApproachesPrompt,
  buildCandidatePrompt,
  CANDIDATE_REPORT_SCHEMA,
  approachLine,
  parseApproaches,
  parseCandidateReport
} from '../../src/explore/candidates.js'

describe('approaches', () => {
  it('asks for exactly as many approaches as candidates', () => {
    const prompt = buildApproachesPrompt('Add a cache to fetchUser', 3)
    expect(prompt).toContain('Name 3 approaches')
    expect(prompt).toContain('<task>\nAdd a cache to fetchUser\n</task>')
    expect(prompt).toContain('exactly 3 lines')
  })

  it('pads a short answer and folds each line', () => {
    expect(parseApproaches({ approaches: ['memoize\n in place', 7] }, 3)).toEqual([
      'memoize in place',
      '',
      ''
    ])
    expect(parseApproaches({ approaches: ['a', 'b', 'c', 'd'] }, 2)).toEqual(['a', 'b'])
    expect(parseApproaches('nonsense', 2)).toEqual(['', ''])
  })
})

describe('candidate prompt and report', () => {
  it('gives the candidate its approach, or asks for a different one', () => {
    const given = buildCandidatePrompt({
      task: 'Fix paginate',
      number: 2,
      count: 3,
      approach: 'rewrite with a generator',
      allowWorkflowChanges: false
    })
    expect(given).toContain('<task>\nFix paginate\n</task>')
    expect(given).toContain('This is attempt 2 of 3')
    expect(given).toContain('Take this approach: rewrite with a generator')
    const open = buildCandidatePrompt({
      task: 'Fix paginate',
      number: 1,
      count: 3,
      approach: '',
      allowWorkflowChanges: false
    })
    expect(open).toContain('distinctly different from what the other 2 attempts')
  })

  it('requires the approach in the report schema and reads it', () => {
    expect(CANDIDATE_REPORT_SCHEMA.required).toEqual(['summary', 'changes', 'approach'])
    expect(
      parseCandidateReport({
        summary: 'Fix it',
        changes: [{ path: './a.js', why: 'x' }],
        approach: 'guard\nclause'
      })
    ).toEqual({
      summary: 'Fix it',
      changes: [{ path: 'a.js', why: 'x' }],
      approach: 'guard clause'
    })
    expect(parseCandidateReport({ summary: 'Fix it', changes: [] })).toEqual({
      summary: 'Fix it',
      changes: [],
      approach: ''
    })
    expect(parseCandidateReport({ changes: [] })).toBeUndefined()
  })

  it('cuts a long line for a table cell', () => {
    expect([...approachLine('x'.repeat(500))]).toHaveLength(200)
    expect(approachLine('a\u0000b\tc')).toBe('a b c')
  })
})
