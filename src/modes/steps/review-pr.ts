import * as core from '@actions/core'
import { prepareAgent, sessionOutputs, type Agent } from '../../agent/launch.js'
import type { SessionReport } from '../../agent/report.js'
import { renderSessionSummary } from '../../agent/summary.js'
import type { GitHub, Repo } from '../../github/client.js'
import { appendJobSummary } from '../../github/emit.js'
import {
  annotateFindings,
  isReadOnly,
  publishReview,
  resolveThreads
} from '../../github/publish.js'
import { getPullRequest, type PullRequest } from '../../github/pulls.js'
import { redactorFor } from '../../github/redact.js'
import type { ReviewThread } from '../../github/threads.js'
import type { Inputs } from '../../inputs.js'
import {
  decideReview,
  failOnFailure,
  unthreadedFindings,
  type ReviewDecision
} from '../../review/decide.js'
import type { Finding, ReviewOutput, Verdict } from '../../review/findings.js'
import {
  renderReviewJobSummary,
  reviewOutputs,
  unpublished,
  type Published
} from '../../review/publish.js'
import type { ModeOutcome } from '../outcome.js'
import { readReviewContext, type ReviewContext } from './review-context.js'
import { runReviewer } from './review-session.js'
import { agentSettings } from './agent-settings.js'

/** What one review of a pull request produced; `pair` reads it to decide on another round. */
export interface ReviewRound {
  outcome: ModeOutcome
  /** Undefined when the reviewer failed (no structured output): a failed review, not an empty one. */
  review?: ReviewOutput
  verdict?: Verdict
  /** Findings at or above blocking-severity. */
  blocking: Finding[]
  /** The blocking findings that have no open review thread to be addressed through. */
  unthreaded: Finding[]
  costUsd: number
}

/** Reviews one pull request and publishes the result: the whole of review mode after the trigger. */
export async function reviewPullRequest(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  /** The run's agent, when the caller has one already (write, pair). */
  agent?: Agent
): Promise<ReviewRound> {
  const pr = await getPullRequest(gh, repo, prNumber)
  const context = await core.group('Reading the pull request', () =>
    readReviewContext(gh, repo, pr, inputs)
  )
  const session = await runReviewer(
    inputs,
    pr,
    context,
    agent ?? (await prepareAgent(agentSettings(inputs)))
  )
  if ('failure' in session) {
    return { outcome: session.failure, blocking: [], unthreaded: [], costUsd: session.costUsd }
  }
  const { review, report } = session
  const decision = decideReview(review.findings, context, inputs)
  const redact = redactorFor(inputs)
  const { published, failure } = await publishOrKeep(gh, repo, pr, {
    inputs,
    context,
    decision,
    review,
    report,
    redact
  })
  if (published && decision.toResolve.length > 0) {
    await core.group('Resolving threads the review no longer reports', () =>
      resolveThreads(gh, decision.toResolve)
    )
  }
  const result = published ?? unpublished(review.findings)
  await appendJobSummary(
    renderSessionSummary(report, 'Tandem · reviewer session') +
      '\n' +
      renderReviewJobSummary({
        review,
        verdict: decision.verdict,
        placement: result.placement,
        posted: published !== undefined,
        redact
      })
  )
  return {
    outcome: {
      outputs: { ...sessionOutputs(report), ...reviewOutputs(review, decision.verdict, result) },
      failure: failure ?? failOnFailure(decision.standing, inputs.failOn)
    },
    review,
    verdict: decision.verdict,
    blocking: decision.blocking,
    unthreaded: unthreadedFindings(decision, context.threads, review.findings, result.placement),
    costUsd: report.costUsd
  }
}

/**
 * Publishes the review; when that fails, every finding stays in the run (annotations, the job
 * summary). A PR from a fork gets a read-only GITHUB_TOKEN, which is no failure of the step;
 * any other failure to publish fails it.
 */
async function publishOrKeep(
  gh: GitHub,
  repo: Repo,
  pr: PullRequest,
  args: {
    inputs: Inputs
    context: ReviewContext
    decision: ReviewDecision<ReviewThread>
    review: ReviewOutput
    report: SessionReport
    redact: (text: string) => string
  }
): Promise<{ published?: Published; failure?: string }> {
  const { review, redact } = args
  try {
    const published = await core.group('Publishing the review', () =>
      publishReview(gh, repo, pr, {
        decision: args.decision,
        review,
        context: args.context,
        reviewEvent: args.inputs.reviewEvent,
        redact,
        costUsd: args.report.costUsd,
        numTurns: args.report.numTurns
      })
    )
    return { published }
  } catch (error) {
    let failure: string | undefined
    if (isReadOnly(error)) {
      core.warning(
        `The token cannot write to pull request #${pr.number} (${(error as Error).message}); this ` +
          'is what a pull request from a fork gets. The review is in the job summary and annotations.'
      )
    } else {
      failure = `Publishing the review failed: ${(error as Error).message}. Every finding is in the job summary and annotations.`
      core.error(failure)
    }
    annotateFindings(review.findings, redact)
    return { failure }
  }
}
