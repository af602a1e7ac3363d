import { SEVERITIES, type Severity } from '../review/severity.js'
import type { Finding, Verdict } from '../review/findings.js'
import { countBySeverity } from '../review/render.js'
import type { VerifyResult } from '../write/verify.js'

/** One round of the pair loop: the review, and the writer's answer to it (if there was one). */
export interface PairRound {
  round: number
  findings: Record<Severity, number>
  blocking: number
  verdict: Verdict | undefined
  verify: VerifyResult['status']
  /** Commits the writer pushed after this review (the first write counts in round 0). */
  commits: number
  costUsd: number
}

export type PairStop =
  | 'converged'
  | 'max-rounds'
  | 'budget'
  | 'reviewer-failed'
  | 'writer-failed'
  | 'writer-stuck'
  | 'no-tests'
  | 'tests-pass'
  | 'tests-touched'

/** tests-first's steps before the first review: each red try, and the green write. */
export interface TestsFirstRows {
  /** Each run of the test writer, with the check on the unchanged code that followed it. */
  red: { verify: VerifyResult['status']; costUsd: number }[]
  /** The check on the writer's change; undefined when the writer did not get that far. */
  green?: VerifyResult['status']
}

/**
 * Pair's total budget: `pair-budget-usd`, else every session at `max-budget-usd` (the writer,
 * and a review and an address per round); undefined when neither is set.
 */
export function pairBudget(
  pairBudgetUsd: number | undefined,
  perSessionUsd: number | undefined,
  maxRounds: number
): number | undefined {
  if (pairBudgetUsd !== undefined) return pairBudgetUsd
  return perSessionUsd === undefined ? undefined : perSessionUsd * (maxRounds * 2 + 1)
}

/**
 * The next session's `--max-budget-usd`: what is left of pair's budget, never more than the
 * per-session limit; undefined when neither limits it.
 */
export function nextSessionBudget(
  budgetUsd: number | undefined,
  perSessionUsd: number | undefined,
  spentUsd: number
): number | undefined {
  if (budgetUsd === undefined) return perSessionUsd
  const left = Math.max(0, budgetUsd - spentUsd)
  return perSessionUsd === undefined ? left : Math.min(left, perSessionUsd)
}

/** Whether pair's budget is spent, so no further session may start. */
export function budgetSpent(budgetUsd: number | undefined, spentUsd: number): boolean {
  return budgetUsd !== undefined && spentUsd >= budgetUsd
}

/** Why the loop should stop after this review, or undefined to go on to another round. */
export function stopAfterReview(input: {
  round: number
  maxRounds: number
  blocking: Finding[]
  verify: VerifyResult
  spentUsd: number
  budgetUsd: number | undefined
}): PairStop | undefined {
  if (input.blocking.length === 0 && input.verify.status !== 'failed') return 'converged'
  if (input.round >= input.maxRounds) return 'max-rounds'
  if (budgetSpent(input.budgetUsd, input.spentUsd)) return 'budget'
  return undefined
}

export function roundOf(
  round: number,
  review: { findings: Finding[]; blocking: Finding[]; verdict?: Verdict },
  verify: VerifyResult,
  costUsd: number
): PairRound {
  return {
    round,
    findings: countBySeverity(review.findings),
    blocking: review.blocking.length,
    verdict: review.verdict,
    verify: verify.status,
    commits: 0,
    costUsd
  }
}

const STOP_TEXT: Record<PairStop, string> = {
  converged: '✅ converged: no blocking findings and the checks pass',
  'max-rounds': '⚠️ stopped at max-rounds with blocking findings or failing checks left',
  budget: '⚠️ stopped: the budget is spent',
  'reviewer-failed': '❌ stopped: the reviewer failed',
  'writer-failed': '❌ stopped: the writer failed',
  'writer-stuck': '⚠️ stopped: the writer changed nothing in answer to the review',
  'no-tests': '❌ stopped: the test writer wrote no tests',
  'tests-pass': '❌ stopped: the tests pass on the unchanged code, so they prove nothing',
  'tests-touched': '❌ stopped: the writer changed the tests'
}

const CHECK_MARK: Record<VerifyResult['status'], string> = {
  passed: '🟢 passed',
  failed: '🔴 failed',
  none: 'none'
}

/** The job summary's table of rounds. */
export function renderRounds(input: {
  rounds: PairRound[]
  stop: PairStop
  prUrl?: string
  writeCostUsd: number
  writeCommits: number
  testsFirst?: TestsFirstRows
}): string {
  const red = input.testsFirst?.red ?? []
  const total =
    input.writeCostUsd +
    red.reduce((sum, r) => sum + r.costUsd, 0) +
    input.rounds.reduce((sum, r) => sum + r.costUsd, 0)
  const blank = SEVERITIES.map(() => '').join(' | ')
  const lines = [
    `### Tandem pair: ${STOP_TEXT[input.stop]}`,
    '',
    input.prUrl ? `Pull request: ${input.prUrl}` : '',
    '',
    `| Round | ${SEVERITIES.join(' | ')} | Blocking | Verdict | Checks | Commits | Cost |`,
    `|---:|${SEVERITIES.map(() => '---:').join('|')}|---:|---|---|---:|---:|`
  ]
  // Red: the tests must fail on the unchanged code, so a passing check is the bad outcome.
  red.forEach((r, i) => {
    const label = red.length > 1 ? `red ${i + 1} (tests)` : 'red (tests)'
    const check = r.verify === 'passed' ? '🟢 passed — must fail' : CHECK_MARK[r.verify]
    lines.push(`| ${label} | ${blank} | | | ${check} | 0 | $${r.costUsd.toFixed(4)} |`)
  })
  if (input.testsFirst?.green !== undefined) {
    lines.push(
      `| green (write) | ${blank} | | | ${CHECK_MARK[input.testsFirst.green]} | ${input.writeCommits} | $${input.writeCostUsd.toFixed(4)} |`
    )
  } else if (input.writeCostUsd > 0 || input.writeCommits > 0) {
    lines.push(
      `| 0 (write) | ${blank} | | | | ${input.writeCommits} | $${input.writeCostUsd.toFixed(4)} |`
    )
  }
  for (const r of input.rounds) {
    lines.push(
      `| ${r.round} | ${SEVERITIES.map(s => r.findings[s]).join(' | ')} | ${r.blocking} | ${r.verdict ?? '—'} | ${r.verify} | ${r.commits} | $${r.costUsd.toFixed(4)} |`
    )
  }
  lines.push('', `Total cost: $${total.toFixed(4)}`)
  return lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n') + '\n'
}
