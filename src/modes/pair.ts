import * as core from '@actions/core'
import { prepareAgent, type Agent } from '../agent/launch.js'
import { agentSettings } from './steps/agent-settings.js'
import { appendJobSummary } from '../github/emit.js'
import { createGitHub, repoFromEnv } from '../github/client.js'
import { botSender, readEvent, requireWritePermission } from '../github/event.js'
import { getPullRequest } from '../github/pulls.js'
import { redactorFor } from '../github/redact.js'
import type { Inputs } from '../inputs.js'
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
import type { Finding } from '../review/findings.js'
import { NO_VERIFY, verifyCheckout, type VerifyResult } from '../write/verify.js'
import { addressPullRequest } from './address.js'
import { requireToken, skipped, type ModeOutcome } from './outcome.js'
import { reviewPullRequest } from './review.js'
import { writeChanges } from './write.js'

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

  let prNumber = inputs.prNumber
  let prUrl: string | undefined
  let writerSession: string | undefined
  let verify: VerifyResult = NO_VERIFY
  let writeCostUsd = 0
  let writeCommits = 0
  // write's outputs (branch, commit-sha, pr-operation, the writer's session) carry through.
  let writeOutputs: Record<string, string> = {}
  if (prNumber === undefined) {
    // The writer opens the PR; the reviewer below is the loop's own, not write mode's `review`.
    const written = await writeChanges({ ...inputs, review: false }, gh, repo, within(0))
    writeCostUsd = written.costUsd
    writeCommits = written.pushed ? 1 : 0
    if (!written.pr) {
      return { ...written.outcome, outputs: { ...written.outcome.outputs, rounds: '0' } }
    }
    writeOutputs = written.outcome.outputs
    prNumber = written.pr.number
    prUrl = written.pr.url
    writerSession = written.session?.sessionId
    verify = written.verify
  } else {
    prUrl = (await getPullRequest(gh, repo, prNumber)).htmlUrl
    // Converging means green checks too: an existing PR is checked before the first review.
    if (inputs.verifyCommand) {
      verify = await verifyCheckout(inputs.verifyCommand, agent, redactorFor(inputs))
    }
  }

  const rounds: PairRound[] = []
  let stop: PairStop | undefined
  let failure: string | undefined
  let verdict: string | undefined
  let spent = writeCostUsd
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
      // A reviewer stopped by what was left of the budget is the budget running out.
      stop = reviewed.outcome.outputs.conclusion === 'budget' ? 'budget' : 'reviewer-failed'
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
        agent: within(spent)
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
    } else if (addressed.outcome.failure) {
      // Refused (workflow files, a secret) or not pushed: the loop cannot go on honestly.
      stop = 'writer-failed'
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
      ...writeOutputs,
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

const SELF_STARTED = ['workflow_dispatch', 'schedule', 'push', '']

/** What the writer must fix besides the open threads: a failing check, unthreaded findings. */
function feedbackFor(verify: VerifyResult, unthreaded: Finding[]): string | undefined {
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
