import * as core from '@actions/core'
import { appendJobSummary, prepareAgent } from '../agent/launch.js'
import { createGitHub, repoFromEnv } from '../github/client.js'
import { isBot, readEvent } from '../github/event.js'
import { getPullRequest } from '../github/pulls.js'
import type { Inputs } from '../inputs.js'
import {
  renderRounds,
  roundOf,
  stopAfterReview,
  type PairRound,
  type PairStop
} from '../pair/rounds.js'
import { NO_VERIFY, type VerifyResult } from '../write/verify.js'
import { addressPullRequest } from './address.js'
import type { ModeOutcome } from './outcome.js'
import { reviewPullRequest } from './review.js'
import { writeChanges } from './write.js'

/**
 * `pair`: write (or start from `pr-number`) → review → address → review … until the reviewer
 * has no blocking findings and the checks pass, or `max-rounds`, or the budget is spent.
 */
export async function pairMode(inputs: Inputs): Promise<ModeOutcome> {
  if (!inputs.githubToken) {
    throw new Error(
      "Input 'github-token' is empty: pair mode needs a token to open and review the PR"
    )
  }
  // Tandem's own commits, reviews and comments must never start another loop.
  const sender = readEvent().payload.sender
  if (
    sender &&
    typeof sender === 'object' &&
    isBot(sender as { login?: unknown; type?: unknown })
  ) {
    core.info('Skipping: the event was sent by a bot')
    return { outputs: { conclusion: 'skipped' } }
  }
  const gh = createGitHub(inputs.githubToken)
  const repo = repoFromEnv()
  const agent = await prepareAgent(inputs)

  let prNumber = inputs.prNumber
  let prUrl: string | undefined
  let writerSession: string | undefined
  let verify: VerifyResult = NO_VERIFY
  let writeCostUsd = 0
  let writeCommits = 0
  if (prNumber === undefined) {
    // The writer opens the PR; the reviewer below is the loop's own, not write mode's `review`.
    const written = await writeChanges({ ...inputs, review: false }, gh, repo, agent)
    writeCostUsd = written.costUsd
    writeCommits = written.pushed ? 1 : 0
    if (!written.pr) return written.outcome
    prNumber = written.pr.number
    prUrl = written.pr.url
    writerSession = written.session?.sessionId
    verify = written.verify
  } else {
    prUrl = (await getPullRequest(gh, repo, prNumber)).htmlUrl
  }

  const rounds: PairRound[] = []
  let stop: PairStop | undefined
  let failure: string | undefined
  let verdict: string | undefined
  let spent = writeCostUsd
  for (let round = 1; stop === undefined; round++) {
    const reviewed = await reviewPullRequest(inputs, gh, repo, prNumber)
    spent += reviewed.costUsd
    if (!reviewed.review) {
      stop = 'reviewer-failed'
      failure = reviewed.outcome.failure
      break
    }
    verdict = reviewed.verdict
    const current = roundOf(
      round,
      { ...reviewed, findings: reviewed.review.findings },
      verify,
      reviewed.costUsd
    )
    rounds.push(current)
    stop = stopAfterReview({
      round,
      maxRounds: inputs.maxRounds,
      blocking: reviewed.blocking,
      verify,
      spentUsd: spent,
      budgetUsd:
        inputs.maxBudgetUsd === undefined
          ? undefined
          : inputs.maxBudgetUsd * (inputs.maxRounds * 2 + 1)
    })
    if (stop) break

    // The review's threads go back to the writer; a failing check goes with them.
    const addressed = await addressPullRequest(
      { ...inputs, prompt: undefined },
      gh,
      repo,
      prNumber,
      {
        sessionId: writerSession,
        feedback: verify.status === 'failed' ? verifyFeedback(verify) : undefined,
        agent
      }
    )
    spent += addressed.costUsd
    current.costUsd += addressed.costUsd
    current.commits = addressed.commitSha ? 1 : 0
    writerSession = addressed.session?.sessionId ?? writerSession
    if (addressed.verify.status !== 'none') verify = addressed.verify
    if (addressed.session && addressed.session.conclusion !== 'success') {
      stop = addressed.session.conclusion === 'budget' ? 'budget' : 'writer-failed'
      failure = addressed.outcome.failure
    } else if (!addressed.commitSha) {
      stop = 'writer-stuck'
    }
  }

  await appendJobSummary(renderRounds({ rounds, stop, prUrl, writeCostUsd, writeCommits }))
  if (stop !== 'converged' && !failure) {
    core.warning(`Pair stopped without converging (${stop}) after ${rounds.length} review round(s)`)
  }
  return {
    outputs: {
      rounds: String(rounds.length),
      verdict: verdict ?? '',
      'pr-number': String(prNumber),
      'pr-url': prUrl ?? '',
      'verify-result': verify.status,
      'cost-usd': String(spent),
      conclusion: stop === 'converged' ? 'success' : stop === 'budget' ? 'budget' : 'failure'
    },
    failure
  }
}

function verifyFeedback(verify: VerifyResult): string {
  return (
    `The check \`${verify.command}\` failed (exit ${verify.exitCode ?? 'none'}). Make it pass.` +
    (verify.tail ? `\n\nThe end of its output:\n${verify.tail}` : '')
  )
}
