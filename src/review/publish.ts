import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { formatWait, httpStatus, retryWaitMs, type GitHub, type Repo } from '../github/client.js'
import {
  createReview,
  deleteReview,
  listReviews,
  ReviewRejectedError,
  type Review
} from '../github/pulls.js'
import type { InlineFinding, ReviewComment, UnanchoredFinding } from './anchor.js'
import { hasTrailerMarker } from './findings.js'

export type ReviewEvent = 'COMMENT' | 'REQUEST_CHANGES'

export interface ReviewToPost {
  commitId: string
  event: ReviewEvent
  inline: InlineFinding[]
  /** Renders the review body from the findings that end up off the diff. */
  renderBody: (unanchored: UnanchoredFinding[]) => string
  unanchored: UnanchoredFinding[]
}

export interface PostedReview {
  id: number
  url: string
  event: ReviewEvent
  inline: InlineFinding[]
  /** Everything listed in the body: unanchored, plus any GitHub refused as inline comments. */
  unanchored: UnanchoredFinding[]
}

const REFUSED = 'GitHub refused it as an inline comment'

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
        const found = (await listReviews(gh, repo, prNumber)).find(r =>
          hasTrailerMarker(r.body, runMarker)
        )
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
    refused = await findRefused(gh, repo, prNumber, review.commitId, review.inline)
  } catch (error) {
    // Whatever stopped the search (pending reviews unsupported, the head moved): every finding
    // still lands, all of them in the body.
    core.warning(
      `Could not find the refused comments (${(error as Error).message}); posting every finding in the body`
    )
    refused = review.inline
  }
  const accepted = review.inline.filter(item => !refused.includes(item))
  const moved = refused.map(item => ({
    finding: item.finding,
    fingerprint: item.fingerprint,
    reason: REFUSED
  }))
  core.info(
    `${refused.length} comment(s) moved to the review body; posting ${accepted.length} inline`
  )
  return attempt(accepted, [...review.unanchored, ...moved])
}

/** Bisects the comments with pending (unsubmitted) reviews to find the ones GitHub refuses. */
async function findRefused(
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  commitId: string,
  items: InlineFinding[]
): Promise<InlineFinding[]> {
  const probe = async (subset: InlineFinding[]): Promise<InlineFinding[]> => {
    if (subset.length === 0) return []
    const comments = subset.map(item => item.comment)
    if (await accepts(gh, repo, prNumber, commitId, comments)) return []
    if (subset.length === 1) return subset
    const half = Math.ceil(subset.length / 2)
    return [...(await probe(subset.slice(0, half))), ...(await probe(subset.slice(half)))]
  }
  return probe(items)
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
