/**
 * Publishing a review on GitHub — one review that every finding lands in, the sticky summary,
 * earlier change requests taken back, threads resolved — and reading back what earlier runs
 * published. What to post is decided in review/publish.ts.
 */

import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import type { ReviewEventChoice } from '../review/events.js'
import type {
  InlineFinding,
  ReviewComment,
  ReviewPlan,
  UnanchoredFinding
} from '../review/anchor.js'
import type { ParsedDiff } from '../review/diff.js'
import {
  REVIEW_MARKER,
  SUMMARY_MARKER,
  atOrAbove,
  hasTrailerMarker,
  readFingerprints,
  summaryMarker,
  type Finding,
  type ReviewOutput,
  type Verdict
} from '../review/findings.js'
import {
  findRefused,
  placementOf,
  reviewToPost,
  summaryCommentBody,
  withoutRefused,
  type PostedReview,
  type Published,
  type ReviewToPost
} from '../review/publish.js'
import { formatWait, httpStatus, retryWaitMs, type GitHub, type Repo } from './client.js'
import {
  findStickyComment,
  listIssueComments,
  stickyJob,
  upsertStickyComment,
  type IssueComment
} from './comments.js'
import { isAuthoredBy, tandemLogin } from './identity.js'
import {
  createReview,
  deleteReview,
  dismissReview,
  listReviewComments,
  listReviews,
  ReviewRejectedError,
  type Review
} from './reviews.js'
import { listReviewThreads, resolveReviewThread, type ReviewThread } from './threads.js'

/**
 * Posts ONE review, and makes sure every finding lands in it:
 * - GitHub refuses REQUEST_CHANGES on a pull request the token opened itself (a writer's PR):
 *   the review is then posted as COMMENT.
 * - GitHub rejects a whole review (422) for one bad comment. A pending review without comments
 *   first tells whether the comments are the cause (else: a stale pending review of ours is
 *   deleted, and the review tried once more); then the refused comments are found by probing
 *   halves as pending reviews (deleted again, never shown), moved to the body, the rest posted.
 * - A POST that failed otherwise may still have landed: the run marker in the body tells,
 *   before it is tried once more.
 */
export async function postReview(
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  review: ReviewToPost
): Promise<PostedReview> {
  // Unguessable, and read from the trailer only: another review that quotes it is not this one.
  const runMarker = `<!-- tandem:run id=${review.commitId.slice(0, 12)}-${randomBytes(8).toString('hex')} -->`
  let event = review.event
  const attempt = async (
    inline: InlineFinding[],
    unanchored: UnanchoredFinding[]
  ): Promise<PostedReview> => {
    const body = `${review.renderBody(unanchored)}\n${runMarker}`
    const post = () =>
      createReview(gh, repo, prNumber, {
        commitId: review.commitId,
        event,
        body,
        comments: inline.map(item => item.comment)
      })
    const lookUp = async (): Promise<Review | undefined> =>
      (await listReviews(gh, repo, prNumber)).find(r => hasTrailerMarker(r.body, runMarker))
    const landed = (found: Review): PostedReview => ({
      id: found.id,
      url: found.htmlUrl,
      event,
      inline,
      unanchored
    })
    for (let tries = 1; ; tries++) {
      try {
        const posted = await post()
        return { id: posted.id, url: posted.htmlUrl, event, inline, unanchored }
      } catch (error) {
        if (error instanceof ReviewRejectedError) throw error
        // 5xx, a network error, a rate limit: it may have landed. Look before trying again.
        const found = await lookUp()
        if (found) return landed(found)
        const status = httpStatus(error)
        if (tries >= 2 || status === 401 || status === 404 || isReadOnly(error)) throw error
        const wait = retryWaitMs(error)
        if (wait === undefined) {
          core.warning(
            `Posting the review failed (${(error as Error).message}): GitHub asks to wait too long`
          )
          throw error
        }
        core.warning(
          `Posting the review failed (${(error as Error).message}); trying once more in ${formatWait(wait)}`
        )
        await new Promise(resolve => setTimeout(resolve, wait))
        // A POST that timed out may land late, or show in the list only after a moment.
        const late = await lookUp()
        if (late) return landed(late)
      }
    }
  }

  let rejection: ReviewRejectedError
  try {
    return await attempt(review.inline, review.unanchored)
  } catch (error) {
    if (!(error instanceof ReviewRejectedError)) throw error
    rejection = error
  }
  if (event === 'REQUEST_CHANGES' && /own pull request/i.test(rejection.message)) {
    core.warning('GitHub refuses REQUEST_CHANGES on a pull request of this token: posting COMMENT')
    event = 'COMMENT'
    try {
      return await attempt(review.inline, review.unanchored)
    } catch (error) {
      if (!(error instanceof ReviewRejectedError)) throw error
      rejection = error
    }
  }
  core.warning(`GitHub refused the review (${rejection.message}); looking for the cause`)
  let refused: InlineFinding[]
  try {
    if (!(await accepts(gh, repo, prNumber, review.commitId, []))) {
      // Not the comments: most likely a pending review of ours left by an earlier, broken run.
      await deleteOwnPendingReviews(gh, repo, prNumber)
      if (!(await accepts(gh, repo, prNumber, review.commitId, []))) {
        throw new Error(
          `GitHub refuses any review on commit ${review.commitId} of #${prNumber} (has the head moved?)`
        )
      }
    }
    refused = await findRefused(review.inline, subset =>
      accepts(
        gh,
        repo,
        prNumber,
        review.commitId,
        subset.map(item => item.comment)
      )
    )
  } catch (error) {
    // Whatever stopped the search (pending reviews unsupported, the head moved): every finding
    // still lands, all of them in the body.
    core.warning(
      `Could not find the refused comments (${(error as Error).message}); posting every finding in the body`
    )
    refused = review.inline
  }
  const { accepted, moved } = withoutRefused(review.inline, refused)
  core.info(
    `${refused.length} comment(s) moved to the review body; posting ${accepted.length} inline`
  )
  return attempt(accepted, [...review.unanchored, ...moved])
}

async function accepts(
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  commitId: string,
  comments: ReviewComment[]
): Promise<boolean> {
  try {
    const pending = await createReview(gh, repo, prNumber, { commitId, comments })
    await deleteReview(gh, repo, prNumber, pending.id)
    return true
  } catch (error) {
    if (error instanceof ReviewRejectedError) return false
    throw error
  }
}

/** Pending reviews are visible to their author only: every one listed is ours. */
async function deleteOwnPendingReviews(gh: GitHub, repo: Repo, prNumber: number): Promise<void> {
  for (const review of await listReviews(gh, repo, prNumber)) {
    if (review.state !== 'PENDING') continue
    core.info(`Deleting pending review ${review.id} left by an earlier run`)
    await deleteReview(gh, repo, prNumber, review.id)
  }
}

/** What a pull request from a fork gets: a token that may read but not write. */
export function isReadOnly(error: unknown): boolean {
  return (
    httpStatus(error) === 403 &&
    /Resource not accessible by (integration|personal access token)/i.test(
      (error as Error).message ?? ''
    )
  )
}

/**
 * Posts the review (when something is new), then the sticky summary, and takes back Tandem's
 * earlier change request once this review no longer requests changes.
 */
export async function publishReview(
  gh: GitHub,
  repo: Repo,
  pr: { number: number; headSha: string },
  args: {
    decision: { plan: ReviewPlan; verdict: Verdict; standing: Finding[] }
    review: ReviewOutput
    context: EarlierPosts & { fullDiff: ParsedDiff; sinceSha: string | undefined }
    reviewEvent: ReviewEventChoice
    redact: (text: string) => string
    costUsd: number
    numTurns: number
  }
): Promise<Published> {
  const { plan, verdict } = args.decision
  const { context } = args
  const toPost = reviewToPost(plan, {
    summary: args.review.summary,
    verdict,
    reviewEvent: args.reviewEvent,
    headSha: pr.headSha,
    redact: args.redact
  })
  const posted = toPost ? await postReview(gh, repo, pr.number, toPost) : undefined
  const inline = posted?.inline ?? plan.inline
  const unanchored = posted?.unanchored ?? plan.unanchored
  if (posted) {
    core.info(
      `Posted review ${posted.id}: ${inline.length} inline comment(s), ${unanchored.length} in the body`
    )
  } else {
    core.info('Nothing new to post: every finding is already on the pull request')
  }
  const placement = placementOf(plan, { inline, unanchored })
  const body = summaryCommentBody({
    plan,
    review: args.review,
    verdict,
    standing: args.decision.standing,
    posted: { inline, unanchored, url: posted?.url },
    threads: context.threads,
    fullDiff: context.fullDiff,
    headSha: pr.headSha,
    sinceSha: context.sinceSha,
    previous: context.summary,
    costUsd: args.costUsd,
    numTurns: args.numTurns,
    marker: summaryMarker(stickyJob()),
    redact: args.redact
  })
  const summary = await upsertStickyComment(gh, repo, pr.number, summaryMarker(stickyJob()), body, {
    author: await tandemLogin(gh),
    existing: context.summary ?? null,
    legacy: [SUMMARY_MARKER]
  })
  if (verdict !== 'request_changes') await dismissStaleChangeRequests(gh, repo, pr)
  core.info(`Summary comment ${summary.id}: ${summary.operation}`)
  return {
    reviewId: posted?.id,
    inlineCount: inline.length,
    summaryCommentId: summary.id,
    placement
  }
}

/**
 * Tandem's earlier CHANGES_REQUESTED would keep blocking the merge after the findings behind it
 * are gone: it is dismissed once a review no longer requests changes.
 */
async function dismissStaleChangeRequests(
  gh: GitHub,
  repo: Repo,
  pr: { number: number; headSha: string }
): Promise<void> {
  let earlierReviews: Review[]
  try {
    earlierReviews = await listReviews(gh, repo, pr.number)
  } catch (error) {
    core.warning(`Could not list earlier reviews: ${(error as Error).message}`)
    return
  }
  for (const earlier of earlierReviews) {
    if (earlier.state !== 'CHANGES_REQUESTED' || !hasTrailerMarker(earlier.body, REVIEW_MARKER))
      continue
    if (!isAuthoredBy({ login: earlier.author }, await tandemLogin(gh))) continue
    try {
      await dismissReview(
        gh,
        repo,
        pr.number,
        earlier.id,
        `Tandem's review of ${pr.headSha.slice(0, 7)} no longer requests changes.`
      )
      core.info(`Dismissed the earlier change request ${earlier.id}`)
    } catch (error) {
      core.warning(`Could not dismiss review ${earlier.id}: ${(error as Error).message}`)
    }
  }
}

/** What earlier runs of this job left on the pull request. */
export interface EarlierPosts {
  /** Tandem's own review threads. */
  threads: ReviewThread[]
  /** Fingerprints of every finding already posted: in threads, or listed in the summary. */
  postedFingerprints: Set<string>
  /** This job's sticky summary comment, if there is one yet. */
  summary: IssueComment | undefined
}

/**
 * Reads what earlier runs posted. Markers are trusted only in comments written by Tandem's own
 * login, and only in their trailer: anyone who can comment (and the model) could otherwise
 * plant a reviewed SHA or fingerprints to hide findings.
 */
export async function readEarlierPosts(
  gh: GitHub,
  repo: Repo,
  prNumber: number
): Promise<EarlierPosts> {
  const me = await tandemLogin(gh)
  // This job's summary; a summary from before markers named their job becomes this job's.
  const summary = findStickyComment(
    await listIssueComments(gh, repo, prNumber),
    summaryMarker(stickyJob()),
    me,
    [SUMMARY_MARKER]
  )
  let threads: ReviewThread[] = []
  let threadFingerprints: string[]
  try {
    threads = (await listReviewThreads(gh, repo, prNumber)).filter(thread =>
      isAuthoredBy(
        { login: thread.comments[0]?.author, isBot: thread.comments[0]?.authorIsBot },
        me
      )
    )
    threadFingerprints = threads.flatMap(t => readFingerprints(t.comments[0]?.body ?? ''))
  } catch (error) {
    // Without GraphQL (a GitHub Enterprise proxy, a token without it) nothing is resolved, but
    // the REST comments still say what was posted, so nothing is posted twice.
    core.warning(
      `Could not read review threads (${(error as Error).message}); using review comments`
    )
    threadFingerprints = (await listReviewComments(gh, repo, prNumber))
      .filter(comment => isAuthoredBy({ login: comment.author, isBot: comment.authorIsBot }, me))
      .flatMap(comment => readFingerprints(comment.body))
  }
  const postedFingerprints = new Set<string>([
    ...readFingerprints(summary?.body ?? ''),
    ...threadFingerprints
  ])
  return { threads, postedFingerprints, summary }
}

/** Resolves the threads; one that cannot be resolved is left open with a warning. */
export async function resolveThreads(gh: GitHub, threads: { id: string }[]): Promise<void> {
  for (const thread of threads) {
    try {
      await resolveReviewThread(gh, thread.id)
    } catch (error) {
      // The review is posted; a thread left open is not worth failing the step for.
      core.warning(`Could not resolve thread ${thread.id}: ${(error as Error).message}`)
    }
  }
  core.info(`Resolved ${threads.length} thread(s)`)
}

/** Each finding as an annotation on its file and line, for runs that cannot comment. */
export function annotateFindings(findings: Finding[], redact: (text: string) => string): void {
  for (const finding of findings) {
    const properties = {
      title: redact(`[${finding.severity}] ${finding.title}`),
      file: finding.path,
      startLine: finding.start_line ?? finding.line,
      endLine: finding.line
    }
    if (atOrAbove(finding.severity, 'major')) core.warning(redact(finding.body), properties)
    else core.notice(redact(finding.body), properties)
  }
}
