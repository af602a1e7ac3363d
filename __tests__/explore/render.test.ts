import { describe, expect, it } from '@jest/globals'
import type { Candidate } from '../../src/explore/choose.js'
import {
  candidateEntries,
  renderComparisonTable,
  renderExploreSection
} from '../../src/explore/render.js'

const base: Omit<Candidate, 'number' | 'approach'> = {
  conclusion: 'success',
  files: ['src/calc.js'],
  added: 3,
  removed: 1,
  verify: { status: 'passed', command: 'npm test', exitCode: 0 },
  costUsd: 0.12,
  durationMs: 900
}
const candidates: Candidate[] = [
  {
    ...base,
    number: 1,
    approach: 'guard | clause',
    verify: { status: 'failed', command: 'npm test', exitCode: 1 }
  },
  { ...base, number: 2, approach: 'rewrite @octocat ![x](http://e/x.png)', added: 30 },
  {
    ...base,
    number: 3,
    approach: 'small fix',
    files: [],
    added: 0,
    removed: 0,
    error: 'it changed nothing'
  }
]
const ranking = {
  chosen: 1,
  summary: 'Candidate 2 is correct.',
  findings: [],
  ranking: [
    { candidate: 1, rank: 1, reason: 'shortest' },
    { candidate: 2, rank: 2, reason: 'clear' }
  ]
}
const choice = {
  chosen: 2,
  overruled:
    'The reviewer chose candidate 1, but its check failed; candidate 2 is the best-ranked one that may be chosen.'
}

describe('explore rendering', () => {
  it('lists every candidate in the output with its rank and reason', () => {
    expect(candidateEntries(candidates, ranking, choice)).toEqual([
      {
        candidate: 1,
        approach: 'guard | clause',
        status: 'success',
        files: 1,
        added: 3,
        removed: 1,
        verify: 'failed',
        cost_usd: 0.12,
        rank: 1,
        reason: 'shortest',
        chosen: false,
        error: null
      },
      {
        candidate: 2,
        approach: 'rewrite @octocat ![x](http://e/x.png)',
        status: 'success',
        files: 1,
        added: 30,
        removed: 1,
        verify: 'passed',
        cost_usd: 0.12,
        rank: 2,
        reason: 'clear',
        chosen: true,
        error: null
      },
      {
        candidate: 3,
        approach: 'small fix',
        status: 'success',
        files: 0,
        added: 0,
        removed: 0,
        verify: 'passed',
        cost_usd: 0.12,
        rank: null,
        reason: '',
        chosen: false,
        error: 'it changed nothing'
      }
    ])
  })

  it('renders the table with model text made inert', () => {
    const table = renderComparisonTable(candidateEntries(candidates, ranking, choice))
    const rows = table.split('\n')
    expect(rows[0]).toBe(
      '| Candidate | Approach | Files | Lines +/− | Verify | Cost | Rank | Reason |'
    )
    expect(rows[2]).toBe(
      '| 1 | guard \\| clause | 1 | +3 −1 | ❌ failed | $0.1200 | 1 | shortest |'
    )
    expect(rows[3]).toContain('| **2** ✔ | ')
    expect(rows[3]).not.toContain('@octocat')
    expect(rows[3]).not.toContain('![x]')
    expect(rows[4]).toBe(
      '| 3 | small fix | 0 | +0 −0 | ✅ passed | $0.1200 | — | it changed nothing. |'
    )
  })

  it('says why, when the rules overruled the reviewer, and where the other patches are', () => {
    const section = renderExploreSection({
      entries: candidateEntries(candidates, ranking, choice),
      ranking,
      choice,
      artifact: {
        name: 'tandem-explore-1',
        files: { 1: 'candidate-1.patch', 2: 'candidate-2.patch' }
      }
    })
    expect(section).toContain("**The reviewer's comparison:** Candidate 2 is correct.")
    expect(section).toContain('> The reviewer chose candidate 1, but its check failed')
    expect(section).toContain(
      "The other candidates' changes are kept in this run's artifact `tandem-explore-1`: candidate 1 in `candidate-1.patch` (apply one with `git apply`)."
    )
  })
})
