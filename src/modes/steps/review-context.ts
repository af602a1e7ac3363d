import * as core from '@actions/core'
import type { GitHub, Repo } from '../../github/client.js'
import { readEarlierPosts, type EarlierPosts } from '../../github/publish.js'
import {
  filesToUnifiedDiff,
  getPullRequestDiff,
  listPullRequestFiles,
  type PullRequest
} from '../../github/pulls.js'
import type { ReviewThread } from '../../github/threads.js'
import { diffBetween, ensureCommits, isAncestor, mergeBase } from '../../git/git.js'
import type { Inputs } from '../../inputs.js'
import type { ReviewState } from '../../review/decide.js'
import { parseUnifiedDiff, type ParsedDiff } from '../../review/diff.js'
import { readReviewedSha } from '../../review/findings.js'

/** Everything the review reads before the reviewer runs. */
export type ReviewContext = ReviewState<ReviewThread> & EarlierPosts

/** The PR's diff, what earlier runs posted, and — in an incremental review — what changed since. */
export async function readReviewContext(
  gh: GitHub,
  repo: Repo,
  pr: PullRequest,
  inputs: Inputs
): Promise<ReviewContext> {
  const cwd = inputs.workingDirectory
  const fullDiff = parseUnifiedDiff(await pullRequestDiff(gh, repo, pr, cwd))
  const earlier = await readEarlierPosts(gh, repo, pr.number)
  const lastSha = earlier.summary?.body ? readReviewedSha(earlier.summary.body) : undefined
  const since =
    inputs.incremental && lastSha && lastSha !== pr.headSha
      ? await changesSince(cwd, lastSha, pr.headSha)
      : undefined
  core.info(
    `${fullDiff.files.length} file(s) in the pull request; ${earlier.threads.length} review thread(s)`
  )
  return {
    fullDiff,
    reviewDiff: since?.diff ?? fullDiff,
    sinceSha: since?.sha,
    ...earlier
  }
}

/** The PR diff from the checkout; then the API's diff; then the paginated files API. */
async function pullRequestDiff(
  gh: GitHub,
  repo: Repo,
  pr: PullRequest,
  cwd: string
): Promise<string> {
  try {
    if (await ensureCommits(cwd, [pr.baseSha, pr.headSha])) {
      const base = await mergeBase(cwd, pr.baseSha, pr.headSha)
      if (base) return await diffBetween(cwd, base, pr.headSha)
    }
    core.info('The checkout lacks the PR commits; asking the API for the diff')
  } catch (error) {
    core.info(`git diff failed (${(error as Error).message}); asking the API for the diff`)
  }
  const apiDiff = await getPullRequestDiff(gh, repo, pr.number)
  if (apiDiff !== undefined) return apiDiff
  core.info('The diff is too large for the API; reading the files API instead')
  return filesToUnifiedDiff(await listPullRequestFiles(gh, repo, pr.number))
}

/** What changed since the last reviewed head, unless that head is not an ancestor (force-push). */
async function changesSince(
  cwd: string,
  lastSha: string,
  headSha: string
): Promise<{ sha: string; diff: ParsedDiff } | undefined> {
  if ((await ensureCommits(cwd, [lastSha, headSha])) && (await isAncestor(cwd, lastSha, headSha))) {
    const diff = parseUnifiedDiff(await diffBetween(cwd, lastSha, headSha))
    core.info(`Incremental review: ${diff.files.length} file(s) changed since ${lastSha}`)
    return { sha: lastSha, diff }
  }
  core.info(`${lastSha} is not an ancestor of ${headSha} (force-push?): reviewing everything`)
  return undefined
}
