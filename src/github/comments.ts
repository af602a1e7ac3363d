import { hasTrailerMarker } from '../review/findings.js'
import { fitBody, sameBody, withTrailerMarker } from './body.js'
import { mayHaveLanded, type GitHub, type Repo } from './client.js'
import { isBot } from './event.js'
import { isAuthoredBy } from './identity.js'

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
