import * as core from '@actions/core'
import { prepareAgent, type Agent } from '../agent/launch.js'
import { agentSettings } from './steps/agent-settings.js'
import { appendJobSummary } from '../github/emit.js'
import { createGitHub, repoFromEnv } from '../github/client.js'
import { botSender, readEvent, requireWritePermission } from '../github/event.js'
import type { Inputs } from '../inputs.js'
import {
  SELF_STARTED,
  feedbackFor,
  pairConclusion,
  stopAfterAddress,
  stopWithoutReview
} from '../pair/loop.js'
import {
  budgetSpent,
  nextSessionBudget,
  pairBudget,
  renderRounds,
  roundOf,
  stopAfterReview,
  type PairRound,
  type PairStop
} from '../pair/rounds.js'
import { requireToken, skipped, type ModeOutcome } from './outcome.js'
import { addressPullRequest } from './steps/address-pr.js'
import { openPullRequest } from './steps/pair-start.js'
import { reviewPullRequest } from './steps/review-pr.js'
import { withTestsDenied } from './steps/tests-first.js'

/**
 * `pair`: write (or start from `pr-number`) → review → address → review … until the reviewer
 * has no blocking findings and the checks pass, or `max-rounds`, or the budget is spent.
 */
export async function pairMode(inputs: Inputs): Promise<ModeOutcome> {
  // Tandem's own commits, reviews and comments must never start another loop.
  const { eventName, payload } = readEvent()
  const bot = botSender(payload)
  if (bot) return skipped(`the event was sent by a bot (${bot})`)
  const sender = payload.sender as { login?: unknown } | undefined
  const gh = createGitHub(requireToken(inputs, 'open and review the pull request'))
  const repo = repoFromEnv()
  // Anything but a maintainer's own schedule or dispatch was started by someone: the writer
  // holds secrets and pushes, so that someone needs write permission.
  if (!SELF_STARTED.includes(eventName)) {
    const actor = typeof sender?.login === 'string' ? sender.login : ''
    if (!actor || !(await requireWritePermission(gh, repo, actor))) {
      return skipped(`@${actor || 'unknown'} does not have write permission`)
    }
  }
  const agent = await prepareAgent(agentSettings(inputs))
  // One budget over every session of the loop; each session may spend only what is left of it.
  const budgetUsd = pairBudget(inputs.pairBudgetUsd, inputs.maxBudgetUsd, inputs.maxRounds)
  const within = (spentUsd: number): Agent => ({
    ...agent,
    maxBudgetUsd: nextSessionBudget(budgetUsd, inputs.maxBudgetUsd, spentUsd)
  })

  // After tests-first the tests are not the writer's to change, in any round.
  const addressAgent = (writer: Agent): Agent =>
    inputs.testsFirst ? withTestsDenied(writer, inputs.testPaths) : writer

  const start = await openPullRequest(inputs, gh, repo, agent, within)
  if ('stopped' in start) return start.stopped
  const { prNumber, prUrl, writeCostUsd, writeCommits, writeOutputs, testsFirst } = start
  let { writerSession, verify } = start

  const rounds: PairRound[] = []
  let stop: PairStop | undefined
  let failure: string | undefined
  let verdict: string | undefined
  let spent = writeCostUsd + (testsFirst?.costUsd ?? 0)
  for (let round = 1; stop === undefined; round++) {
    if (budgetSpent(budgetUsd, spent)) {
      stop = 'budget'
      break
    }
    // `prompt` is the writer's task here, not review instructions.
    const reviewed = await reviewPullRequest(
      { ...inputs, prompt: undefined },
      gh,
      repo,
      prNumber,
      within(spent)
    )
    spent += reviewed.costUsd
    if (!reviewed.review) {
      stop = stopWithoutReview(reviewed.outcome.outputs.conclusion)
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
      budgetUsd
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
        feedback: feedbackFor(verify, reviewed.unthreaded),
        agent: addressAgent(within(spent))
      }
    )
    spent += addressed.costUsd
    current.costUsd += addressed.costUsd
    current.commits = addressed.commitSha ? 1 : 0
    writerSession = addressed.session?.sessionId ?? writerSession
    if (addressed.verify.status !== 'none') verify = addressed.verify
    ;({ stop, failure } = stopAfterAddress(addressed))
  }

  await appendJobSummary(
    renderRounds({ rounds, stop, prUrl, writeCostUsd, writeCommits, testsFirst })
  )
  if (stop !== 'converged' && !failure) {
    core.warning(`Pair stopped without converging (${stop}) after ${rounds.length} review round(s)`)
  }
  return {
    outputs: {
      ...writeOutputs,
      rounds: String(rounds.length),
      verdict: verdict ?? '',
      'pr-number': String(prNumber),
      'pr-url': prUrl ?? '',
      'verify-result': verify.status,
      'cost-usd': String(spent),
      conclusion: pairConclusion(stop)
    },
    failure
  }
}
