/**
 * Addressing one pull request's review threads, shared by address mode and pair mode: read the
 * threads, check out the head, run the writer, check its answer, commit and push, reply.
 */
import * as core from '@actions/core'
import { prepareAgent, sessionOutputs, type Agent, sessionFailure } from '../../agent/launch.js'
import { checkAnswers } from '../../address/answer.js'
import { commitMessage } from '../../address/render.js'
import {
  ADDRESS_SKIPPED_OUTPUTS,
  addressOutputs,
  addressSummary,
  emptyRound,
  publishFailure,
  roundOf,
  type AddressFacts,
  type AddressRound
} from '../../address/round.js'
import { roundsDone } from '../../address/threads.js'
import type { GitHub, Repo } from '../../github/client.js'
import { appendJobSummary } from '../../github/emit.js'
import { tandemLogin } from '../../github/identity.js'
import { getPullRequest } from '../../github/pulls.js'
import { redactorFor, runSecrets } from '../../github/redact.js'
import { checkoutPullRequestHead } from '../../git/pr-head.js'
import { type Inputs } from '../../inputs.js'
import { NO_VERIFY, verifyCheckout } from '../../write/verify.js'
import { skipped } from '../outcome.js'
import { pushRefusalFor, readThreads, warnAboutAnswers, writerAnswer } from './address-context.js'
import { answerThreads, commitAndPush } from './address-publish.js'
import { runAddressWriter } from './address-writer.js'
import { agentSettings } from './agent-settings.js'

export type { AddressRound }

export interface AddressOptions {
  /** A writer session to resume (pair mode's own writer); default: the `session-id` input. */
  sessionId?: string
  /** More to fix besides the threads, e.g. pair mode's failing verify-command. */
  feedback?: string
  /** Stop once Tandem has pushed this many rounds of fixes to the pull request's threads. */
  maxRounds?: number
  agent?: Agent
}

/**
 * Addresses the unresolved review threads of one pull request: the whole of address mode after
 * the trigger. The checkout must be clean; it is moved to the pull request's head.
 */
export async function addressPullRequest(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  options: AddressOptions = {}
): Promise<AddressRound> {
  const cwd = inputs.workingDirectory
  const pr = await getPullRequest(gh, repo, prNumber)
  if (pr.state === 'closed') return nothingToDo(`pull request #${prNumber} is closed`)

  const { threads, selection } = await core.group('Reading the review threads', () =>
    readThreads(gh, repo, pr.number, inputs.includeHumanComments)
  )
  if (options.maxRounds !== undefined) {
    const done = roundsDone(threads, await tandemLogin(gh))
    if (done >= options.maxRounds) {
      return nothingToDo(
        `Tandem already pushed fixes for the review threads of #${pr.number} ${done} time(s) ` +
          `(max-rounds ${options.maxRounds}); a person can ask for more with /tandem fix`
      )
    }
  }
  const selected = selection.selected
  if (selected.length === 0 && !options.feedback?.trim()) {
    return nothingToDo(`no unresolved review thread of #${pr.number} waits for an answer`)
  }

  await core.group(`Checking out the head of #${pr.number}`, () => checkoutPullRequestHead(cwd, pr))
  const pushRefusal = await core.group('Checking where the fix can be pushed', () =>
    pushRefusalFor(gh, pr, cwd)
  )
  if (pushRefusal) core.warning(`Fixes cannot be pushed to ${pr.headRef}: ${pushRefusal}`)

  const secrets = runSecrets(inputs)
  const redact = redactorFor(inputs)
  const agent = options.agent ?? (await prepareAgent(agentSettings(inputs)))
  const { session, resumed } = await runAddressWriter(inputs, agent, pr, selected, options)

  const facts: AddressFacts = {
    pr,
    selection,
    session,
    resumed,
    answers: new Map(),
    missing: selected.map(t => t.thread.id),
    problems: [],
    changedFiles: [],
    verify: NO_VERIFY,
    resolvedIds: new Set(),
    addressed: 0
  }
  const untouched = 'nothing was committed, pushed or posted'
  if (session.conclusion !== 'success') {
    return finish(facts, `${sessionFailure('writer', session)}; ${untouched}`)
  }
  const answer = await writerAnswer(cwd, session, selected)
  try {
    Object.assign(
      facts,
      checkAnswers(
        answer,
        selected.map(t => t.thread.id)
      )
    )
  } catch (error) {
    return finish(facts, `${(error as Error).message}; ${untouched}`)
  }
  warnAboutAnswers(facts, selected)

  if (inputs.verifyCommand) {
    facts.verify = await verifyCheckout(inputs.verifyCommand, agent, redact)
    if (facts.verify.status === 'failed') {
      core.warning('verify-command failed: fixed threads stay open, the replies say why')
    }
  }

  await core.group('Committing and pushing', () =>
    commitAndPush(cwd, facts, {
      pushRefusal,
      allowWorkflowChanges: inputs.allowWorkflowChanges,
      secrets,
      redact,
      repo,
      message: redact(inputs.commitMessage ?? commitMessage(pr.number, selected, facts.answers)),
      author: inputs.commitAuthor,
      token: inputs.githubToken
    })
  )

  await core.group('Answering the threads', () => answerThreads(gh, facts, selected, redact))
  return finish(facts, publishFailure(facts))
}

async function finish(facts: AddressFacts, failure: string | undefined): Promise<AddressRound> {
  await appendJobSummary(addressSummary(facts))
  const outputs = { ...sessionOutputs(facts.session), ...addressOutputs(facts) }
  return roundOf(facts, { outputs, failure })
}

function nothingToDo(reason: string): AddressRound {
  return emptyRound(skipped(reason, ADDRESS_SKIPPED_OUTPUTS))
}
