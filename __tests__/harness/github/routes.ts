// REST operations the fake implements, keyed by GitHub's operationId. Requests reach a
// handler only after they passed the OpenAPI request schema; answers are checked against the
// response schema on the way out (server.ts).
import { countLines, parseDiff, type DiffFile } from './diff.js'
import {
  ApiError,
  bodyTooLong,
  forbidden,
  notFound,
  tooLong,
  unprocessable,
  validationFailed
} from './errors.js'
import {
  issueCommentJson,
  issueJson,
  labelJson,
  pullJson,
  repoJson,
  reviewCommentJson,
  reviewJson,
  userJson,
  type RenderContext
} from './render.js'
import {
  createReview,
  createReviewComment,
  reply,
  submitReview,
  type CommentInput
} from './review.js'
import {
  fakeSha,
  gitBranchSha,
  gitCommitsAhead,
  gitDiff,
  syncFromGit,
  timestamp,
  type IssueCommentState,
  type IssueState,
  type RepoState,
  type Revision
} from './state.js'

export interface RouteContext {
  render: RenderContext
  params: Record<string, string>
  query: Record<string, string | string[]>
  // The request passed the operation's JSON schema, so its fields have the documented types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
  headers: Record<string, string>
  actor: string
  readOnly: boolean
  /** The request URL, absolute, on the fake's own address. */
  url: URL
  limits: { diffFiles: number; diffLines: number }
}

export interface RouteResult {
  status: number
  body?: unknown
  /** A non-JSON answer (diff and patch media types). */
  text?: string
  headers?: Record<string, string>
}

type Handler = (ctx: RouteContext) => RouteResult

function ok(body: unknown, status = 200, headers?: Record<string, string>): RouteResult {
  return { status, body, headers }
}

function store(ctx: RouteContext) {
  return ctx.render.store
}

function repoOf(ctx: RouteContext): RepoState {
  const repo = store(ctx).repo(ctx.params.owner ?? '', ctx.params.repo ?? '')
  if (!repo) throw notFound()
  // A private repository the caller cannot see does not exist, as far as GitHub says.
  if (repo.private && store(ctx).permission(repo, ctx.actor) === 'none') throw notFound()
  return repo
}

function issueOf(ctx: RouteContext, repo: RepoState, key = 'issue_number'): IssueState {
  const issue = repo.issues.get(Number(ctx.params[key]))
  if (!issue) throw notFound()
  syncFromGit(store(ctx), repo, issue)
  return issue
}

function pullOf(ctx: RouteContext, repo: RepoState): IssueState {
  const issue = issueOf(ctx, repo, 'pull_number')
  if (!issue.pull) throw notFound()
  return issue
}

function writable(ctx: RouteContext): void {
  if (ctx.readOnly) throw forbidden()
}

function page(ctx: RouteContext): { perPage: number; page: number } {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.per_page ?? 30) || 30))
  return { perPage, page: Math.max(1, Number(ctx.query.page ?? 1) || 1) }
}

/** One page and GitHub's `Link` header (prev, next, last, first), on the request's own path. */
function paginate<T>(
  ctx: RouteContext,
  items: T[],
  render: (item: T) => unknown,
  cap = Infinity
): RouteResult {
  const all = items.slice(0, cap)
  const { perPage, page: n } = page(ctx)
  const last = Math.max(1, Math.ceil(all.length / perPage))
  const link = (target: number): string => {
    const url = new URL(ctx.url)
    url.searchParams.set('per_page', String(perPage))
    url.searchParams.set('page', String(target))
    return `<${url.toString()}>`
  }
  const parts: string[] = []
  if (n > 1) parts.push(`${link(Math.min(n - 1, last))}; rel="prev"`)
  if (n < last) parts.push(`${link(n + 1)}; rel="next"`, `${link(last)}; rel="last"`)
  if (n > 1) parts.push(`${link(1)}; rel="first"`)
  const slice = all.slice((n - 1) * perPage, n * perPage).map(render)
  return ok(slice, 200, parts.length > 0 ? { link: parts.join(', ') } : undefined)
}

function since(ctx: RouteContext): number | undefined {
  const value = ctx.query.since
  return typeof value === 'string' ? Date.parse(value) : undefined
}

function diffEntry(
  ctx: RouteContext,
  repo: RepoState,
  revision: Revision,
  file: DiffFile,
  noPatch: Set<string>
): unknown {
  const path = file.filename.split('/').map(encodeURIComponent).join('/')
  const entry: Record<string, unknown> = {
    sha: fakeSha('blob', file.filename, file.raw),
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${ctx.render.server}/${repo.fullName}/blob/${revision.headSha}/${path}`,
    raw_url: `${ctx.render.server}/${repo.fullName}/raw/${revision.headSha}/${path}`,
    contents_url: `${ctx.render.api}/repos/${repo.fullName}/contents/${path}?ref=${revision.headSha}`
  }
  if (file.patch !== undefined && !file.binary && !noPatch.has(file.filename))
    entry.patch = file.patch
  if (file.previousFilename !== undefined) entry.previous_filename = file.previousFilename
  return entry
}

function wantsFormat(ctx: RouteContext): 'diff' | 'patch' | undefined {
  const accept = ctx.headers.accept ?? ''
  if (/application\/vnd\.github(\.v3)?\.diff/.test(accept)) return 'diff'
  if (/application\/vnd\.github(\.v3)?\.patch/.test(accept)) return 'patch'
  return undefined
}

function tooLarge(ctx: RouteContext, revision: Revision): ApiError | undefined {
  const what =
    revision.files.length > ctx.limits.diffFiles
      ? `files (${ctx.limits.diffFiles})`
      : countLines(revision.diff) > ctx.limits.diffLines
        ? `lines (${ctx.limits.diffLines})`
        : undefined
  if (!what) return undefined
  return new ApiError(406, {
    message: `Sorry, the diff exceeded the maximum number of ${what}. Consider using 'List pull requests files' API or locally cloning the repository instead.`,
    errors: [{ resource: 'PullRequest', field: 'diff', code: 'too_large' }],
    documentation_url: 'https://docs.github.com/rest/pulls/pulls#list-pull-requests-files'
  })
}

function issueComments(ctx: RouteContext, repo: RepoState, number: number): IssueCommentState[] {
  return [...store(ctx).issueComments.values()].filter(
    c => c.repo === repo.fullName && c.number === number
  )
}

function labelNames(body: unknown): string[] {
  const list = Array.isArray(body) ? body : (body as { labels?: unknown } | undefined)?.labels
  if (!Array.isArray(list)) return []
  return list.map(item =>
    typeof item === 'string' ? item : String((item as { name?: string }).name ?? '')
  )
}

function headOf(
  ctx: RouteContext,
  repo: RepoState,
  head: string,
  headRepoName?: string
): { owner: string; ref: string; repo: RepoState } {
  const colon = head.indexOf(':')
  const owner = colon >= 0 ? head.slice(0, colon) : repo.owner
  const ref = colon >= 0 ? head.slice(colon + 1) : head
  const fullName = headRepoName
    ? `${owner}/${headRepoName}`
    : owner.toLowerCase() === repo.owner.toLowerCase()
      ? repo.fullName
      : `${owner}/${repo.name}`
  const headRepo = store(ctx).repo(fullName.split('/')[0] ?? '', fullName.split('/')[1] ?? '')
  if (!headRepo) throw validationFailed({ resource: 'PullRequest', field: 'head', code: 'invalid' })
  return { owner, ref, repo: headRepo }
}

function newRevision(
  ctx: RouteContext,
  repo: RepoState,
  headRepo: RepoState,
  head: string,
  base: string
): Revision {
  const gitDir = repo.gitDir
  if (gitDir && headRepo === repo) {
    const headSha = gitBranchSha(gitDir, head)
    if (!headSha)
      throw validationFailed({ resource: 'PullRequest', field: 'head', code: 'invalid' })
    const baseSha = gitBranchSha(gitDir, base)
    if (!baseSha)
      throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' })
    if (gitCommitsAhead(gitDir, baseSha, headSha) === 0) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        message: `No commits between ${base} and ${head}`
      })
    }
    const diff = gitDiff(gitDir, baseSha, headSha)
    return { headSha, baseSha, diff, files: parseDiff(diff) }
  }
  const seeded = headRepo.branches.get(head)
  const diff = seeded?.diff ?? ''
  return {
    headSha: seeded?.sha ?? fakeSha('head', headRepo.fullName, head, diff),
    baseSha: repo.branches.get(base)?.sha ?? fakeSha('base', repo.fullName, base),
    diff,
    files: parseDiff(diff)
  }
}

export const routes: Record<string, Handler> = {
  'repos/get': ctx => ok(repoJson(ctx.render, repoOf(ctx), ctx.actor)),

  'users/get-authenticated': ctx => {
    const user = store(ctx).user(ctx.actor)
    // An installation token (GITHUB_TOKEN) is not a user: GitHub refuses /user to it.
    if (user.type === 'Bot') throw forbidden()
    return ok({
      ...userJson(ctx.render, user),
      name: null,
      company: null,
      blog: '',
      location: null,
      email: null,
      hireable: null,
      bio: null,
      public_repos: 0,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2020-01-01T00:00:00Z'
    })
  },

  'repos/get-collaborator-permission-level': ctx => {
    const repo = repoOf(ctx)
    const user = store(ctx).user(ctx.params.username ?? '')
    const role = store(ctx).permission(repo, user.login)
    // The legacy `permission` field folds maintain into write and triage into read.
    const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role
    return ok({
      permission,
      role_name: role,
      user: {
        ...userJson(ctx.render, user),
        role_name: role,
        permissions: {
          admin: role === 'admin',
          maintain: role === 'admin' || role === 'maintain',
          push: ['admin', 'maintain', 'write'].includes(role),
          triage: !['read', 'none'].includes(role),
          pull: role !== 'none'
        }
      }
    })
  },

  'issues/get': ctx => {
    const repo = repoOf(ctx)
    return ok(issueJson(ctx.render, repo, issueOf(ctx, repo)))
  },

  'pulls/list': ctx => {
    const repo = repoOf(ctx)
    const state = (ctx.query.state as string | undefined) ?? 'open'
    const head = ctx.query.head as string | undefined
    const base = ctx.query.base as string | undefined
    const sort = (ctx.query.sort as string | undefined) ?? 'created'
    const direction = (ctx.query.direction as string | undefined) ?? 'desc'
    let pulls = [...repo.issues.values()].filter(issue => issue.pull)
    for (const issue of pulls) syncFromGit(store(ctx), repo, issue)
    if (state !== 'all') pulls = pulls.filter(issue => issue.state === state)
    // GitHub ignores a `head` filter without an owner prefix and lists every pull request.
    if (head && head.includes(':')) {
      const [owner = '', ref = ''] = [
        head.slice(0, head.indexOf(':')),
        head.slice(head.indexOf(':') + 1)
      ]
      pulls = pulls.filter(
        issue =>
          issue.pull!.headRef === ref &&
          issue.pull!.headRepo.split('/')[0]?.toLowerCase() === owner.toLowerCase()
      )
    }
    if (base) pulls = pulls.filter(issue => issue.pull!.baseRef === base)
    const key = (issue: IssueState): string =>
      sort === 'updated' ? issue.updatedAt : issue.createdAt
    pulls.sort((a, b) => key(a).localeCompare(key(b)) || a.number - b.number)
    if (direction === 'desc') pulls.reverse()
    return paginate(ctx, pulls, issue => pullJson(ctx.render, repo, issue, true))
  },

  'pulls/get': ctx => {
    const repo = repoOf(ctx)
    const issue = pullOf(ctx, repo)
    const format = wantsFormat(ctx)
    if (!format) return ok(pullJson(ctx.render, repo, issue))
    const revision = issue.pull!.current
    const refusal = tooLarge(ctx, revision)
    if (refusal) throw refusal
    if (format === 'diff') {
      return {
        status: 200,
        text: revision.diff,
        headers: { 'content-type': 'application/vnd.github.diff; charset=utf-8' }
      }
    }
    const author = store(ctx).user(issue.user)
    const patch = [
      `From ${revision.headSha} Mon Sep 17 00:00:00 2001`,
      `From: ${author.login} <${author.id}+${author.login}@users.noreply.github.com>`,
      `Date: ${new Date(issue.createdAt).toUTCString()}`,
      `Subject: [PATCH] ${issue.title}`,
      '',
      '---',
      revision.diff
    ].join('\n')
    return {
      status: 200,
      text: patch,
      headers: { 'content-type': 'application/vnd.github.patch; charset=utf-8' }
    }
  },

  'pulls/list-files': ctx => {
    const repo = repoOf(ctx)
    const issue = pullOf(ctx, repo)
    const pull = issue.pull!
    // The files endpoint stops at 3,000 files, whatever the pull request holds.
    return paginate(
      ctx,
      pull.current.files,
      file => diffEntry(ctx, repo, pull.current, file, pull.noPatch),
      3000
    )
  },

  'pulls/create': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const input = ctx.body as {
      title?: string
      head: string
      base: string
      body?: string
      draft?: boolean
      head_repo?: string
      maintainer_can_modify?: boolean
      issue?: number
    }
    if (ctx.actor === 'github-actions[bot]' && !repo.actionsCanCreateAndApprovePullRequests) {
      throw forbidden('GitHub Actions is not permitted to create or approve pull requests.')
    }
    if (!input.title && input.issue === undefined) {
      throw validationFailed({ resource: 'PullRequest', code: 'missing_field', field: 'title' })
    }
    if (tooLong(input.body)) throw bodyTooLong('PullRequest')
    const head = headOf(ctx, repo, input.head, input.head_repo)
    const existing = [...repo.issues.values()].find(
      issue =>
        issue.state === 'open' &&
        issue.pull?.headRef === head.ref &&
        issue.pull.baseRef === input.base &&
        issue.pull.headRepo.toLowerCase() === head.repo.fullName.toLowerCase()
    )
    if (existing) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        message: `A pull request already exists for ${head.owner}:${head.ref}.`
      })
    }
    const revision = newRevision(ctx, repo, head.repo, head.ref, input.base)
    const issue = store(ctx).createPullRequest(
      repo,
      {
        title: input.title ?? `Issue ${input.issue}`,
        body: input.body ?? null,
        user: ctx.actor,
        draft: input.draft ?? false
      },
      {
        headRef: head.ref,
        headRepo: head.repo.fullName,
        baseRef: input.base,
        draft: input.draft ?? false,
        maintainerCanModify: input.maintainer_can_modify ?? head.repo !== repo,
        current: revision
      }
    )
    const url = `${ctx.render.api}/repos/${repo.fullName}/pulls/${issue.number}`
    return ok(pullJson(ctx.render, repo, issue), 201, { location: url })
  },

  'pulls/update': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = pullOf(ctx, repo)
    const input = ctx.body as {
      title?: string
      body?: string
      state?: 'open' | 'closed'
      base?: string
      maintainer_can_modify?: boolean
    }
    if (tooLong(input.body)) throw bodyTooLong('PullRequest')
    if (input.title !== undefined) issue.title = input.title
    if (input.body !== undefined) issue.body = input.body
    if (input.base !== undefined) issue.pull!.baseRef = input.base
    if (input.maintainer_can_modify !== undefined)
      issue.pull!.maintainerCanModify = input.maintainer_can_modify
    if (input.state !== undefined && input.state !== issue.state && !issue.pull!.merged) {
      issue.state = input.state
      issue.closedAt = input.state === 'closed' ? timestamp() : null
    }
    issue.updatedAt = timestamp()
    return ok(pullJson(ctx.render, repo, issue))
  },

  'pulls/list-reviews': ctx => {
    const repo = repoOf(ctx)
    const issue = pullOf(ctx, repo)
    const reviews = [...store(ctx).reviews.values()].filter(
      r =>
        r.repo === repo.fullName &&
        r.number === issue.number &&
        (r.state !== 'PENDING' || r.user === ctx.actor)
    )
    return paginate(ctx, reviews, review => reviewJson(ctx.render, repo, review))
  },

  'pulls/get-review': ctx => {
    const repo = repoOf(ctx)
    const issue = pullOf(ctx, repo)
    const review = store(ctx).reviews.get(Number(ctx.params.review_id))
    if (!review || review.repo !== repo.fullName || review.number !== issue.number) throw notFound()
    return ok(reviewJson(ctx.render, repo, review))
  },

  'pulls/create-review': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = pullOf(ctx, repo)
    const review = createReview(store(ctx), repo, issue, ctx.actor, ctx.body ?? {})
    return ok(reviewJson(ctx.render, repo, review))
  },

  'pulls/delete-pending-review': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = pullOf(ctx, repo)
    const state = store(ctx)
    const review = state.reviews.get(Number(ctx.params.review_id))
    if (!review || review.repo !== repo.fullName || review.number !== issue.number) throw notFound()
    // GitHub deletes only a pending review, and only its author's.
    if (review.state !== 'PENDING' || review.user !== ctx.actor) {
      throw unprocessable('Can not delete a non-pending pull request review')
    }
    for (const [id, comment] of state.reviewComments) {
      if (comment.reviewId !== review.id) continue
      state.reviewComments.delete(id)
      state.threads.delete(comment.threadId)
    }
    state.reviews.delete(review.id)
    return ok(reviewJson(ctx.render, repo, review))
  },

  'pulls/dismiss-review': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = pullOf(ctx, repo)
    const review = store(ctx).reviews.get(Number(ctx.params.review_id))
    if (!review || review.repo !== repo.fullName || review.number !== issue.number) throw notFound()
    // GitHub dismisses only reviews that approve or request changes.
    if (review.state !== 'CHANGES_REQUESTED' && review.state !== 'APPROVED') {
      throw unprocessable('Can not dismiss a commented pull request review')
    }
    review.state = 'DISMISSED'
    return ok(reviewJson(ctx.render, repo, review))
  },

  'pulls/submit-review': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = pullOf(ctx, repo)
    const review = store(ctx).reviews.get(Number(ctx.params.review_id))
    if (!review || review.repo !== repo.fullName || review.number !== issue.number) throw notFound()
    const input = ctx.body as { event: string; body?: string }
    submitReview(store(ctx), repo, issue, review, ctx.actor, input.event, input.body)
    return ok(reviewJson(ctx.render, repo, review))
  },

  'pulls/list-comments-for-review': ctx => {
    const repo = repoOf(ctx)
    const issue = pullOf(ctx, repo)
    const id = Number(ctx.params.review_id)
    const review = store(ctx).reviews.get(id)
    if (!review || review.repo !== repo.fullName || review.number !== issue.number) throw notFound()
    const comments = [...store(ctx).reviewComments.values()].filter(c => c.reviewId === id)
    return paginate(ctx, comments, comment => reviewCommentJson(ctx.render, repo, comment))
  },

  'pulls/list-review-comments': ctx => {
    const repo = repoOf(ctx)
    const issue = pullOf(ctx, repo)
    const after = since(ctx)
    let comments = store(ctx).pullReviewComments(repo, issue.number, ctx.actor)
    if (after !== undefined) comments = comments.filter(c => Date.parse(c.updatedAt) >= after)
    if (ctx.query.direction === 'desc') comments = [...comments].reverse()
    return paginate(ctx, comments, comment => reviewCommentJson(ctx.render, repo, comment))
  },

  'pulls/get-review-comment': ctx => {
    const repo = repoOf(ctx)
    const comment = store(ctx).reviewComments.get(Number(ctx.params.comment_id))
    if (!comment || comment.repo !== repo.fullName) throw notFound()
    return ok(reviewCommentJson(ctx.render, repo, comment))
  },

  'pulls/update-review-comment': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const comment = store(ctx).reviewComments.get(Number(ctx.params.comment_id))
    if (!comment || comment.repo !== repo.fullName) throw notFound()
    const body = (ctx.body as { body: string }).body
    if (tooLong(body)) throw bodyTooLong('PullRequestReviewComment')
    comment.body = body
    comment.updatedAt = timestamp()
    return ok(reviewCommentJson(ctx.render, repo, comment))
  },

  'pulls/create-review-comment': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = pullOf(ctx, repo)
    const input = ctx.body as CommentInput & { commit_id: string; in_reply_to?: number }
    if (input.in_reply_to !== undefined) {
      return ok(
        reviewCommentJson(
          ctx.render,
          repo,
          replyTo(ctx, repo, issue, input.in_reply_to, input.body)
        ),
        201
      )
    }
    const comment = createReviewComment(store(ctx), repo, issue, ctx.actor, input)
    return ok(reviewCommentJson(ctx.render, repo, comment), 201)
  },

  'pulls/create-reply-for-review-comment': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = pullOf(ctx, repo)
    const comment = replyTo(
      ctx,
      repo,
      issue,
      Number(ctx.params.comment_id),
      (ctx.body as { body: string }).body
    )
    return ok(reviewCommentJson(ctx.render, repo, comment), 201)
  },

  'issues/list-comments': ctx => {
    const repo = repoOf(ctx)
    const issue = issueOf(ctx, repo)
    const after = since(ctx)
    let comments = issueComments(ctx, repo, issue.number)
    if (after !== undefined) comments = comments.filter(c => Date.parse(c.updatedAt) >= after)
    return paginate(ctx, comments, comment => issueCommentJson(ctx.render, repo, comment))
  },

  'issues/create-comment': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = issueOf(ctx, repo)
    const body = (ctx.body as { body: string }).body
    if (tooLong(body)) throw bodyTooLong('IssueComment')
    const id = store(ctx).nextId()
    const now = timestamp()
    const comment: IssueCommentState = {
      id,
      nodeId: store(ctx).nodeId('IC', id),
      repo: repo.fullName,
      number: issue.number,
      user: ctx.actor,
      body,
      createdAt: now,
      updatedAt: now
    }
    store(ctx).issueComments.set(id, comment)
    const json = issueCommentJson(ctx.render, repo, comment)
    return ok(json, 201, { location: String(json.url) })
  },

  'issues/get-comment': ctx => {
    const repo = repoOf(ctx)
    const comment = store(ctx).issueComments.get(Number(ctx.params.comment_id))
    if (!comment || comment.repo !== repo.fullName) throw notFound()
    return ok(issueCommentJson(ctx.render, repo, comment))
  },

  'issues/update-comment': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const comment = store(ctx).issueComments.get(Number(ctx.params.comment_id))
    if (!comment || comment.repo !== repo.fullName) throw notFound()
    const body = (ctx.body as { body: string }).body
    if (tooLong(body)) throw bodyTooLong('IssueComment')
    comment.body = body
    comment.updatedAt = timestamp()
    return ok(issueCommentJson(ctx.render, repo, comment))
  },

  'issues/delete-comment': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const comment = store(ctx).issueComments.get(Number(ctx.params.comment_id))
    if (!comment || comment.repo !== repo.fullName) throw notFound()
    store(ctx).issueComments.delete(comment.id)
    return { status: 204 }
  },

  'issues/list-labels-on-issue': ctx => {
    const repo = repoOf(ctx)
    const issue = issueOf(ctx, repo)
    return paginate(ctx, issue.labels, name =>
      labelJson(ctx.render, repo, store(ctx).label(repo, name))
    )
  },

  'issues/add-labels': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = issueOf(ctx, repo)
    for (const name of labelNames(ctx.body)) {
      const label = store(ctx).label(repo, name)
      if (!issue.labels.some(l => l.toLowerCase() === label.name.toLowerCase()))
        issue.labels.push(label.name)
    }
    issue.updatedAt = timestamp()
    return ok(issue.labels.map(name => labelJson(ctx.render, repo, store(ctx).label(repo, name))))
  },

  'issues/set-labels': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = issueOf(ctx, repo)
    issue.labels = [...new Set(labelNames(ctx.body).map(name => store(ctx).label(repo, name).name))]
    issue.updatedAt = timestamp()
    return ok(issue.labels.map(name => labelJson(ctx.render, repo, store(ctx).label(repo, name))))
  },

  'issues/remove-label': ctx => {
    const repo = repoOf(ctx)
    writable(ctx)
    const issue = issueOf(ctx, repo)
    const name = (ctx.params.name ?? '').toLowerCase()
    const at = issue.labels.findIndex(label => label.toLowerCase() === name)
    if (at < 0) throw new ApiError(404, { message: 'Label does not exist' })
    issue.labels.splice(at, 1)
    return ok(issue.labels.map(label => labelJson(ctx.render, repo, store(ctx).label(repo, label))))
  }
}

function replyTo(
  ctx: RouteContext,
  repo: RepoState,
  issue: IssueState,
  commentId: number,
  body: string
) {
  const target = store(ctx).reviewComments.get(commentId)
  if (!target || target.repo !== repo.fullName || target.number !== issue.number) throw notFound()
  // Replies go to the top-level comment of a thread; GitHub does not nest them.
  if (target.inReplyTo !== undefined) {
    throw validationFailed({
      resource: 'PullRequestReviewComment',
      code: 'invalid',
      field: 'in_reply_to_id'
    })
  }
  const thread = store(ctx).threadOf(target)
  if (!thread) throw notFound()
  return reply(store(ctx), repo, issue, thread, ctx.actor, body)
}
