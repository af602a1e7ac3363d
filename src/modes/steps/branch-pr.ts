/**
 * The steps every mode that publishes a branch shares (write, collect): the branch checks, the
 * commit trailer that marks a branch as Tandem's to replace, the push with its lease rules, and
 * ONE pull request per head branch, created or updated only when something changed. Each step
 * takes plain values, so no mode reaches into another mode's internals to publish.
 */
import * as core from '@actions/core'
import { closeSync, lstatSync, openSync, readSync } from 'node:fs'
import path from 'node:path'
import type { GitHub, Repo } from '../../github/client.js'
import {
  addLabels,
  createPullRequest,
  findOpenPullRequestByHead,
  getDefaultBranch,
  samePullRequestBody,
  updatePullRequest,
  type OpenPullRequest
} from '../../github/pulls.js'
import { containsSecret } from '../../github/redact.js'
import {
  checkoutBranchHere,
  commitAll,
  fetchRemoteBranch,
  pushBranch,
  remoteBranchSha,
  resetSoft,
  treeOf,
  type GitIdentity
} from '../../git/branch.js'
import { invalidBranchName } from '../../git/branch-name.js'
import { git, hasCommit } from '../../git/git.js'
import type { ModeOutcome } from '../outcome.js'

export type PullRequestOperation = 'created' | 'updated' | 'none'

/** The pull request a run published to. */
export interface PublishedPullRequest {
  number: number
  url: string
  operation: PullRequestOperation
  headSha?: string
}

/** Throws the input error for a `branch` Tandem cannot push to. */
export function checkBranchName(branch: string): void {
  const bad = invalidBranchName(branch)
  if (bad) {
    throw new Error(
      `Input 'branch' has value ${JSON.stringify(branch)}: expected a git branch name (${bad})`
    )
  }
}

/**
 * Checks that `cwd` is a git checkout and that `branch` is neither the base nor the default
 * branch (it is force-pushed), and settles the base: `base` when given, else the default branch.
 */
export async function resolveBranch(
  gh: GitHub,
  repo: Repo,
  options: { cwd: string; branch: string; base: string | undefined; mode: string }
): Promise<{ base: string; topLevel: string }> {
  const { cwd, branch, mode } = options
  const top = await git(cwd, ['rev-parse', '--show-toplevel'], { allowFailure: true })
  if (top.exitCode !== 0) {
    throw new Error(
      `working-directory ${cwd} is not a git checkout: ${mode} mode commits and pushes from one ` +
        '(run actions/checkout first)'
    )
  }
  const defaultBranch = await getDefaultBranch(gh, repo)
  const base = options.base ?? defaultBranch
  // The branch is force-pushed: it must never be one people build on.
  for (const protectedBranch of new Set([base, defaultBranch])) {
    if (branch === protectedBranch) {
      throw new Error(
        `Input 'branch' has value ${JSON.stringify(branch)}: expected a branch other than the ` +
          `base and the default branch (${protectedBranch}), since Tandem force-pushes it`
      )
    }
  }
  core.info(`Branch ${branch} → base ${base}`)
  return { base, topLevel: top.stdout.trim() }
}

/**
 * The trailer of every commit write and collect make. A branch whose tip carries it (for this
 * branch) is Tandem's to replace; any other tip is someone's work and is never force-pushed away.
 */
export const WRITE_TRAILER = 'Tandem-Write:'

export function withWriteTrailer(message: string, branch: string): string {
  return `${message.trimEnd()}\n\n${WRITE_TRAILER} ${branch}\n`
}

export function hasWriteTrailer(message: string, branch: string): boolean {
  return message.split('\n').some(line => line.trim() === `${WRITE_TRAILER} ${branch}`)
}

async function commitMessageOf(cwd: string, sha: string): Promise<string> {
  return (await git(cwd, ['log', '-1', '--format=%B', sha], { allowFailure: true })).stdout
}

export interface PushResult {
  /** The head of the branch after this run (pushed now, or already there with the same tree). */
  commitSha: string
  pushed: boolean
}

/**
 * Commits the working tree on `branch` (with the trailer) and pushes it, as pushWithLease does.
 */
export async function commitAndPush(
  cwd: string,
  options: {
    branch: string
    message: string
    author: GitIdentity | undefined
    /** For a checkout that stored no credentials (persist-credentials: false). */
    token: string | undefined
    /** Names who may replace the branch, in the refusal: "write mode". */
    owner: string
  }
): Promise<PushResult> {
  await checkoutBranchHere(cwd, options.branch)
  const sha = await commitAll(cwd, {
    message: withWriteTrailer(options.message, options.branch),
    author: options.author
  })
  if (!sha) throw new Error('git found nothing to commit although the working tree had changes')
  return pushWithLease(cwd, { ...options, sha })
}

/**
 * Pushes `sha` (HEAD, on `branch`) to origin's `branch`, unless the remote branch already holds
 * exactly this tree: then nothing is pushed and the checkout takes the remote commit as HEAD, so
 * an identical re-run neither rewrites history nor triggers anything. The remote branch is
 * replaced only while its tip is one of Tandem's own commits for it (the trailer), and only if
 * it is still where it was just seen (the lease).
 */
export async function pushWithLease(
  cwd: string,
  options: { branch: string; sha: string; token: string | undefined; owner: string }
): Promise<PushResult> {
  const { branch, sha, token } = options
  const remote = await remoteBranchSha(cwd, branch, token)
  if (
    remote !== undefined &&
    ((await hasCommit(cwd, remote)) || (await fetchRemoteBranch(cwd, branch, token)))
  ) {
    const [ours, theirs] = [await treeOf(cwd, sha), await treeOf(cwd, remote)]
    if (ours !== undefined && ours === theirs) {
      await resetSoft(cwd, remote)
      core.info(`origin/${branch} already holds this tree at ${remote}: nothing to push`)
      return { commitSha: remote, pushed: false }
    }
    // The branch is Tandem's to replace only while its tip is Tandem's own commit: fixes
    // pushed since (by address mode or a person) must never be force-pushed away.
    if (!hasWriteTrailer(await commitMessageOf(cwd, remote), branch)) {
      throw new Error(
        `origin/${branch} has commits that ${options.owner} did not make (its tip ${remote}): ` +
          'not overwriting them. Use address mode to build on that pull request, or another branch.'
      )
    }
  }
  // The lease: replace the branch only if it is still where we just saw it (or still absent).
  try {
    await pushBranch(cwd, branch, { force: true, expectedRemoteSha: remote, token })
  } catch (error) {
    const message = (error as Error).message
    // GitHub's words when a token without the `workflows` permission pushes a workflow file.
    if (/refusing to allow .* to create or update workflow/i.test(message)) {
      throw new Error(
        `${message}\nThe token cannot push workflow changes: GITHUB_TOKEN never can. Pass a GitHub ` +
          "App token or a PAT with the workflows permission as github-token, or don't allow " +
          'workflow changes.'
      )
    }
    throw error
  }
  core.info(`Pushed ${sha} to ${branch}${remote ? ` (was ${remote})` : ''}`)
  return { commitSha: sha, pushed: true }
}

export interface PullRequestWanted {
  branch: string
  base: string
  title: string
  body: string
  labels: string[]
  draft: boolean
  /** Whether an existing pull request's title and body are brought up to date. */
  refreshText: boolean
  /**
   * Text the existing body must show; when it does not, the title and body are refreshed even
   * without `refreshText` (a check's outcome that changed, say).
   */
  mustShow?: string[]
}

/**
 * ONE pull request from `branch`: found by its head and updated only where it differs (title,
 * body, base, missing labels), else created. `operation` is `none` when nothing was sent.
 */
export async function upsertPullRequest(
  gh: GitHub,
  repo: Repo,
  want: PullRequestWanted
): Promise<PublishedPullRequest> {
  const existing = await findOpenPullRequestByHead(gh, repo, want.branch)
  let pr: OpenPullRequest
  let operation: PullRequestOperation
  if (existing === undefined) {
    pr = await createPullRequest(gh, repo, {
      head: want.branch,
      base: want.base,
      title: want.title,
      body: want.body,
      draft: want.draft
    })
    operation = 'created'
  } else {
    pr = existing
    const changes: { title?: string; body?: string; base?: string } = {}
    const refresh =
      want.refreshText || (want.mustShow ?? []).some(text => !existing.body.includes(text))
    if (refresh && existing.title !== want.title) changes.title = want.title
    if (refresh && !samePullRequestBody(existing.body, want.body)) changes.body = want.body
    if (existing.baseRef !== want.base) changes.base = want.base
    operation = 'none'
    if (Object.keys(changes).length > 0) {
      pr = await updatePullRequest(gh, repo, existing.number, changes)
      operation = 'updated'
    }
  }
  const have = new Set(pr.labels.map(label => label.toLowerCase()))
  const missing = want.labels.filter(label => !have.has(label.toLowerCase()))
  if (missing.length > 0) {
    await addLabels(gh, repo, pr.number, missing)
    if (operation === 'none') operation = 'updated'
  }
  return { number: pr.number, url: pr.htmlUrl, operation, headSha: pr.headSha }
}

// The review's own outputs; the session outputs stay the publishing mode's.
export const REVIEW_OUTPUTS = [
  'review-id',
  'verdict',
  'findings',
  'findings-count',
  'inline-comments',
  'summary-comment-id'
]

/** Copies the review's outputs (and its failure, if any) onto the publishing mode's outcome. */
export function adoptReviewOutcome(outcome: ModeOutcome, review: ModeOutcome): void {
  for (const name of REVIEW_OUTPUTS) {
    if (review.outputs[name] !== undefined) outcome.outputs[name] = review.outputs[name]
  }
  if (review.failure) outcome.failure = review.failure
}

const MAX_SCANNED_BYTES = 10 * 1024 * 1024

/** Changed files (regular files, up to 10 MB each) that hold a credential of this run. */
export function filesHoldingSecrets(root: string, files: string[], secrets: string[]): string[] {
  if (!secrets.some(secret => secret.trim() !== '')) return []
  const leaking: string[] = []
  for (const file of files) {
    const full = path.join(root, file)
    let size: number
    try {
      const stat = lstatSync(full)
      if (!stat.isFile()) continue
      size = Math.min(stat.size, MAX_SCANNED_BYTES)
    } catch {
      continue // deleted
    }
    const buffer = Buffer.alloc(size)
    const fd = openSync(full, 'r')
    try {
      readSync(fd, buffer, 0, size, 0)
    } finally {
      closeSync(fd)
    }
    if (containsSecret(buffer.toString('utf8'), secrets)) leaking.push(file)
  }
  return leaking
}
