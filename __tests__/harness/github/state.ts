// The fake GitHub's memory: repositories, issues and pull requests, reviews, review comments
// grouped into threads, issue comments, users and permissions. Plain data, so tests can read
// it directly; the routes and the GraphQL schema are the only writers.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { parseDiff, type DiffFile } from './diff.js'

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none'
export type Side = 'LEFT' | 'RIGHT'
export type ReviewStateName =
  'PENDING' | 'COMMENTED' | 'APPROVED' | 'CHANGES_REQUESTED' | 'DISMISSED'

export interface User {
  login: string
  id: number
  type: 'User' | 'Bot' | 'Organization'
}

export interface Label {
  id: number
  name: string
  color: string
  description: string | null
}

export interface Revision {
  headSha: string
  baseSha: string
  diff: string
  files: DiffFile[]
}

export interface PullState {
  headRef: string
  headRepo: string
  baseRef: string
  draft: boolean
  merged: boolean
  maintainerCanModify: boolean
  /** Current head first is not guaranteed: look revisions up by sha. */
  revisions: Map<string, Revision>
  current: Revision
  /** Files GitHub shows without a patch (binary or too large): no comment can anchor there. */
  noPatch: Set<string>
}

export interface IssueState {
  repo: string
  number: number
  /** Database id, distinct from the number. */
  id: number
  nodeId: string
  title: string
  body: string | null
  user: string
  state: 'open' | 'closed'
  labels: string[]
  createdAt: string
  updatedAt: string
  closedAt: string | null
  pull?: PullState
}

export interface RepoState {
  owner: string
  name: string
  fullName: string
  id: number
  nodeId: string
  ownerType: 'User' | 'Organization'
  defaultBranch: string
  private: boolean
  fork: boolean
  /** A bare (or working) git repository that holds this repository's branches. */
  gitDir?: string
  /** The repository setting "Allow GitHub Actions to create and approve pull requests". */
  actionsCanCreateAndApprovePullRequests: boolean
  permissions: Map<string, Permission>
  /** Branches known without a git directory: what `pulls.create` picks up for a head. */
  branches: Map<string, { sha: string; diff: string }>
  labels: Map<string, Label>
  issues: Map<number, IssueState>
  nextNumber: number
  createdAt: string
}

export interface ReviewState {
  id: number
  nodeId: string
  repo: string
  number: number
  user: string
  body: string
  state: ReviewStateName
  commitId: string
  submittedAt: string | null
}

export interface ReviewCommentState {
  id: number
  nodeId: string
  repo: string
  number: number
  reviewId: number
  threadId: string
  inReplyTo?: number
  user: string
  body: string
  path: string
  commitId: string
  originalCommitId: string
  subjectType: 'line' | 'file'
  side: Side
  line?: number
  startLine?: number
  startSide?: Side
  position?: number
  diffHunk: string
  createdAt: string
  updatedAt: string
}

export interface ThreadState {
  id: string
  repo: string
  number: number
  path: string
  subjectType: 'line' | 'file'
  side: Side
  line?: number
  startLine?: number
  startSide?: Side
  commitId: string
  /** Comment ids, oldest first; the first one opened the thread. */
  comments: number[]
  isResolved: boolean
  resolvedBy?: string
}

export interface IssueCommentState {
  id: number
  nodeId: string
  repo: string
  number: number
  user: string
  body: string
  createdAt: string
  updatedAt: string
}

export const ACTIONS_BOT: User = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' }

export function timestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function fakeSha(...parts: string[]): string {
  return createHash('sha1').update(parts.join('\0')).digest('hex')
}

function nodeId(prefix: string, id: number): string {
  return `${prefix}_kwDO${Buffer.from(`fake:${id}`).toString('base64url')}`
}

export interface SeedRepoOptions {
  owner: string
  repo: string
  defaultBranch?: string
  private?: boolean
  fork?: boolean
  ownerType?: 'User' | 'Organization'
  gitDir?: string
  actionsCanCreateAndApprovePullRequests?: boolean
}

export interface SeedPullRequestOptions {
  owner: string
  repo: string
  number?: number
  title?: string
  body?: string | null
  author?: string
  headRef?: string
  baseRef?: string
  headSha?: string
  baseSha?: string
  /** Unified diff text (`git diff base...head`). */
  diff?: string
  /** `owner/repo` of the head repository when the pull request comes from a fork. */
  headRepoFullName?: string
  draft?: boolean
  state?: 'open' | 'closed'
  merged?: boolean
  labels?: string[]
  noPatch?: string[]
}

export interface SeedIssueOptions {
  owner: string
  repo: string
  number?: number
  title?: string
  body?: string | null
  author?: string
  labels?: string[]
}

export class Store {
  readonly repos = new Map<string, RepoState>()
  readonly users = new Map<string, User>()
  readonly reviews = new Map<number, ReviewState>()
  readonly reviewComments = new Map<number, ReviewCommentState>()
  readonly threads = new Map<string, ThreadState>()
  readonly issueComments = new Map<number, IssueCommentState>()
  /** Permissions that apply to every repository unless a repository sets its own. */
  readonly permissions = new Map<string, Permission>()
  // One counter for every kind of id, so a review id can never be mistaken for a comment id.
  private lastId = 1000

  nextId(): number {
    return ++this.lastId
  }

  /** Forget everything; ids keep counting up so that none is ever reused. */
  clear(): void {
    for (const map of [
      this.repos,
      this.users,
      this.reviews,
      this.reviewComments,
      this.threads,
      this.issueComments,
      this.permissions
    ]) {
      map.clear()
    }
  }

  nodeId(prefix: string, id: number): string {
    return nodeId(prefix, id)
  }

  user(login: string, type?: User['type']): User {
    const key = login.toLowerCase()
    const found = this.users.get(key)
    if (found) return found
    const user: User =
      key === ACTIONS_BOT.login
        ? ACTIONS_BOT
        : { login, id: this.nextId(), type: type ?? (login.endsWith('[bot]') ? 'Bot' : 'User') }
    this.users.set(key, user)
    return user
  }

  repo(owner: string, name: string): RepoState | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase())
  }

  seedRepo(options: SeedRepoOptions): RepoState {
    const fullName = `${options.owner}/${options.repo}`
    const existing = this.repos.get(fullName.toLowerCase())
    if (existing) return existing
    this.user(options.owner, options.ownerType ?? 'User')
    const id = this.nextId()
    const repo: RepoState = {
      owner: options.owner,
      name: options.repo,
      fullName,
      id,
      nodeId: nodeId('R', id),
      ownerType: options.ownerType ?? 'User',
      defaultBranch: options.defaultBranch ?? 'main',
      private: options.private ?? false,
      fork: options.fork ?? false,
      gitDir: options.gitDir,
      actionsCanCreateAndApprovePullRequests:
        options.actionsCanCreateAndApprovePullRequests ?? true,
      permissions: new Map([[options.owner.toLowerCase(), 'admin']]),
      branches: new Map(),
      labels: new Map(),
      issues: new Map(),
      nextNumber: 1,
      createdAt: timestamp()
    }
    this.repos.set(fullName.toLowerCase(), repo)
    return repo
  }

  ensureRepo(fullName: string): RepoState {
    const [owner = '', name = ''] = fullName.split('/')
    return this.repo(owner, name) ?? this.seedRepo({ owner, repo: name })
  }

  label(repo: RepoState, name: string): Label {
    const key = name.toLowerCase()
    const found = repo.labels.get(key)
    if (found) return found
    // GitHub creates a missing label on the fly, grey, without a description.
    const label: Label = { id: this.nextId(), name, color: 'ededed', description: null }
    repo.labels.set(key, label)
    return label
  }

  private newIssue(
    repo: RepoState,
    number: number | undefined,
    fields: Partial<IssueState>
  ): IssueState {
    const n = number ?? repo.nextNumber
    if (repo.issues.has(n)) throw new Error(`fake GitHub: ${repo.fullName}#${n} already exists`)
    repo.nextNumber = Math.max(repo.nextNumber, n + 1)
    const now = timestamp()
    const id = this.nextId()
    const issue: IssueState = {
      repo: repo.fullName,
      number: n,
      id,
      nodeId: nodeId(fields.pull ? 'PR' : 'I', id),
      title: fields.title ?? `Issue ${n}`,
      body: fields.body ?? null,
      user: this.user(fields.user ?? 'octocat').login,
      state: fields.state ?? 'open',
      labels: [],
      createdAt: now,
      updatedAt: now,
      closedAt: fields.state === 'closed' ? now : null,
      pull: fields.pull
    }
    for (const name of fields.labels ?? []) issue.labels.push(this.label(repo, name).name)
    repo.issues.set(n, issue)
    return issue
  }

  seedIssue(options: SeedIssueOptions): IssueState {
    const repo = this.ensureRepo(`${options.owner}/${options.repo}`)
    return this.newIssue(repo, options.number, {
      title: options.title,
      body: options.body ?? null,
      user: options.author,
      labels: options.labels
    })
  }

  seedPullRequest(options: SeedPullRequestOptions): IssueState {
    const repo = this.ensureRepo(`${options.owner}/${options.repo}`)
    const headRepo = options.headRepoFullName ?? repo.fullName
    if (headRepo.toLowerCase() !== repo.fullName.toLowerCase()) {
      const fork = this.ensureRepo(headRepo)
      fork.fork = true
    }
    const diff = options.diff ?? ''
    const revision: Revision = {
      headSha: options.headSha ?? fakeSha('head', repo.fullName, diff),
      baseSha: options.baseSha ?? fakeSha('base', repo.fullName, options.baseRef ?? ''),
      diff,
      files: parseDiff(diff)
    }
    const pull: PullState = {
      headRef: options.headRef ?? 'feature',
      headRepo,
      baseRef: options.baseRef ?? repo.defaultBranch,
      draft: options.draft ?? false,
      merged: options.merged ?? false,
      maintainerCanModify: headRepo !== repo.fullName,
      revisions: new Map([[revision.headSha, revision]]),
      current: revision,
      noPatch: new Set(options.noPatch ?? [])
    }
    return this.newIssue(repo, options.number, {
      title: options.title ?? `Pull request from ${pull.headRef}`,
      body: options.body ?? null,
      user: options.author,
      state: options.merged ? 'closed' : options.state,
      labels: options.labels,
      pull
    })
  }

  createPullRequest(
    repo: RepoState,
    fields: { title: string; body: string | null; user: string; draft: boolean },
    pull: Omit<PullState, 'revisions' | 'noPatch' | 'merged'>
  ): IssueState {
    return this.newIssue(repo, undefined, {
      title: fields.title,
      body: fields.body,
      user: fields.user,
      pull: {
        ...pull,
        draft: fields.draft,
        merged: false,
        revisions: new Map([[pull.current.headSha, pull.current]]),
        noPatch: new Set()
      }
    })
  }

  /** A new head (a push): the old revision stays, so comments pinned to it become outdated. */
  pushRevision(issue: IssueState, revision: Omit<Revision, 'files'>): Revision {
    const pull = issue.pull
    if (!pull) throw new Error(`fake GitHub: ${issue.repo}#${issue.number} is not a pull request`)
    const full: Revision = { ...revision, files: parseDiff(revision.diff) }
    pull.revisions.set(full.headSha, full)
    pull.current = full
    issue.updatedAt = timestamp()
    return full
  }

  permission(repo: RepoState, login: string): Permission {
    const key = login.toLowerCase()
    const set = repo.permissions.get(key) ?? this.permissions.get(key)
    if (set) return set
    return repo.private ? 'none' : 'read'
  }

  threadOf(comment: ReviewCommentState): ThreadState | undefined {
    return this.threads.get(comment.threadId)
  }

  /** Review comments on a pull request, oldest first; comments of pending reviews only to their author. */
  pullReviewComments(repo: RepoState, number: number, viewer?: string): ReviewCommentState[] {
    return [...this.reviewComments.values()].filter(comment => {
      if (comment.repo !== repo.fullName || comment.number !== number) return false
      const review = this.reviews.get(comment.reviewId)
      return review?.state !== 'PENDING' || review.user === viewer
    })
  }

  pullThreads(repo: RepoState, number: number, viewer?: string): ThreadState[] {
    return [...this.threads.values()].filter(thread => {
      if (thread.repo !== repo.fullName || thread.number !== number) return false
      const first = this.reviewComments.get(thread.comments[0] ?? -1)
      const review = first && this.reviews.get(first.reviewId)
      return review?.state !== 'PENDING' || review.user === viewer
    })
  }

  /**
   * A thread is outdated once the pull request's head moved and the file's patch changed
   * under it: GitHub then stops showing it on the current diff.
   */
  isOutdated(thread: ThreadState): boolean {
    const [owner = '', name = ''] = thread.repo.split('/')
    const pull = this.repo(owner, name)?.issues.get(thread.number)?.pull
    if (!pull || thread.commitId === pull.current.headSha) return false
    const then = pull.revisions.get(thread.commitId)?.files.find(f => f.filename === thread.path)
    const now = pull.current.files.find(f => f.filename === thread.path)
    return then?.patch !== now?.patch
  }
}

function git(gitDir: string, args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

export function gitBranchSha(gitDir: string, branch: string): string | undefined {
  try {
    return git(gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]).trim()
  } catch {
    return undefined
  }
}

export function gitCommitsAhead(gitDir: string, baseSha: string, headSha: string): number {
  return Number(git(gitDir, ['rev-list', '--count', `${baseSha}..${headSha}`]).trim())
}

/** The pull request diff as GitHub computes it: from the merge base to the head. */
export function gitDiff(gitDir: string, baseSha: string, headSha: string): string {
  return git(gitDir, [
    'diff',
    '--no-color',
    '--no-ext-diff',
    '--find-renames',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    `${baseSha}...${headSha}`
  ])
}

/**
 * For a repository backed by a git directory, follow the branches: a push to the head branch
 * is a new revision of the pull request, exactly as a `synchronize` on GitHub.
 */
export function syncFromGit(store: Store, repo: RepoState, issue: IssueState): void {
  const pull = issue.pull
  if (!repo.gitDir || !pull || issue.state !== 'open') return
  if (pull.headRepo.toLowerCase() !== repo.fullName.toLowerCase()) return
  const headSha = gitBranchSha(repo.gitDir, pull.headRef)
  const baseSha = gitBranchSha(repo.gitDir, pull.baseRef)
  if (!headSha || !baseSha) return
  if (headSha === pull.current.headSha && baseSha === pull.current.baseSha) return
  store.pushRevision(issue, { headSha, baseSha, diff: gitDiff(repo.gitDir, baseSha, headSha) })
}
