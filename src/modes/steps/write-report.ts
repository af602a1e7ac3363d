/** The last step of a write: the job summary, the outputs, and what pair mode reads on. */
import type { SessionReport } from '../../agent/report.js'
import { sessionOutputs } from '../../agent/launch.js'
import { appendJobSummary } from '../../github/emit.js'
import type { WriterReport } from '../../write/report.js'
import { writeOutputs, writeSummary, type WriteFacts } from '../../write/result.js'
import type { VerifyResult } from '../../write/verify.js'
import type { ModeOutcome } from '../outcome.js'
import type { PullRequestOperation } from './branch-pr.js'
import { reviewPullRequest, type ReviewRound } from './review-pr.js'
import { adoptReviewOutcome } from './branch-pr.js'
import type { Agent } from '../../agent/launch.js'
import type { GitHub, Repo } from '../../github/client.js'
import type { Inputs } from '../../inputs.js'

/** Everything one write produced; `pair` reads it to go on with the pull request. */
export interface WriteResult {
  outcome: ModeOutcome
  /** Undefined when the run stopped before the writer ran. */
  session?: SessionReport
  report?: WriterReport
  branch: string
  base: string
  changedFiles: string[]
  /** The head of `branch` after this run (pushed now, or already there with the same tree). */
  commitSha?: string
  pushed: boolean
  verify: VerifyResult
  pr?: { number: number; url: string; operation: PullRequestOperation; headSha?: string }
  /** With `review: true`: the review of that pull request. */
  review?: ReviewRound
  costUsd: number
}

export async function finishWrite(
  session: SessionReport,
  facts: WriteFacts,
  end: { conclusion?: string; failure?: string }
): Promise<WriteResult> {
  await appendJobSummary(writeSummary(session, facts, end.failure))
  const outputs: Record<string, string> = { ...sessionOutputs(session), ...writeOutputs(facts) }
  if (end.conclusion) outputs.conclusion = end.conclusion
  return {
    outcome: { outputs, failure: end.failure },
    session,
    report: facts.report,
    branch: facts.branch,
    base: facts.base,
    changedFiles: facts.changedFiles,
    commitSha: facts.commitSha,
    pushed: facts.pushed,
    verify: facts.verify,
    pr: facts.pr,
    costUsd: session.costUsd
  }
}

/**
 * With `review: true`, the pull request a write opened gets a review: a fresh session that
 * never sees the writer's context, only the pull request (`prompt` is the writer's task, not
 * review instructions).
 */
export async function reviewIfAsked(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  result: WriteResult,
  agent: Agent
): Promise<WriteResult> {
  if (!inputs.review || !result.pr) return result
  const review = await reviewPullRequest(
    { ...inputs, prompt: undefined },
    gh,
    repo,
    result.pr.number,
    agent
  )
  result.review = review
  result.costUsd += review.costUsd
  adoptReviewOutcome(result.outcome, review.outcome)
  return result
}
