import * as exec from '@actions/exec'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'

export interface GitResult {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * Runs git with an argument vector (never a shell). Options that a user's git config could
 * change in the output we parse are pinned on the command line.
 */
export async function git(cwd: string, args: string[], options: { allowFailure?: boolean } = {}) {
  const result = await exec.getExecOutput('git', args, {
    cwd,
    silent: true,
    ignoreReturnCode: true
  })
  if (result.exitCode !== 0 && !options.allowFailure) {
    throw new Error(`git ${args.join(' ')} failed (${result.exitCode}): ${result.stderr.trim()}`)
  }
  return result as GitResult
}

export async function hasCommit(cwd: string, sha: string): Promise<boolean> {
  const result = await git(cwd, ['cat-file', '-e', `${sha}^{commit}`], { allowFailure: true })
  return result.exitCode === 0
}

export async function isAncestor(cwd: string, ancestor: string, descendant: string) {
  const result = await git(cwd, ['merge-base', '--is-ancestor', ancestor, descendant], {
    allowFailure: true
  })
  return result.exitCode === 0
}

/** Makes sure the commits are present, fetching them (and the history between) if not. */
export async function ensureCommits(cwd: string, shas: string[]): Promise<boolean> {
  const missing: string[] = []
  for (const sha of shas) if (!(await hasCommit(cwd, sha))) missing.push(sha)
  if (missing.length > 0) {
    await git(cwd, ['fetch', '--no-tags', '--quiet', 'origin', ...missing], { allowFailure: true })
  }
  for (const sha of shas) if (!(await hasCommit(cwd, sha))) return false
  return true
}

/** The merge base, deepening a shallow clone until one is found. */
export async function mergeBase(cwd: string, a: string, b: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const result = await git(cwd, ['merge-base', a, b], { allowFailure: true })
    if (result.exitCode === 0) return result.stdout.trim()
    const shallow = await git(cwd, ['rev-parse', '--is-shallow-repository'], { allowFailure: true })
    if (shallow.stdout.trim() !== 'true') return undefined
    await git(cwd, ['fetch', '--no-tags', '--quiet', '--unshallow', 'origin'], {
      allowFailure: true
    })
  }
  return undefined
}

/** `git diff --find-renames from to`, with every output-shaping option pinned. */
export async function diffBetween(cwd: string, from: string, to: string): Promise<string> {
  const result = await git(cwd, [
    '-c',
    'core.quotePath=true',
    'diff',
    '--find-renames',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    from,
    to
  ])
  return result.stdout
}

export async function headSha(cwd: string): Promise<string | undefined> {
  const result = await git(cwd, ['rev-parse', 'HEAD'], { allowFailure: true })
  return result.exitCode === 0 ? result.stdout.trim() : undefined
}

/**
 * A checkout of exactly `sha` for an agent to read: the working directory itself when it is
 * there already, else a detached worktree beside it (removed by `release`). actions/checkout
 * leaves the merge commit (pull_request) or the default branch (issue_comment) checked out,
 * whose lines are not the ones the diff numbers.
 */
export async function checkoutAt(
  cwd: string,
  sha: string,
  parent: string
): Promise<{ dir: string; release: () => Promise<void> }> {
  if ((await headSha(cwd)) === sha) return { dir: cwd, release: async () => undefined }
  await mkdir(parent, { recursive: true })
  const dir = path.join(parent, `tandem-head-${sha.slice(0, 12)}-${Date.now().toString(36)}`)
  await git(cwd, ['worktree', 'add', '--detach', '--quiet', dir, sha])
  return {
    dir,
    release: async () => {
      await git(cwd, ['worktree', 'remove', '--force', dir], { allowFailure: true })
    }
  }
}
