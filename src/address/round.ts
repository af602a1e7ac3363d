import type { SessionReport } from '../agent/report.js'
import { renderSessionSummary } from '../agent/summary.js'
import type { PullRequest } from '../github/pulls.js'
import { renderVerify } from '../write/render.js'
import type { ModeOutcome } from '../outcome.js'
import { NO_VERIFY, type VerifyResult } from '../write/verify.js'
import type { ThreadAnswer } from './answer.js'
import { renderAddressSummary, type PushedCommit } from './render.js'
import type { ThreadSelection } from './threads.js'

/** What one address run found and did, filled in step by step. */
export interface AddressFacts {
  pr: PullRequest
  selection: ThreadSelection
  session: SessionReport
  resumed: boolean
  answers: Map<string, ThreadAnswer>
  missing: string[]
  problems: string[]
  changedFiles: string[]
  commit?: PushedCommit
  notPushed?: string
  /** The diff of changes that were not pushed, for the job summary. */
  unpushedDiff?: string
  verify: VerifyResult
  resolvedIds: Set<string>
  addressed: number
  postFailures?: string
}

/** The outputs of a run that addressed nothing. */
export const ADDRESS_SKIPPED_OUTPUTS = {
  conclusion: 'skipped',
  'threads-addressed': '0',
  'threads-resolved': '0',
  'commit-sha': '',
  'verify-result': 'none'
}

/** Why changes that exist were not pushed; undefined when nothing changed. */
export function notPushedOf(facts: AddressFacts): string | undefined {
  return facts.changedFiles.length > 0 ? facts.notPushed : undefined
}

/** Why a run that got as far as publishing fails: changes not pushed, answers not posted. */
export function publishFailure(facts: AddressFacts): string | undefined {
  const failures: string[] = []
  if (facts.notPushed !== undefined) {
    failures.push(
      `The changes could not be pushed to ${facts.pr.headRef}: ${facts.notPushed}. The answers ` +
        'were posted; the diff is in the job summary'
    )
  }
  if (facts.postFailures) failures.push(facts.postFailures)
  return failures.length > 0 ? failures.join('. ') : undefined
}

/** The job summary of an address run: the writer's session, then every thread. */
export function addressSummary(facts: AddressFacts): string {
  return (
    renderSessionSummary(facts.session, 'Tandem · writer session (address)') +
    '\n' +
    renderAddressSummary({
      prNumber: facts.pr.number,
      branch: facts.pr.headRef,
      threads: facts.selection.selected,
      answers: facts.answers,
      resolved: facts.resolvedIds,
      skipped: facts.selection.skipped,
      problems: facts.problems,
      commit: facts.commit,
      notPushed: notPushedOf(facts),
      changedFiles: facts.changedFiles,
      diff: facts.unpushedDiff,
      verify: renderVerify(facts.verify),
      resumed: facts.resumed
    })
  )
}

/** Address mode's own outputs; the writer session's outputs go before them. */
export function addressOutputs(facts: AddressFacts): Record<string, string> {
  return {
    'threads-addressed': String(facts.addressed),
    'threads-resolved': String(facts.resolvedIds.size),
    'commit-sha': facts.commit?.sha ?? '',
    'verify-result': facts.verify.status
  }
}

/** What one address run did; `pair` reads it to decide on the next review. */
export interface AddressRound {
  outcome: ModeOutcome
  /** Undefined when no writer ran (nothing to address). */
  session?: SessionReport
  resumed: boolean
  /** Threads that got an answer posted. */
  addressed: number
  resolved: number
  answers: ThreadAnswer[]
  /** Thread ids the writer did not answer: left for the next run. */
  missing: string[]
  /** The pushed commit; undefined when nothing changed or the push was refused. */
  commitSha?: string
  changedFiles: string[]
  /** Why changes were not pushed, when there were changes. */
  notPushed?: string
  verify: VerifyResult
  costUsd: number
}

export function roundOf(facts: AddressFacts, outcome: ModeOutcome): AddressRound {
  return {
    outcome,
    session: facts.session,
    resumed: facts.resumed,
    addressed: facts.addressed,
    resolved: facts.resolvedIds.size,
    answers: [...facts.answers.values()],
    missing: facts.missing,
    commitSha: facts.commit?.sha,
    changedFiles: facts.changedFiles,
    notPushed: notPushedOf(facts),
    verify: facts.verify,
    costUsd: facts.session.costUsd
  }
}

/** A run that stopped before the writer: nothing addressed. */
export function emptyRound(outcome: ModeOutcome): AddressRound {
  return {
    outcome,
    resumed: false,
    addressed: 0,
    resolved: 0,
    answers: [],
    missing: [],
    changedFiles: [],
    verify: NO_VERIFY,
    costUsd: 0
  }
}
