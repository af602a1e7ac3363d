import { describe, expect, it } from '@jest/globals'
import {
  chooseCandidate,
  parseRanking,
  whyNotChoosable,
  type Candidate
} from '../../src/explore/choose.js'

function candidate(number: number, over: Partial<Candidate> = {}): Candidate {
  return {
    number,
    approach: `approach ${number}`,
    conclusion: 'success',
    files: ['src/calc.js'],
    added: 10,
    removed: 2,
    verify: { status: 'passed', command: 'npm test', exitCode: 0 },
    costUsd: 0.1,
    durationMs: 1000,
    ...over
  }
}

const failedCheck = { status: 'failed' as const, command: 'npm test', exitCode: 1 }

describe('whyNotChoosable', () => {
  it('refuses a failed check, an empty change, a failed session and a refused change', () => {
    expect(whyNotChoosable(candidate(1))).toBeUndefined()
    expect(whyNotChoosable(candidate(1, { verify: failedCheck }))).toBe('its check failed')
    expect(whyNotChoosable(candidate(1, { files: [] }))).toBe('it changed nothing')
    expect(whyNotChoosable(candidate(1, { conclusion: 'max-turns' }))).toBe(
      'its session ended with max-turns'
    )
    expect(whyNotChoosable(candidate(1, { error: 'the change touches workflow files' }))).toBe(
      'the change touches workflow files'
    )
    expect(whyNotChoosable(candidate(1, { verify: { status: 'none' } }))).toBeUndefined()
  })
})

describe('chooseCandidate', () => {
  const ranking = (chosen: number, order: number[]) => ({
    chosen,
    summary: 'because',
    findings: [],
    ranking: order.map((n, i) => ({ candidate: n, rank: i + 1, reason: `reason ${n}` }))
  })

  it("keeps the reviewer's pick when it may be chosen", () => {
    const candidates = [candidate(1), candidate(2), candidate(3)]
    expect(chooseCandidate(candidates, ranking(2, [2, 3, 1]))).toEqual({ chosen: 2 })
  })

  it('never chooses a candidate whose check failed over one whose check passed', () => {
    const candidates = [candidate(1, { verify: failedCheck }), candidate(2), candidate(3)]
    expect(chooseCandidate(candidates, ranking(1, [1, 3, 2]))).toEqual({
      chosen: 3,
      overruled:
        'The reviewer chose candidate 1, but its check failed; candidate 3 is the best-ranked one that may be chosen.'
    })
  })

  it('never chooses a candidate that changed nothing; unranked ones go by size', () => {
    const candidates = [
      candidate(1, { files: [], added: 0, removed: 0 }),
      candidate(2, { added: 40 }),
      candidate(3, { added: 5 })
    ]
    expect(chooseCandidate(candidates, ranking(1, [1]))).toEqual({
      chosen: 3,
      overruled:
        'The reviewer chose candidate 1, but it changed nothing; candidate 3 is the best-ranked one that may be chosen.'
    })
  })

  it('chooses none when no candidate may be chosen, or when there is no ranking', () => {
    const candidates = [candidate(1, { verify: failedCheck }), candidate(2, { files: [] })]
    expect(chooseCandidate(candidates, ranking(1, [1, 2]))).toEqual({})
    expect(chooseCandidate([candidate(1)], undefined)).toEqual({})
  })
})

describe('parseRanking', () => {
  it('keeps known candidates once and checks the findings', () => {
    const parsed = parseRanking(
      {
        chosen: 2,
        summary: ' smaller ',
        ranking: [
          { candidate: 2, rank: 1, reason: 'small\nand clear' },
          { candidate: 9, rank: 2, reason: 'no such candidate' },
          { candidate: 2, rank: 3, reason: 'duplicate' },
          { candidate: 1, rank: 0, reason: 'bad rank' },
          'junk'
        ],
        findings: [{ path: 'src/a.js', line: 3, severity: 'major', title: 'T', body: 'B' }]
      },
      3
    )
    expect(parsed).toEqual({
      chosen: 2,
      summary: 'smaller',
      ranking: [
        { candidate: 2, rank: 1, reason: 'small and clear' },
        { candidate: 1, rank: 3, reason: 'bad rank' }
      ],
      findings: [{ path: 'src/a.js', line: 3, severity: 'major', title: 'T', body: 'B' }]
    })
  })

  it('fails without an object or a chosen candidate in range', () => {
    expect(() => parseRanking(undefined, 3)).toThrow('the reviewer returned no ranking')
    expect(() => parseRanking({ chosen: 4, ranking: [] }, 3)).toThrow(
      'the reviewer chose 4: expected a candidate from 1 to 3'
    )
    expect(() =>
      parseRanking(
        { chosen: 1, findings: [{ path: 'a', line: 0, severity: 'major', title: '', body: '' }] },
        3
      )
    ).toThrow('review output: findings[0].line must be a whole number ≥ 1, got 0')
  })
})
