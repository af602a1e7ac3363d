import { fitBody, sameBody } from './body.js'
import {
  describeError,
  errorBody,
  httpStatus,
  mayHaveLanded,
  type GitHub,
  type Repo
} from './client.js'
import { isForkPullRequest } from './event.js'

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
