/**
 * Address mode's reading steps: the threads that wait for an answer, where a fix may be pushed,
 * and the writer's answer once it ran.
 */
import * as core from '@actions/core'
import type { SessionReport } from '../../agent/report.js'
import { answerEveryThread } from '../../address/answer.js'
import { threadLocation } from '../../address/prompt.js'
import { whyCannotPush } from '../../address/push.js'
import type { AddressFacts } from '../../address/round.js'
import {
  peopleToCheck,
  selectThreads,
  type AddressableThread,
  type ThreadSelection
} from '../../address/threads.js'
import type { GitHub, Repo } from '../../github/client.js'
import { requireWritePermission } from '../../github/event.js'
import { tandemLogin } from '../../github/identity.js'
import type { PullRequest } from '../../github/pulls.js'
import { tokenCanPushTo } from '../../github/push.js'
import { listReviewThreads, type ReviewThread } from '../../github/threads.js'
import { statusEntries } from '../../git/branch.js'
import { originUrl } from '../../git/checkout.js'

/** The pull request's review threads, and those of them this run answers. */
export async function readThreads(
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  includeHumanComments: boolean
): Promise<{ threads: ReviewThread[]; selection: ThreadSelection }> {
  const threads = await listReviewThreads(gh, repo, prNumber)
  const writers = new Map<string, boolean>()
  for (const login of peopleToCheck(threads, includeHumanComments)) {
    writers.set(login.toLowerCase(), await requireWritePermission(gh, repo, login))
  }
  const selection = selectThreads(threads, {
    includeHumanComments,
    canWrite: login => writers.get(login.toLowerCase()) === true,
    tandem: await tandemLogin(gh)
  })
  for (const item of selection.selected) {
    core.info(`To address: ${threadLocation(item.thread)} (${item.origin}, ${item.thread.id})`)
  }
  for (const { thread, reason } of selection.skipped) {
    core.info(`Not addressed: ${threadLocation(thread)}: ${reason}`)
  }
  return { threads, selection }
}

/** Why a fix cannot be pushed to the pull request's head branch, or undefined when it can. */
export async function pushRefusalFor(
  gh: GitHub,
  pr: PullRequest,
  cwd: string
): Promise<string | undefined> {
  const fork = pr.isFork && pr.headRepoFullName !== undefined
  return whyCannotPush({
    isFork: pr.isFork,
    headRepoFullName: pr.headRepoFullName,
    maintainerCanModify: fork && pr.maintainerCanModify,
    tokenCanPush: fork && (await tokenCanPushTo(gh, pr.headRepoFullName!)),
    originUrl: await originUrl(cwd)
  })
}

/** The writer's structured answer; when it gave none but changed files, the change answers all. */
export async function writerAnswer(
  cwd: string,
  session: SessionReport,
  selected: AddressableThread[]
): Promise<unknown> {
  if (session.structuredOutput !== undefined || (await statusEntries(cwd)).length === 0) {
    return session.structuredOutput
  }
  core.warning(
    'The writer changed files but gave no per-thread answer: each thread gets the change'
  )
  return answerEveryThread(
    selected.map(t => t.thread.id),
    session.result
  )
}

/** Warns about every answer that was malformed and every thread left without one. */
export function warnAboutAnswers(facts: AddressFacts, selected: AddressableThread[]): void {
  for (const problem of facts.problems) core.warning(`The writer's answer: ${problem}`)
  for (const id of facts.missing) {
    const item = selected.find(t => t.thread.id === id)!
    core.warning(
      `The writer did not answer thread ${threadLocation(item.thread)} (${id}); it stays open for the next run`
    )
  }
}
