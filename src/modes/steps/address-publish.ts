/**
 * Address mode's publishing steps: one commit on the pull request's head branch, pushed unless
 * something keeps it back, and one reply per answered thread.
 */
import * as core from '@actions/core'
import { threadLocation } from '../../address/prompt.js'
import { addedLines, commitUrl, whyNotPushed } from '../../address/push.js'
import { shouldResolve, renderReply } from '../../address/render.js'
import { notPushedOf, type AddressFacts } from '../../address/round.js'
import type { AddressableThread } from '../../address/threads.js'
import type { GitHub, Repo } from '../../github/client.js'
import { containsSecret } from '../../github/redact.js'
import { replyToReviewThread, resolveReviewThread } from '../../github/threads.js'
import {
  commitAll,
  entryPaths,
  pushBranch,
  statusEntries,
  type GitIdentity
} from '../../git/branch.js'
import { diffBetween } from '../../git/git.js'
import { workflowChanges } from '../../git/workflow-paths.js'

export async function commitAndPush(
  cwd: string,
  facts: AddressFacts,
  how: {
    pushRefusal: string | undefined
    allowWorkflowChanges: boolean
    secrets: string[]
    redact: (text: string) => string
    repo: Repo
    message: string
    author: GitIdentity | undefined
    /** For a checkout that stored no credentials (persist-credentials: false). */
    token: string | undefined
  }
): Promise<void> {
  const entries = await statusEntries(cwd)
  facts.changedFiles = entryPaths(entries).sort()
  if (facts.changedFiles.length === 0) {
    core.info('The writer changed nothing: no commit')
    return
  }
  core.info(`Changed: ${facts.changedFiles.join(', ')}`)
  const workflows = workflowChanges(entries)
  const sha = await commitAll(cwd, { message: how.message, author: how.author })
  if (!sha) throw new Error('git found nothing to commit although the working tree had changes')
  const diff = await diffBetween(cwd, facts.pr.headSha, sha)
  if (containsSecret(addedLines(diff), how.secrets)) {
    // Not even the job summary gets this diff.
    facts.notPushed = 'the changes hold a credential of this run'
    return
  }
  facts.unpushedDiff = how.redact(diff)
  facts.notPushed = whyNotPushed(workflows, how)
  if (facts.notPushed !== undefined) return
  try {
    // Never forced: a push someone made meanwhile is theirs, and wins.
    await pushBranch(cwd, facts.pr.headRef, { token: how.token })
  } catch (error) {
    facts.notPushed = `git push failed: ${how.redact((error as Error).message)}`
    return
  }
  facts.unpushedDiff = undefined
  facts.commit = { sha, url: commitUrl(process.env.GITHUB_SERVER_URL, how.repo, sha) }
  core.info(`Pushed ${sha} to ${facts.pr.headRef}`)
}

export async function answerThreads(
  gh: GitHub,
  facts: AddressFacts,
  selected: AddressableThread[],
  redact: (text: string) => string
): Promise<void> {
  const failed: string[] = []
  for (const item of selected) {
    const answer = facts.answers.get(item.thread.id)
    if (!answer) continue
    const where = threadLocation(item.thread)
    const body = redact(
      renderReply({
        answer,
        answering: item.answering.databaseId,
        commit: facts.commit,
        notPushed: notPushedOf(facts),
        branch: facts.pr.headRef,
        verify: facts.verify
      })
    )
    try {
      await replyToReviewThread(gh, item.thread.id, body)
      facts.addressed++
      if (shouldResolve(answer.status, { notPushed: facts.notPushed, verify: facts.verify })) {
        await resolveReviewThread(gh, item.thread.id)
        facts.resolvedIds.add(item.thread.id)
      }
      core.info(
        `${where}: ${answer.status}${facts.resolvedIds.has(item.thread.id) ? ', resolved' : ''}`
      )
    } catch (error) {
      core.warning(`Could not answer the thread at ${where}: ${(error as Error).message}`)
      failed.push(where)
    }
  }
  if (failed.length > 0) {
    facts.postFailures = `${failed.length} answer(s) could not be posted (${failed.join(', ')}); they are in the job summary`
  }
}
