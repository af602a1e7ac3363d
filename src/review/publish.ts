import * as core from '@actions/core'
import type { GitHub, Repo } from '../github/client.js'
import { createReview, deleteReview, listReviews, ReviewRejectedError } from '../github/pulls.js'
import type { InlineFinding, ReviewComment, UnanchoredFinding } from './anchor.js'

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
  inline: InlineFinding[]
  /** Everything listed in the body: unanchored, plus any GitHub refused as inline comments. */
  unanchored: UnanchoredFinding[]
}

const REFUSED = 'GitHub refused it as an inline comment'

/**
 * Posts ONE review. GitHub rejects a whole review (422) for one bad comment, so on a 422 the
 * bad comments are found by probing halves as pending reviews (deleted again, never shown),
 * moved to the body, and the rest posted. A failure that may have landed is never retried
 * blindly: the run marker in the body tells whether it did.
 */
export async function postReview(
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  review: ReviewToPost
): Promise<PostedReview> {
  const runMarker = `<!-- tandem:run id=${review.commitId.slice(0, 12)}-${Date.now().toString(36)} -->`
  const attempt = async (inline: InlineFinding[], unanchored: UnanchoredFinding[]) => {
    const body = `${review.renderBody(unanchored)}\n${runMarker}`
    try {
      const posted = await createReview(gh, repo, prNumber, {
        commitId: review.commitId,
        event: review.event,
        body,
        comments: inline.map(item => item.comment)
      })
      return { id: posted.id, url: posted.htmlUrl, inline, unanchored }
    } catch (error) {
      if (error instanceof ReviewRejectedError) throw error
      // Network error, 5xx or rate limit on a POST: it may have landed. Look before retrying.
      const landed = (await listReviews(gh, repo, prNumber)).find(r => r.body?.includes(runMarker))
      if (landed) return { id: landed.id, url: landed.htmlUrl, inline, unanchored }
      throw error
    }
  }

  try {
    return await attempt(review.inline, review.unanchored)
  } catch (error) {
    if (!(error instanceof ReviewRejectedError) || review.inline.length === 0) throw error
    core.warning(`GitHub refused the review (${error.message}); finding the comments it refused`)
  }
  const refused = await findRefused(gh, repo, prNumber, review.commitId, review.inline)
  const accepted = review.inline.filter(item => !refused.includes(item))
  const moved = refused.map(item => ({
    finding: item.finding,
    fingerprint: item.fingerprint,
    reason: REFUSED
  }))
  core.info(
    `${refused.length} comment(s) moved to the review body; posting ${accepted.length} inline`
  )
  try {
    return await attempt(accepted, [...review.unanchored, ...moved])
  } catch (error) {
    if (!(error instanceof ReviewRejectedError)) throw error
    // Whatever GitHub objects to now, every finding still lands: all of them in the body.
    const all = review.inline.map(item => ({
      finding: item.finding,
      fingerprint: item.fingerprint,
      reason: REFUSED
    }))
    return attempt([], [...review.unanchored, ...all])
  }
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
    if (
      await accepts(
        gh,
        repo,
        prNumber,
        commitId,
        subset.map(item => item.comment)
      )
    )
      return []
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
