import type { AddressRound } from '../address/round.js'
import type { Finding } from '../review/findings.js'
import type { VerifyResult } from '../write/verify.js'
import type { PairStop } from './rounds.js'

/** Events nobody but the repository's own maintainers can start: no permission check needed. */
export const SELF_STARTED = ['workflow_dispatch', 'schedule', 'push', '']

/** What the writer must fix besides the open threads: a failing check, unthreaded findings. */
export function feedbackFor(verify: VerifyResult, unthreaded: Finding[]): string | undefined {
  const parts: string[] = []
  if (verify.status === 'failed') {
    parts.push(
      `The check \`${verify.command}\` failed (exit ${verify.exitCode ?? 'none'}). Make it pass.` +
        (verify.tail ? `\n\nThe end of its output:\n${verify.tail}` : '')
    )
  }
  if (unthreaded.length > 0) {
    parts.push(
      'The reviewer also reports these, which have no open thread:\n' +
        unthreaded
          .map(
            f => `- ${f.path}:${f.line} [${f.severity}] ${f.title}${f.body ? ` — ${f.body}` : ''}`
          )
          .join('\n')
    )
  }
  return parts.length > 0 ? parts.join('\n\n') : undefined
}

/** Why the loop stops when the reviewer gave no review: the budget, or the reviewer failing. */
export function stopWithoutReview(conclusion: string | undefined): PairStop {
  // A reviewer stopped by what was left of the budget is the budget running out.
  return conclusion === 'budget' ? 'budget' : 'reviewer-failed'
}

/** Whether the loop goes on after the writer addressed a review, and why not. */
export function stopAfterAddress(addressed: AddressRound): { stop?: PairStop; failure?: string } {
  if (addressed.session && addressed.session.conclusion !== 'success') {
    return {
      stop: addressed.session.conclusion === 'budget' ? 'budget' : 'writer-failed',
      failure: addressed.outcome.failure
    }
  }
  // Refused (workflow files, a secret) or not pushed: the loop cannot go on honestly.
  if (addressed.outcome.failure)
    return { stop: 'writer-failed', failure: addressed.outcome.failure }
  if (!addressed.commitSha) return { stop: 'writer-stuck' }
  return {}
}

/** The `conclusion` output of a pair run. */
export function pairConclusion(stop: PairStop | undefined): string {
  return stop === 'converged' ? 'success' : stop === 'budget' ? 'budget' : 'failure'
}
