import { fitBody } from './body.js'
import { describeError, errorBody, httpStatus, type GitHub, type Repo } from './client.js'
import { isBot } from './event.js'
import type { ReviewComment } from '../review/anchor.js'

export interface PostedReviewComment {
  id: number
  nodeId: string
  body: string
  author: string | undefined
  authorIsBot: boolean
  path: string
  /** Null when the comment no longer sits on the current diff (outdated). */
  line: number | null
  startLine: number | null
  side: 'LEFT' | 'RIGHT' | undefined
  originalLine: number | undefined
  inReplyToId: number | undefined
  reviewId: number | null
  commitId: string
  htmlUrl: string
  createdAt: string
}

/** Every review comment of the pull request, oldest first. */
export async function listReviewComments(
  gh: GitHub,
  repo: Repo,
  number: number
): Promise<PostedReviewComment[]> {
  const comments = await gh.paginate(gh.rest.pulls.listReviewComments, {
    owner: repo.owner,
    repo: repo.repo,
    pull_number: number,
    per_page: 100
  })
  return comments.map(c => ({
    id: c.id,
    nodeId: c.node_id,
    body: c.body,
    author: c.user?.login,
    authorIsBot: c.user ? isBot(c.user) : false,
    path: c.path,
    line: c.line ?? null,
    startLine: c.start_line ?? null,
    side: c.side,
    originalLine: c.original_line,
    inReplyToId: c.in_reply_to_id,
    reviewId: c.pull_request_review_id,
    commitId: c.commit_id,
    htmlUrl: c.html_url,
    createdAt: c.created_at
  }))
}

export interface Review {
  id: number
  nodeId: string
  body: string
  state: string
  commitId: string | null
  author: string | undefined
  htmlUrl: string
  submittedAt: string | undefined
}

/** Every review of the pull request (pending ones only to their author), oldest first. */
export async function listReviews(gh: GitHub, repo: Repo, number: number): Promise<Review[]> {
  const reviews = await gh.paginate(gh.rest.pulls.listReviews, {
    owner: repo.owner,
    repo: repo.repo,
    pull_number: number,
    per_page: 100
  })
  return reviews.map(r => ({
    id: r.id,
    nodeId: r.node_id,
    body: r.body,
    state: r.state,
    commitId: r.commit_id,
    author: r.user?.login,
    htmlUrl: r.html_url,
    submittedAt: r.submitted_at
  }))
}

/** Takes back a review's CHANGES_REQUESTED (or APPROVED): it stays visible, marked dismissed. */
export async function dismissReview(
  gh: GitHub,
  repo: Repo,
  number: number,
  reviewId: number,
  message: string
): Promise<void> {
  await gh.rest.pulls.dismissReview({
    owner: repo.owner,
    repo: repo.repo,
    pull_number: number,
    review_id: reviewId,
    message,
    event: 'DISMISS'
  })
}

export interface CreateReviewOptions {
  /** The head SHA that was reviewed: comments are placed on that revision's diff. */
  commitId: string
  /** Without an event the review stays pending: visible to its author only, until submitted. */
  event?: 'COMMENT' | 'REQUEST_CHANGES' | 'APPROVE'
  body?: string
  comments?: ReviewComment[]
}

/** GitHub refused the review as a whole (422): one bad comment is enough. */
export class ReviewRejectedError extends Error {
  readonly status = 422
  constructor(
    message: string,
    /** GitHub's `errors`, each as text (the review endpoints answer plain strings). */
    readonly errors: string[],
    readonly documentationUrl: string | undefined
  ) {
    super(errors.length > 0 ? `${message}: ${errors.join('; ')}` : message)
    this.name = 'ReviewRejectedError'
  }
}

/**
 * Creates ONE review. Never retried here: a 5xx or a rate limit may answer a review that
 * landed, so the caller lists the reviews and decides.
 */
export async function createReview(
  gh: GitHub,
  repo: Repo,
  number: number,
  review: CreateReviewOptions
): Promise<{ id: number; htmlUrl: string; state: string }> {
  try {
    const { data } = await gh.rest.pulls.createReview({
      owner: repo.owner,
      repo: repo.repo,
      pull_number: number,
      commit_id: review.commitId,
      ...(review.event === undefined ? {} : { event: review.event }),
      ...(review.body === undefined ? {} : { body: fitBody(review.body) }),
      comments: (review.comments ?? []).map(commentPayload),
      request: { retries: 0 }
    })
    return { id: data.id, htmlUrl: data.html_url, state: data.state }
  } catch (error) {
    if (httpStatus(error) === 422) throw rejected(error)
    throw error
  }
}

/** Deletes a review that was never submitted (GitHub refuses others). */
export async function deleteReview(
  gh: GitHub,
  repo: Repo,
  number: number,
  reviewId: number
): Promise<void> {
  await gh.rest.pulls.deletePendingReview({
    owner: repo.owner,
    repo: repo.repo,
    pull_number: number,
    review_id: reviewId
  })
}

// Only the fields GitHub knows: callers may hand richer objects.
function commentPayload(c: ReviewComment): ReviewComment {
  const out: ReviewComment = {
    path: c.path,
    line: c.line,
    side: c.side,
    body: fitBody(c.body)
  }
  if (c.start_line !== undefined) {
    out.start_line = c.start_line
    out.start_side = c.start_side ?? c.side
  }
  return out
}

function rejected(error: unknown): ReviewRejectedError {
  const body = errorBody(error) ?? {}
  const message = typeof body.message === 'string' ? body.message : 'Unprocessable Entity'
  const errors = Array.isArray(body.errors) ? body.errors.map(describeError) : []
  const docs = typeof body.documentation_url === 'string' ? body.documentation_url : undefined
  return new ReviewRejectedError(message, errors, docs)
}
