import { hasTrailerMarker, trailerMarkers } from '../review/findings.js'
import { errorBody, httpStatus, mayHaveLanded, type GitHub, type Repo } from './client.js'
import { isBot, isForkPullRequest } from './event.js'
import { isAuthoredBy } from './identity.js'

export interface PullRequest {
  number: number
  nodeId: string
  title: string
  /** '' when the pull request has no description. */
  body: string
  state: 'open' | 'closed'
  draft: boolean
  merged: boolean
  headSha: string
  headRef: string
  /** Undefined when the head repository was deleted. */
  headRepoFullName: string | undefined
  baseSha: string
  baseRef: string
  baseRepoFullName: string
  author: string
  isFork: boolean
  /** A fork's "Allow edits by maintainers". */
  maintainerCanModify: boolean
  htmlUrl: string
}

export async function getPullRequest(gh: GitHub, repo: Repo, number: number): Promise<PullRequest> {
  const { data } = await gh.rest.pulls
    .get({ owner: repo.owner, repo: repo.repo, pull_number: number })
    .catch((error: unknown) => {
      // GitHub's "Not Found" names neither the number nor the repository.
      if (httpStatus(error) !== 404) throw error
      const message = `Pull request #${number} of ${repo.owner}/${repo.repo} was not found (GitHub answered 404: no such pull request, or the token cannot see it; check input 'pr-number')`
      throw Object.assign(new Error(message, { cause: error }), { status: 404 })
    })
  return {
    number: data.number,
    nodeId: data.node_id,
    title: data.title,
    body: data.body ?? '',
    state: data.state === 'closed' ? 'closed' : 'open',
    draft: data.draft === true,
    merged: data.merged === true,
    headSha: data.head.sha,
    headRef: data.head.ref,
    headRepoFullName: data.head.repo?.full_name,
    baseSha: data.base.sha,
    baseRef: data.base.ref,
    baseRepoFullName: data.base.repo.full_name,
    author: data.user.login,
    isFork: isForkPullRequest(data),
    maintainerCanModify: data.maintainer_can_modify === true,
    htmlUrl: data.html_url
  }
}

/**
 * The pull request as one unified diff, or undefined when GitHub will not produce it: the diff
 * media type is refused (406, sometimes 422) above 20,000 lines or 300 files.
 */
export async function getPullRequestDiff(
  gh: GitHub,
  repo: Repo,
  number: number
): Promise<string | undefined> {
  try {
    const response = await gh.rest.pulls.get({
      owner: repo.owner,
      repo: repo.repo,
      pull_number: number,
      mediaType: { format: 'diff' }
    })
    // With the diff media type the body is the diff text, whatever the declared type says.
    const diff: unknown = response.data
    if (typeof diff !== 'string') throw new Error('GitHub answered the diff request without text')
    return diff
  } catch (error) {
    const status = httpStatus(error)
    if (status === 406 || status === 422) return undefined
    throw error
  }
}

export interface PullRequestFile {
  filename: string
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged'
  previousFilename?: string
  additions: number
  deletions: number
  changes: number
  /** Hunks only (from the first `@@`); absent for binary files and patches too large to show. */
  patch?: string
  /** False when GitHub shows the file without a patch: no comment can anchor on it. */
  hasPatch: boolean
}

/** Every file of the pull request (GitHub stops listing at 3,000). */
export async function listPullRequestFiles(
  gh: GitHub,
  repo: Repo,
  number: number
): Promise<PullRequestFile[]> {
  const files = await gh.paginate(gh.rest.pulls.listFiles, {
    owner: repo.owner,
    repo: repo.repo,
    pull_number: number,
    per_page: 100
  })
  return files.map(file => {
    const entry: PullRequestFile = {
      filename: file.filename,
      status: file.status,
      additions: file.additions,
      deletions: file.deletions,
      changes: file.changes,
      hasPatch: typeof file.patch === 'string' && file.patch !== ''
    }
    if (file.previous_filename !== undefined) entry.previousFilename = file.previous_filename
    if (entry.hasPatch) entry.patch = file.patch
    return entry
  })
}

/**
 * Rebuilds a `git diff` text from the files API, for the same parser that reads real diffs.
 * A changed file without a patch is written as a binary section: it is in the pull request, but
 * no line of it can take a comment, exactly as GitHub sees it.
 */
export function filesToUnifiedDiff(files: PullRequestFile[]): string {
  const out: string[] = []
  for (const file of files) {
    if (file.status === 'unchanged') continue
    const newPath = file.filename
    const oldPath = file.previousFilename ?? file.filename
    const a = quotePath(`a/${oldPath}`)
    const b = quotePath(`b/${newPath}`)
    out.push(`diff --git ${a} ${b}`)
    if (file.status === 'added') out.push('new file mode 100644')
    if (file.status === 'removed') out.push('deleted file mode 100644')
    if (oldPath !== newPath) {
      const verb = file.status === 'copied' ? 'copy' : 'rename'
      out.push(`${verb} from ${quotePath(oldPath)}`, `${verb} to ${quotePath(newPath)}`)
    }
    const minus = file.status === 'added' ? '/dev/null' : a
    const plus = file.status === 'removed' ? '/dev/null' : b
    if (file.patch !== undefined && file.patch !== '') {
      out.push(`--- ${minus}`, `+++ ${plus}`)
      out.push(file.patch.endsWith('\n') ? file.patch.slice(0, -1) : file.patch)
    } else if (file.changes > 0 || file.status === 'added' || file.status === 'removed') {
      out.push(`Binary files ${minus} and ${plus} differ`)
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`
}

const C_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r'
}

// git's C-style quoting, only when a name needs it: spaces alone stay bare, as git prints them.
function quotePath(name: string): string {
  let escaped = false
  let out = ''
  for (const c of name) {
    const code = c.charCodeAt(0)
    const octal =
      code < 0x20 || code === 0x7f ? `\\${code.toString(8).padStart(3, '0')}` : undefined
    const escape = C_ESCAPES[c] ?? octal
    if (escape !== undefined) escaped = true
    out += escape ?? c
  }
  return escaped ? `"${out}"` : name
}

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

export interface IssueComment {
  id: number
  nodeId: string
  body: string
  author: string | undefined
  authorIsBot: boolean
  htmlUrl: string
  createdAt: string
  updatedAt: string
}

/** Every conversation comment of the pull request, oldest first. */
export async function listIssueComments(
  gh: GitHub,
  repo: Repo,
  number: number
): Promise<IssueComment[]> {
  const comments = await gh.paginate(gh.rest.issues.listComments, {
    owner: repo.owner,
    repo: repo.repo,
    issue_number: number,
    per_page: 100
  })
  return comments.map(c => ({
    id: c.id,
    nodeId: c.node_id,
    body: c.body ?? '',
    author: c.user?.login,
    authorIsBot: c.user ? isBot(c.user) : false,
    htmlUrl: c.html_url,
    createdAt: c.created_at,
    updatedAt: c.updated_at
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

export type Side = 'LEFT' | 'RIGHT'

export interface ReviewCommentInput {
  path: string
  line: number
  side: Side
  start_line?: number
  start_side?: Side
  body: string
}

export interface CreateReviewOptions {
  /** The head SHA that was reviewed: comments are placed on that revision's diff. */
  commitId: string
  /** Without an event the review stays pending: visible to its author only, until submitted. */
  event?: 'COMMENT' | 'REQUEST_CHANGES' | 'APPROVE'
  body?: string
  comments?: ReviewCommentInput[]
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
function commentPayload(c: ReviewCommentInput): ReviewCommentInput {
  const out: ReviewCommentInput = {
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

function describeError(item: unknown): string {
  if (typeof item === 'string') return item
  if (typeof item !== 'object' || item === null) return String(item)
  const fields = item as Record<string, unknown>
  if (typeof fields.message === 'string') return fields.message
  return [fields.resource, fields.field, fields.code].filter(v => typeof v === 'string').join(' ')
}

export interface StickyResult {
  id: number
  htmlUrl: string
  operation: 'created' | 'updated' | 'unchanged'
}

/**
 * The sticky comment among `comments`: the first one written by `author` (Tandem's own login,
 * see identity.ts) whose trailer carries `marker`. Another bot's comment, or a person's, with
 * the same marker is never taken for it, and neither is a comment of Tandem's that merely
 * quotes the marker somewhere in its text.
 */
export function findStickyComment(
  comments: IssueComment[],
  marker: string,
  author: string,
  /**
   * Markers an earlier version gave the same comment (the plain summary marker before markers
   * named their job): found only when no comment has `marker`, and then taken over.
   */
  legacy: readonly string[] = []
): IssueComment | undefined {
  return (
    comments.find(c => isStickyOf(c, marker, author)) ??
    comments.find(c => legacy.some(old => isStickyOf(c, old, author)))
  )
}

/**
 * The job a sticky comment belongs to, from the runner's environment: `<workflow file>/<job id>`
 * (`.github/workflows/review.yml/review`), the workflow's name where its file is not known;
 * undefined outside Actions. The file rather than the name, since two workflows may share a
 * name; the ref is left out, since the same job runs on many refs (a PR's merge ref, the
 * default branch for a comment) and must find its summary on each.
 */
export function stickyJob(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const job = env.GITHUB_JOB?.trim()
  if (!job) return undefined
  // `owner/repo/.github/workflows/review.yml@refs/heads/main`
  const file = (env.GITHUB_WORKFLOW_REF?.trim() ?? '')
    .replace(/@.*$/s, '')
    .split('/')
    .slice(2)
    .join('/')
  const workflow = file || env.GITHUB_WORKFLOW?.trim()
  return workflow ? `${workflow}/${job}` : job
}

function isStickyOf(comment: IssueComment, marker: string, author: string): boolean {
  return (
    isAuthoredBy({ login: comment.author, isBot: comment.authorIsBot }, author) &&
    hasTrailerMarker(comment.body, marker)
  )
}

/** `body` with `marker` in its trailer (appended last when it is not there yet). */
export function withTrailerMarker(body: string, marker: string): string {
  return hasTrailerMarker(body, marker) ? body : `${body.replace(/\s+$/, '')}\n${marker}\n`
}

/**
 * One conversation comment per marker, edited in place. It is found only among the comments of
 * `author`, Tandem's own login (tandemLogin): a comment by anyone else that carries the marker
 * is neither overwritten nor taken for the summary. The marker goes into the body's trailer,
 * where findStickyComment looks for it. `existing` skips the listing when the caller has just
 * read the comments (it is used only if it passes the same test). A comment found by a `legacy`
 * marker is rewritten with `marker`: it becomes this job's.
 */
export async function upsertStickyComment(
  gh: GitHub,
  repo: Repo,
  number: number,
  marker: string,
  body: string,
  options: { author: string; existing?: IssueComment | null; legacy?: readonly string[] }
): Promise<StickyResult> {
  const { author } = options
  const legacy = options.legacy ?? []
  const text = fitBody(withTrailerMarker(body, marker))
  const existing =
    options.existing !== undefined
      ? options.existing !== null
        ? findStickyComment([options.existing], marker, author, legacy)
        : undefined
      : findStickyComment(await listIssueComments(gh, repo, number), marker, author, legacy)
  if (existing === undefined) {
    try {
      return await createComment(gh, repo, number, text)
    } catch (error) {
      if (!mayHaveLanded(error)) throw error
      // Another try only if the first one did not land: two summaries would confuse everyone.
      const landed = (await listIssueComments(gh, repo, number)).find(
        c => isStickyOf(c, marker, author) && sameBody(c.body, text)
      )
      if (landed) return { id: landed.id, htmlUrl: landed.htmlUrl, operation: 'created' }
      return await createComment(gh, repo, number, text)
    }
  }
  if (sameBody(existing.body, text)) {
    return { id: existing.id, htmlUrl: existing.htmlUrl, operation: 'unchanged' }
  }
  const { data } = await gh.rest.issues.updateComment({
    owner: repo.owner,
    repo: repo.repo,
    comment_id: existing.id,
    body: text
  })
  return { id: data.id, htmlUrl: data.html_url, operation: 'updated' }
}

async function createComment(
  gh: GitHub,
  repo: Repo,
  number: number,
  body: string
): Promise<StickyResult> {
  const { data } = await gh.rest.issues.createComment({
    owner: repo.owner,
    repo: repo.repo,
    issue_number: number,
    body,
    request: { retries: 0 }
  })
  return { id: data.id, htmlUrl: data.html_url, operation: 'created' }
}

// GitHub keeps what it is sent, but editors and the web UI may turn \n into \r\n.
function sameBody(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').trimEnd()
  return norm(a) === norm(b)
}

/** GitHub refuses a comment or review body longer than this many characters. */
export const MAX_BODY_CHARS = 65536

const TRUNCATED = '\n\n…*(truncated: GitHub allows 65,536 characters)*\n'

/**
 * A body GitHub will accept: cut to the limit, keeping its trailer (the markers at its end, see
 * trailerMarkers), since later runs find their comments and fingerprints by them. Only the
 * trailer is kept: a marker that stood anywhere else was never Tandem's to keep.
 */
export function fitBody(body: string): string {
  const chars = [...body]
  if (chars.length <= MAX_BODY_CHARS) return body
  const trailer = trailerMarkers(body)
  let content = body.replace(/\s+$/, '')
  for (let i = 0; i < trailer.length; i++) {
    content = content.slice(0, Math.max(0, content.lastIndexOf('\n')))
  }
  const kept = trailer.join('\n')
  const room = MAX_BODY_CHARS - [...TRUNCATED].length - [...kept].length
  let head = [...content].slice(0, Math.max(0, room)).join('')
  // A cut inside an HTML comment would hide everything after it, the markers included.
  const open = head.lastIndexOf('<!--')
  if (open > head.lastIndexOf('-->')) head = head.slice(0, open)
  return head + TRUNCATED + kept
}

/** An open pull request as `pulls.list` shows it: enough to decide whether to update it. */
export interface OpenPullRequest {
  number: number
  title: string
  /** '' when the pull request has no description. */
  body: string
  baseRef: string
  headRef: string
  headSha: string
  draft: boolean
  labels: string[]
  htmlUrl: string
}

interface PullListItem {
  number: number
  title: string
  body: string | null
  base: { ref: string }
  head: { ref: string; sha: string; repo: { full_name: string } | null }
  draft?: boolean
  labels: { name?: string }[]
  html_url: string
}

function openPullFrom(data: PullListItem): OpenPullRequest {
  return {
    number: data.number,
    title: data.title,
    body: data.body ?? '',
    baseRef: data.base.ref,
    headRef: data.head.ref,
    headSha: data.head.sha,
    draft: data.draft === true,
    labels: data.labels.map(l => l.name ?? '').filter(name => name !== ''),
    htmlUrl: data.html_url
  }
}

/**
 * The open pull request whose head is `branch` in `repo` itself, if any. GitHub allows one open
 * pull request per head and base; Tandem keeps one per head, so the first (newest) one is it.
 */
export async function findOpenPullRequestByHead(
  gh: GitHub,
  repo: Repo,
  branch: string
): Promise<OpenPullRequest | undefined> {
  // Without the owner prefix GitHub ignores `head` and lists every open pull request.
  const pulls = await gh.paginate(gh.rest.pulls.list, {
    owner: repo.owner,
    repo: repo.repo,
    state: 'open',
    head: `${repo.owner}:${branch}`,
    per_page: 100
  })
  const own = `${repo.owner}/${repo.repo}`.toLowerCase()
  const found = pulls.find(
    p => p.head.ref === branch && p.head.repo?.full_name.toLowerCase() === own
  )
  return found ? openPullFrom(found) : undefined
}

export interface CreatePullRequestOptions {
  head: string
  base: string
  title: string
  body: string
  draft: boolean
}

/** GitHub refused to let this token open a pull request, for a reason the user can fix. */
export class PullRequestForbiddenError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PullRequestForbiddenError'
  }
}

/**
 * Opens a pull request from `head` (a branch of `repo`). A create that may have landed (a 5xx, a
 * lost answer) or that raced another run (422 "already exists") ends with the pull request that
 * is there, never with a second one.
 */
export async function createPullRequest(
  gh: GitHub,
  repo: Repo,
  options: CreatePullRequestOptions
): Promise<OpenPullRequest> {
  try {
    const { data } = await gh.rest.pulls.create({
      owner: repo.owner,
      repo: repo.repo,
      head: options.head,
      base: options.base,
      title: options.title,
      body: fitBody(options.body),
      draft: options.draft,
      // A retried POST that landed the first time would answer 422; decide from a lookup instead.
      request: { retries: 0 }
    })
    return openPullFrom(data)
  } catch (error) {
    const status = httpStatus(error)
    const message = String(errorBody(error)?.message ?? (error as Error).message)
    if (status === 403 && /not permitted to create or approve pull requests/i.test(message)) {
      throw new PullRequestForbiddenError(
        `GitHub refused to let this token open a pull request: ${message} Enable "Allow GitHub ` +
          'Actions to create and approve pull requests" (repository or organization settings → ' +
          "Actions → General → Workflow permissions), or pass a GitHub App's token as github-token."
      )
    }
    const raced = status === 422 && /already exists/i.test(errorText(error))
    if (!raced && !mayHaveLanded(error)) throw error
    const existing = await findOpenPullRequestByHead(gh, repo, options.head)
    if (existing) return existing
    if (raced) throw error
    const { data } = await gh.rest.pulls.create({
      owner: repo.owner,
      repo: repo.repo,
      head: options.head,
      base: options.base,
      title: options.title,
      body: fitBody(options.body),
      draft: options.draft,
      request: { retries: 0 }
    })
    return openPullFrom(data)
  }
}

// 422 details sit in `errors[].message`, not in the top-level message ("Validation Failed").
function errorText(error: unknown): string {
  const body = errorBody(error)
  const errors = Array.isArray(body?.errors) ? body.errors.map(describeError) : []
  return [String(body?.message ?? ''), ...errors].join('; ')
}

/** Changes the title, body or base of a pull request; only the fields given are sent. */
export async function updatePullRequest(
  gh: GitHub,
  repo: Repo,
  number: number,
  changes: { title?: string; body?: string; base?: string }
): Promise<OpenPullRequest> {
  const { data } = await gh.rest.pulls.update({
    owner: repo.owner,
    repo: repo.repo,
    pull_number: number,
    ...changes,
    ...(changes.body !== undefined ? { body: fitBody(changes.body) } : {})
  })
  return openPullFrom(data)
}

/** Adds labels to an issue or pull request; GitHub creates labels the repository lacks. */
export async function addLabels(
  gh: GitHub,
  repo: Repo,
  number: number,
  labels: string[]
): Promise<void> {
  if (labels.length === 0) return
  await gh.rest.issues.addLabels({
    owner: repo.owner,
    repo: repo.repo,
    issue_number: number,
    labels
  })
}

/** The repository's default branch, the base a pull request gets when none is given. */
export async function getDefaultBranch(gh: GitHub, repo: Repo): Promise<string> {
  const { data } = await gh.rest.repos.get({ owner: repo.owner, repo: repo.repo })
  return data.default_branch
}

/** Whether two pull request bodies are the same once GitHub's line-ending changes are undone. */
export function samePullRequestBody(a: string, b: string): boolean {
  return sameBody(a, fitBody(b))
}
