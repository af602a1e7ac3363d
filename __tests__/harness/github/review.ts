// Reviews, review comments and threads, with the anchoring rules GitHub applies. The
// rules are the point of this fake: a comment GitHub would refuse must be refused here too,
// and for `pulls.createReview` one bad comment fails the whole review.
import { diffHunk, findAnchor, findPosition, type Anchor, type DiffFile } from './diff.js'
import { ApiError, bodyTooLong, tooLong, unprocessable, validationFailed } from './errors.js'
import {
  timestamp,
  type IssueState,
  type RepoState,
  type ReviewCommentState,
  type ReviewState,
  type ReviewStateName,
  type Revision,
  type Side,
  type Store,
  type ThreadState
} from './state.js'

export interface CommentInput {
  path: string
  body: string
  line?: number
  side?: string
  start_line?: number
  start_side?: string
  position?: number
  subject_type?: string
}

interface Placement {
  path: string
  subjectType: 'line' | 'file'
  side: Side
  line?: number
  startLine?: number
  startSide?: Side
  position?: number
  diffHunk: string
}

/** Why a comment cannot be placed, in the words of both answer forms GitHub uses. */
interface Misplaced {
  /** `pulls.createReview` answers a list of plain strings. */
  simple: string
  /** `pulls.createReviewComment` answers structured `Validation Failed` errors. */
  field: string
  message?: string
  code: string
}

const SIDES = ['LEFT', 'RIGHT']

function misplacedLine(): Misplaced {
  return {
    simple: 'Line could not be resolved',
    field: 'pull_request_review_thread.line',
    message: 'pull_request_review_thread.line must be part of the diff',
    code: 'custom'
  }
}

export function place(
  revision: Revision,
  noPatch: Set<string>,
  input: CommentInput
): Placement | Misplaced {
  const file: DiffFile | undefined = revision.files.find(f => f.filename === input.path)
  if (!file) {
    return { simple: 'Path could not be resolved', field: 'path', code: 'invalid' }
  }
  if (input.subject_type === 'file') {
    return { path: file.filename, subjectType: 'file', side: 'RIGHT', diffHunk: '' }
  }
  // Binary files and patches GitHub will not render have no lines to anchor on.
  if (file.binary || noPatch.has(file.filename) || file.hunks.length === 0) return misplacedLine()
  if (input.side !== undefined && !SIDES.includes(input.side)) {
    return { simple: 'Side is not included in the list', field: 'side', code: 'invalid' }
  }
  if (input.start_side !== undefined && !SIDES.includes(input.start_side)) {
    return {
      simple: 'Start side is not included in the list',
      field: 'start_side',
      code: 'invalid'
    }
  }
  let end: Anchor | undefined
  let side = (input.side ?? 'RIGHT') as Side
  let line = input.line
  if (input.line === undefined && input.position !== undefined) {
    end = findPosition(file, input.position)
    if (end) {
      side = end.line.kind === 'del' ? 'LEFT' : 'RIGHT'
      line = side === 'LEFT' ? end.line.oldLine : end.line.newLine
    }
  } else if (input.line !== undefined) {
    end = findAnchor(file, side, input.line)
  }
  if (!end || line === undefined) return misplacedLine()
  const placement: Placement = {
    path: file.filename,
    subjectType: 'line',
    side,
    line,
    position: end.line.position,
    diffHunk: diffHunk(end)
  }
  if (input.start_line === undefined) return placement
  const startSide = (input.start_side ?? side) as Side
  const start = findAnchor(file, startSide, input.start_line)
  if (!start || start.hunk !== end.hunk) {
    return {
      simple: 'Pull request review thread start line must be part of the same hunk as the line.',
      field: 'pull_request_review_thread.start_line',
      message: 'pull_request_review_thread.start_line must be part of the same hunk as the line.',
      code: 'custom'
    }
  }
  if (start.line.position >= end.line.position) {
    return {
      simple: 'Pull request review thread start line must precede the end line.',
      field: 'pull_request_review_thread.start_line',
      message: 'pull_request_review_thread.start_line must precede the end line.',
      code: 'custom'
    }
  }
  return { ...placement, startLine: input.start_line, startSide }
}

function isMisplaced(value: Placement | Misplaced): value is Misplaced {
  return 'simple' in value
}

function revisionFor(issue: IssueState, commitId: string | undefined): Revision {
  const pull = issue.pull!
  if (commitId === undefined) return pull.current
  const revision = pull.revisions.get(commitId)
  // Not verified against GitHub word for word; a commit outside the pull request is refused.
  if (!revision) throw unprocessable('Commit could not be resolved')
  return revision
}

function addComment(
  store: Store,
  repo: RepoState,
  issue: IssueState,
  review: ReviewState,
  placement: Placement,
  body: string,
  user: string
): ReviewCommentState {
  const id = store.nextId()
  const now = timestamp()
  const thread: ThreadState = {
    id: store.nodeId('PRRT', id),
    repo: repo.fullName,
    number: issue.number,
    path: placement.path,
    subjectType: placement.subjectType,
    side: placement.side,
    line: placement.line,
    startLine: placement.startLine,
    startSide: placement.startSide,
    commitId: review.commitId,
    comments: [id],
    isResolved: false
  }
  const comment: ReviewCommentState = {
    id,
    nodeId: store.nodeId('PRRC', id),
    repo: repo.fullName,
    number: issue.number,
    reviewId: review.id,
    threadId: thread.id,
    user,
    body,
    path: placement.path,
    commitId: review.commitId,
    originalCommitId: review.commitId,
    subjectType: placement.subjectType,
    side: placement.side,
    line: placement.line,
    startLine: placement.startLine,
    startSide: placement.startSide,
    position: placement.position,
    diffHunk: placement.diffHunk,
    createdAt: now,
    updatedAt: now
  }
  store.threads.set(thread.id, thread)
  store.reviewComments.set(id, comment)
  return comment
}

function newReview(
  store: Store,
  repo: RepoState,
  issue: IssueState,
  user: string,
  body: string,
  state: ReviewStateName,
  commitId: string
): ReviewState {
  const id = store.nextId()
  const review: ReviewState = {
    id,
    nodeId: store.nodeId('PRR', id),
    repo: repo.fullName,
    number: issue.number,
    user,
    body,
    state,
    commitId,
    submittedAt: state === 'PENDING' ? null : timestamp()
  }
  store.reviews.set(id, review)
  return review
}

const EVENT_STATE: Record<string, ReviewStateName> = {
  APPROVE: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  COMMENT: 'COMMENTED'
}

/** The checks GitHub makes on the event itself, before looking at the comments. */
function checkEvent(
  repo: RepoState,
  issue: IssueState,
  user: string,
  event: string | undefined,
  body: string,
  commentCount: number
): void {
  const own = issue.user.toLowerCase() === user.toLowerCase()
  if (event === 'APPROVE' && own) throw unprocessable('Can not approve your own pull request')
  if (event === 'REQUEST_CHANGES' && own) {
    throw unprocessable('Can not request changes on your own pull request')
  }
  if (
    event === 'APPROVE' &&
    user === 'github-actions[bot]' &&
    !repo.actionsCanCreateAndApprovePullRequests
  ) {
    throw unprocessable('GitHub Actions is not permitted to approve pull requests.')
  }
  // The docs make a body required for these events; GitHub lets inline comments stand in for
  // it. The wording of this refusal (like "Commit could not be resolved") is not verified.
  if (
    (event === 'REQUEST_CHANGES' || event === 'COMMENT') &&
    body.trim() === '' &&
    commentCount === 0
  ) {
    throw unprocessable(`Review Body can't be blank`)
  }
}

export interface CreateReviewInput {
  commit_id?: string
  body?: string
  event?: string
  comments?: CommentInput[]
}

export function createReview(
  store: Store,
  repo: RepoState,
  issue: IssueState,
  user: string,
  input: CreateReviewInput
): ReviewState {
  const pull = issue.pull!
  const body = input.body ?? ''
  const comments = input.comments ?? []
  if (tooLong(body)) throw bodyTooLong('PullRequestReview')
  if (comments.some(comment => tooLong(comment.body))) throw bodyTooLong('PullRequestReviewComment')
  const revision = revisionFor(issue, input.commit_id)
  checkEvent(repo, issue, user, input.event, body, comments.length)
  const pending = [...store.reviews.values()].some(
    r =>
      r.repo === repo.fullName &&
      r.number === issue.number &&
      r.user === user &&
      r.state === 'PENDING'
  )
  if (input.event === undefined && pending) {
    throw unprocessable('User can only have one pending review per pull request')
  }
  const placements: Placement[] = []
  const problems: string[] = []
  for (const comment of comments) {
    const placed = place(revision, pull.noPatch, comment)
    if (isMisplaced(placed)) problems.push(placed.simple)
    else placements.push(placed)
  }
  // All or nothing: one comment that does not anchor fails the whole review.
  if (problems.length > 0) throw unprocessable(...new Set(problems))
  const state = input.event === undefined ? 'PENDING' : EVENT_STATE[input.event]
  if (!state) throw unprocessable(`Event is not included in the list`)
  const review = newReview(store, repo, issue, user, body, state, revision.headSha)
  placements.forEach((placement, i) =>
    addComment(store, repo, issue, review, placement, comments[i]!.body, user)
  )
  return review
}

export function submitReview(
  store: Store,
  repo: RepoState,
  issue: IssueState,
  review: ReviewState,
  user: string,
  event: string,
  body: string | undefined
): ReviewState {
  if (review.state !== 'PENDING') {
    throw unprocessable('Can not submit a review that is not pending')
  }
  const text = body ?? review.body
  const commentCount = [...store.reviewComments.values()].filter(
    c => c.reviewId === review.id
  ).length
  checkEvent(repo, issue, user, event, text, commentCount)
  review.state = EVENT_STATE[event] ?? 'COMMENTED'
  review.body = text
  review.submittedAt = timestamp()
  return review
}

/** One review comment (`pulls.createReviewComment`): a thread of its own in a one-comment review. */
export function createReviewComment(
  store: Store,
  repo: RepoState,
  issue: IssueState,
  user: string,
  input: CommentInput & { commit_id: string }
): ReviewCommentState {
  if (tooLong(input.body)) throw bodyTooLong('PullRequestReviewComment')
  const revision = revisionFor(issue, input.commit_id)
  const placed = place(revision, issue.pull!.noPatch, input)
  if (isMisplaced(placed)) {
    const errors = [
      {
        resource: 'PullRequestReviewComment',
        code: placed.code,
        field: placed.field,
        ...(placed.message ? { message: placed.message } : {})
      }
    ]
    if (placed.field.startsWith('pull_request_review_thread')) {
      errors.push({
        resource: 'PullRequestReviewComment',
        code: 'missing_field',
        field: 'pull_request_review_thread.diff_hunk'
      })
    }
    throw validationFailed(...errors)
  }
  const review = newReview(store, repo, issue, user, '', 'COMMENTED', revision.headSha)
  return addComment(store, repo, issue, review, placed, input.body, user)
}

/** A reply joins the thread of the comment it answers; GitHub wraps it in a review of its own. */
export function reply(
  store: Store,
  repo: RepoState,
  issue: IssueState,
  thread: ThreadState,
  user: string,
  body: string
): ReviewCommentState {
  if (tooLong(body)) throw bodyTooLong('PullRequestReviewComment')
  const first = store.reviewComments.get(thread.comments[0] ?? -1)
  if (!first) throw new ApiError(404, { message: 'Not Found' })
  const review = newReview(store, repo, issue, user, '', 'COMMENTED', issue.pull!.current.headSha)
  const id = store.nextId()
  const now = timestamp()
  const comment: ReviewCommentState = {
    ...first,
    id,
    nodeId: store.nodeId('PRRC', id),
    reviewId: review.id,
    inReplyTo: first.id,
    user,
    body,
    createdAt: now,
    updatedAt: now
  }
  store.reviewComments.set(id, comment)
  thread.comments.push(id)
  return comment
}
