import { describe, expect, it } from '@jest/globals'
import type { Finding } from '../../src/review/findings.js'
import {
  budgetSpent,
  nextSessionBudget,
  pairBudget,
  renderRounds,
  roundOf,
  stopAfterReview
} from '../../src/pair/rounds.js'
import { NO_VERIFY, type VerifyResult } from '../../src/write/verify.js'

const major: Finding = { path: 'a.ts', line: 1, severity: 'major', title: 't', body: 'b' }
const nit: Finding = { ...major, severity: 'nit' }
const failed: VerifyResult = { status: 'failed', command: 'npm test', exitCode: 1 }
const passed: VerifyResult = { status: 'passed', command: 'npm test', exitCode: 0 }

describe('stopAfterReview', () => {
  const base = {
    round: 1,
    maxRounds: 3,
    blocking: [],
    verify: NO_VERIFY,
    spentUsd: 0,
    budgetUsd: undefined
  }

  it('converges when nothing blocks and the checks do not fail', () => {
    expect(stopAfterReview(base)).toBe('converged')
    expect(stopAfterReview({ ...base, verify: passed })).toBe('converged')
  })

  it('a failing check blocks like a finding', () => {
    expect(stopAfterReview({ ...base, verify: failed })).toBeUndefined()
  })

  it('goes on while findings block, until max-rounds', () => {
    expect(stopAfterReview({ ...base, blocking: [major] })).toBeUndefined()
    expect(stopAfterReview({ ...base, blocking: [major], round: 3 })).toBe('max-rounds')
  })

  it('stops when the total budget is spent', () => {
    expect(stopAfterReview({ ...base, blocking: [major], spentUsd: 2, budgetUsd: 2 })).toBe(
      'budget'
    )
    expect(
      stopAfterReview({ ...base, blocking: [major], spentUsd: 1.99, budgetUsd: 2 })
    ).toBeUndefined()
  })
})

describe('renderRounds', () => {
  it('a row per round: findings by severity, blocking, verdict, checks, commits, cost', () => {
    const first = roundOf(
      1,
      { findings: [major, nit, nit], blocking: [major], verdict: 'request_changes' },
      failed,
      0.5
    )
    first.commits = 1
    const second = roundOf(2, { findings: [], blocking: [], verdict: 'approve' }, passed, 0.25)
    const markdown = renderRounds({
      rounds: [first, second],
      stop: 'converged',
      prUrl: 'https://github.com/o/r/pull/1',
      writeCostUsd: 1,
      writeCommits: 1
    })
    expect(markdown).toContain('### Tandem pair: ✅ converged')
    expect(markdown).toContain(
      '| Round | critical | major | minor | nit | Blocking | Verdict | Checks | Commits | Cost |'
    )
    expect(markdown).toContain('| 0 (write) |  |  |  |  | | | | 1 | $1.0000 |')
    expect(markdown).toContain('| 1 | 0 | 1 | 0 | 2 | 1 | request_changes | failed | 1 | $0.5000 |')
    expect(markdown).toContain('| 2 | 0 | 0 | 0 | 0 | 0 | approve | passed | 0 | $0.2500 |')
    expect(markdown).toContain('Total cost: $1.7500')
  })
})

describe("pair's budget", () => {
  it('is pair-budget-usd when set, else every session at max-budget-usd, else none', () => {
    expect(pairBudget(2, 0.5, 3)).toBe(2)
    expect(pairBudget(undefined, 0.5, 3)).toBe(3.5)
    expect(pairBudget(undefined, undefined, 3)).toBeUndefined()
  })

  it('gives each session what is left, never more than max-budget-usd', () => {
    expect(nextSessionBudget(2, 0.5, 0)).toBe(0.5)
    expect(nextSessionBudget(2, 0.5, 1.8)).toBeCloseTo(0.2)
    expect(nextSessionBudget(2, undefined, 1.25)).toBe(0.75)
    expect(nextSessionBudget(2, undefined, 3)).toBe(0)
    expect(nextSessionBudget(undefined, 0.5, 9)).toBe(0.5)
    expect(nextSessionBudget(undefined, undefined, 9)).toBeUndefined()
  })

  it('is spent once what the sessions cost reaches it', () => {
    expect(budgetSpent(1, 0.999)).toBe(false)
    expect(budgetSpent(1, 1)).toBe(true)
    expect(budgetSpent(undefined, 100)).toBe(false)
  })
})
