// State → the JSON GitHub answers. Every shape here is checked against the OpenAPI response
// schemas on the way out, so a missing required field shows up as a response violation.
import type {
  IssueCommentState,
  IssueState,
  Label,
  RepoState,
  ReviewCommentState,
  ReviewState,
  Store,
  User
} from './state.js'

export interface RenderContext {
  store: Store
  /** Base of API URLs: the fake's own address. */
  api: string
  /** Base of html URLs (GITHUB_SERVER_URL). */
  server: string
}

type Json = Record<string, unknown>

export function userJson(ctx: RenderContext, user: User): Json {
  const url = `${ctx.api}/users/${encodeURIComponent(user.login)}`
  const slug = user.login.replace(/\[bot\]$/, '')
  return {
    login: user.login,
    id: user.id,
    node_id: ctx.store.nodeId(user.type === 'Bot' ? 'BOT' : 'U', user.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: '',
    url,
    html_url: user.type === 'Bot' ? `${ctx.server}/apps/${slug}` : `${ctx.server}/${user.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: user.type,
    user_view_type: 'public',
    site_admin: false
  }
}

export function loginJson(ctx: RenderContext, login: string): Json {
  return userJson(ctx, ctx.store.user(login))
}

export function associationOf(ctx: RenderContext, repo: RepoState, login: string): string {
  const user = ctx.store.user(login)
  if (login.toLowerCase() === repo.owner.toLowerCase()) return 'OWNER'
  if (user.type === 'Bot') return 'NONE'
  const permission =
    repo.permissions.get(login.toLowerCase()) ?? ctx.store.permissions.get(login.toLowerCase())
  if (permission && permission !== 'none' && permission !== 'read') {
    return repo.ownerType === 'Organization' ? 'MEMBER' : 'COLLABORATOR'
  }
  const authored = [...repo.issues.values()].some(
    issue => issue.pull?.merged && issue.user.toLowerCase() === login.toLowerCase()
  )
  return authored ? 'CONTRIBUTOR' : 'NONE'
}

const REPO_URLS: [string, string][] = [
  ['archive_url', '/{archive_format}{/ref}'],
  ['assignees_url', '/assignees{/user}'],
  ['blobs_url', '/git/blobs{/sha}'],
  ['branches_url', '/branches{/branch}'],
  ['collaborators_url', '/collaborators{/collaborator}'],
  ['comments_url', '/comments{/number}'],
  ['commits_url', '/commits{/sha}'],
  ['compare_url', '/compare/{base}...{head}'],
  ['contents_url', '/contents/{+path}'],
  ['contributors_url', '/contributors'],
  ['deployments_url', '/deployments'],
  ['downloads_url', '/downloads'],
  ['events_url', '/events'],
  ['forks_url', '/forks'],
  ['git_commits_url', '/git/commits{/sha}'],
  ['git_refs_url', '/git/refs{/sha}'],
  ['git_tags_url', '/git/tags{/sha}'],
  ['hooks_url', '/hooks'],
  ['issue_comment_url', '/issues/comments{/number}'],
  ['issue_events_url', '/issues/events{/number}'],
  ['issues_url', '/issues{/number}'],
  ['keys_url', '/keys{/key_id}'],
  ['labels_url', '/labels{/name}'],
  ['languages_url', '/languages'],
  ['merges_url', '/merges'],
  ['milestones_url', '/milestones{/number}'],
  ['notifications_url', '/notifications{?since,all,participating}'],
  ['pulls_url', '/pulls{/number}'],
  ['releases_url', '/releases{/id}'],
  ['stargazers_url', '/stargazers'],
  ['statuses_url', '/statuses/{sha}'],
  ['subscribers_url', '/subscribers'],
  ['subscription_url', '/subscription'],
  ['tags_url', '/tags'],
  ['teams_url', '/teams'],
  ['trees_url', '/git/trees{/sha}']
]

export function repoJson(ctx: RenderContext, repo: RepoState, viewer?: string): Json {
  const url = `${ctx.api}/repos/${repo.fullName}`
  const host = new URL(ctx.server).host
  const open = [...repo.issues.values()].filter(issue => issue.state === 'open').length
  const json: Json = {
    id: repo.id,
    node_id: repo.nodeId,
    name: repo.name,
    full_name: repo.fullName,
    owner: loginJson(ctx, repo.owner),
    private: repo.private,
    html_url: `${ctx.server}/${repo.fullName}`,
    description: null,
    fork: repo.fork,
    url
  }
  for (const [field, suffix] of REPO_URLS) json[field] = `${url}${suffix}`
  Object.assign(json, {
    git_url: `git://${host}/${repo.fullName}.git`,
    ssh_url: `git@${host}:${repo.fullName}.git`,
    clone_url: `${ctx.server}/${repo.fullName}.git`,
    svn_url: `${ctx.server}/${repo.fullName}`,
    mirror_url: null,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues_count: open,
    open_issues: open,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repo.private ? 'private' : 'public',
    pushed_at: repo.createdAt,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    license: null,
    allow_forking: true,
    web_commit_signoff_required: false,
    network_count: 0,
    subscribers_count: 0
  })
  if (viewer !== undefined) {
    const level = ctx.store.permission(repo, viewer)
    json.permissions = {
      admin: level === 'admin',
      maintain: level === 'admin' || level === 'maintain',
      push: level === 'admin' || level === 'maintain' || level === 'write',
      triage: level !== 'read' && level !== 'none',
      pull: level !== 'none'
    }
  }
  return json
}

export function labelJson(ctx: RenderContext, repo: RepoState, label: Label): Json {
  return {
    id: label.id,
    node_id: ctx.store.nodeId('LA', label.id),
    url: `${ctx.api}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: false
  }
}

function issueLabels(ctx: RenderContext, repo: RepoState, issue: IssueState): Json[] {
  return issue.labels.map(name => labelJson(ctx, repo, ctx.store.label(repo, name)))
}

function pullCounts(ctx: RenderContext, repo: RepoState, issue: IssueState): Json {
  const files = issue.pull?.current.files ?? []
  const comments = [...ctx.store.issueComments.values()].filter(
    c => c.repo === repo.fullName && c.number === issue.number
  ).length
  return {
    comments,
    review_comments: ctx.store.pullReviewComments(repo, issue.number).length,
    commits: 1,
    additions: files.reduce((sum, file) => sum + file.additions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
    changed_files: files.length
  }
}

/** The full pull request (`pulls.get`); `simple` drops what the list endpoint leaves out. */
export function pullJson(
  ctx: RenderContext,
  repo: RepoState,
  issue: IssueState,
  simple = false
): Json {
  const pull = issue.pull
  if (!pull) throw new Error(`${repo.fullName}#${issue.number} is not a pull request`)
  const url = `${ctx.api}/repos/${repo.fullName}/pulls/${issue.number}`
  const issueUrl = `${ctx.api}/repos/${repo.fullName}/issues/${issue.number}`
  const html = `${ctx.server}/${repo.fullName}/pull/${issue.number}`
  const headRepo = ctx.store.ensureRepo(pull.headRepo)
  const statuses = `${ctx.api}/repos/${repo.fullName}/statuses/${pull.current.headSha}`
  const json: Json = {
    url,
    id: issue.id,
    node_id: issue.nodeId,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${ctx.api}/repos/${repo.fullName}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: statuses,
    number: issue.number,
    state: issue.state,
    locked: false,
    title: issue.title,
    user: loginJson(ctx, issue.user),
    body: issue.body,
    labels: issueLabels(ctx, repo, issue),
    milestone: null,
    active_lock_reason: null,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    merged_at: pull.merged ? issue.closedAt : null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: {
      label: `${headRepo.owner}:${pull.headRef}`,
      ref: pull.headRef,
      sha: pull.current.headSha,
      user: loginJson(ctx, headRepo.owner),
      repo: repoJson(ctx, headRepo)
    },
    base: {
      label: `${repo.owner}:${pull.baseRef}`,
      ref: pull.baseRef,
      sha: pull.current.baseSha,
      user: loginJson(ctx, repo.owner),
      repo: repoJson(ctx, repo)
    },
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${ctx.api}/repos/${repo.fullName}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: statuses }
    },
    author_association: associationOf(ctx, repo, issue.user),
    auto_merge: null,
    draft: pull.draft
  }
  if (simple) return json
  return {
    ...json,
    merged: pull.merged,
    mergeable: pull.merged || issue.state === 'closed' ? null : true,
    rebaseable: pull.merged || issue.state === 'closed' ? null : true,
    mergeable_state: issue.state === 'open' ? (pull.draft ? 'draft' : 'clean') : 'unknown',
    merged_by: null,
    maintainer_can_modify: pull.maintainerCanModify,
    ...pullCounts(ctx, repo, issue)
  }
}

export function issueJson(ctx: RenderContext, repo: RepoState, issue: IssueState): Json {
  const url = `${ctx.api}/repos/${repo.fullName}/issues/${issue.number}`
  const kind = issue.pull ? 'pull' : 'issues'
  const json: Json = {
    id: issue.id,
    node_id: issue.nodeId,
    url,
    repository_url: `${ctx.api}/repos/${repo.fullName}`,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${ctx.server}/${repo.fullName}/${kind}/${issue.number}`,
    number: issue.number,
    state: issue.state,
    title: issue.title,
    body: issue.body,
    user: loginJson(ctx, issue.user),
    labels: issueLabels(ctx, repo, issue),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: [...ctx.store.issueComments.values()].filter(
      c => c.repo === repo.fullName && c.number === issue.number
    ).length,
    closed_at: issue.closedAt,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    author_association: associationOf(ctx, repo, issue.user)
  }
  if (issue.pull) {
    json.draft = issue.pull.draft
    json.pull_request = {
      url: `${ctx.api}/repos/${repo.fullName}/pulls/${issue.number}`,
      html_url: `${ctx.server}/${repo.fullName}/pull/${issue.number}`,
      diff_url: `${ctx.server}/${repo.fullName}/pull/${issue.number}.diff`,
      patch_url: `${ctx.server}/${repo.fullName}/pull/${issue.number}.patch`,
      merged_at: issue.pull.merged ? issue.closedAt : null
    }
  }
  return json
}

export function issueCommentJson(
  ctx: RenderContext,
  repo: RepoState,
  comment: IssueCommentState
): Json {
  const issue = repo.issues.get(comment.number)
  const kind = issue?.pull ? 'pull' : 'issues'
  return {
    id: comment.id,
    node_id: comment.nodeId,
    url: `${ctx.api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `${ctx.server}/${repo.fullName}/${kind}/${comment.number}#issuecomment-${comment.id}`,
    body: comment.body,
    user: loginJson(ctx, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${ctx.api}/repos/${repo.fullName}/issues/${comment.number}`,
    author_association: associationOf(ctx, repo, comment.user)
  }
}

export function reviewJson(ctx: RenderContext, repo: RepoState, review: ReviewState): Json {
  const html = `${ctx.server}/${repo.fullName}/pull/${review.number}#pullrequestreview-${review.id}`
  const pullUrl = `${ctx.api}/repos/${repo.fullName}/pulls/${review.number}`
  const json: Json = {
    id: review.id,
    node_id: review.nodeId,
    user: loginJson(ctx, review.user),
    body: review.body,
    state: review.state,
    html_url: html,
    pull_request_url: pullUrl,
    _links: { html: { href: html }, pull_request: { href: pullUrl } },
    commit_id: review.commitId,
    author_association: associationOf(ctx, repo, review.user)
  }
  if (review.submittedAt) json.submitted_at = review.submittedAt
  return json
}

export function reviewCommentJson(
  ctx: RenderContext,
  repo: RepoState,
  comment: ReviewCommentState
): Json {
  const url = `${ctx.api}/repos/${repo.fullName}/pulls/comments/${comment.id}`
  const html = `${ctx.server}/${repo.fullName}/pull/${comment.number}#discussion_r${comment.id}`
  const pullUrl = `${ctx.api}/repos/${repo.fullName}/pulls/${comment.number}`
  const thread = ctx.store.threadOf(comment)
  const outdated = thread ? ctx.store.isOutdated(thread) : false
  const json: Json = {
    url,
    pull_request_review_id: comment.reviewId,
    id: comment.id,
    node_id: comment.nodeId,
    diff_hunk: comment.diffHunk,
    path: comment.path,
    commit_id: outdated ? comment.commitId : (currentHead(repo, comment) ?? comment.commitId),
    original_commit_id: comment.originalCommitId,
    user: loginJson(ctx, comment.user),
    body: comment.body,
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    html_url: html,
    pull_request_url: pullUrl,
    author_association: associationOf(ctx, repo, comment.user),
    _links: { self: { href: url }, html: { href: html }, pull_request: { href: pullUrl } },
    start_line: null,
    original_start_line: null,
    start_side: null,
    side: comment.side,
    subject_type: comment.subjectType
  }
  if (comment.inReplyTo !== undefined) json.in_reply_to_id = comment.inReplyTo
  if (comment.line !== undefined) {
    json.original_line = comment.line
    // An outdated comment no longer has a line on the current diff: GitHub sends none.
    if (!outdated) json.line = comment.line
  }
  if (comment.position !== undefined) {
    json.original_position = comment.position
    if (!outdated) json.position = comment.position
  }
  if (comment.startLine !== undefined) {
    json.original_start_line = comment.startLine
    json.start_line = outdated ? null : comment.startLine
    json.start_side = comment.startSide ?? comment.side
  }
  return json
}

function currentHead(repo: RepoState, comment: ReviewCommentState): string | undefined {
  return repo.issues.get(comment.number)?.pull?.current.headSha
}
