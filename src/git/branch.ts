import { git } from './git.js'

export interface GitIdentity {
  name: string
  email: string
}

/** The identity GitHub shows with the Actions logo; commits from the action default to it. */
export const ACTIONS_BOT: GitIdentity = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com'
}

/** One entry of `git status --porcelain=v1 -z`. */
export interface StatusEntry {
  /** The two status letters, e.g. ' M', '??', 'R '. */
  status: string
  path: string
  /** The path before a rename or copy. */
  origPath?: string
}

/**
 * Parses `git status --porcelain=v1 -z`. With -z no path is quoted, and a rename or copy is
 * `XY new\0old\0`: the old path is a record of its own that carries no status.
 */
export function parsePorcelainZ(output: string): StatusEntry[] {
  const records = output.split('\0')
  const entries: StatusEntry[] = []
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!
    if (record.length < 4) continue
    const status = record.slice(0, 2)
    const entry: StatusEntry = { status, path: record.slice(3) }
    if (status.includes('R') || status.includes('C')) entry.origPath = records[++i]
    entries.push(entry)
  }
  return entries
}

/** Every path an entry touches: a rename changes both the old path and the new one. */
export function entryPaths(entries: StatusEntry[]): string[] {
  const paths = new Set<string>()
  for (const entry of entries) {
    paths.add(entry.path)
    if (entry.origPath !== undefined) paths.add(entry.origPath)
  }
  return [...paths]
}

// Output-shaping settings a user's config could change are pinned; untracked directories are
// listed file by file so every new path is seen (a new .github/workflows/ must not hide as one
// directory entry).
const STATUS_ARGS = [
  '-c',
  'core.quotePath=false',
  'status',
  '--porcelain=v1',
  '-z',
  '--untracked-files=all',
  '--ignore-submodules=none'
]

/** The working tree's changes against HEAD, as parsed status entries. */
export async function statusEntries(cwd: string): Promise<StatusEntry[]> {
  return parsePorcelainZ((await git(cwd, STATUS_ARGS)).stdout)
}

/**
 * Paths (relative to the repository root) with tracked changes, staged or not, and untracked
 * files; both sides of a rename. Ignored files are not changes.
 */
export async function changedFiles(cwd: string): Promise<string[]> {
  return entryPaths(await statusEntries(cwd))
}

// Hooks could be planted in .git/hooks by whatever ran in the checkout before us (the agent
// edits files there); git must not run them with the action's environment.
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null']

export interface CommitOptions {
  message: string
  /** Default: github-actions[bot]. */
  author?: GitIdentity
  /** Default: the author. */
  committer?: GitIdentity
}

/**
 * Stages everything (new, changed, deleted files) and commits it on HEAD. Returns the new
 * commit's SHA, or undefined when there was nothing to commit.
 */
export async function commitAll(cwd: string, options: CommitOptions): Promise<string | undefined> {
  await git(cwd, ['add', '--all'])
  const staged = await git(cwd, ['diff', '--cached', '--quiet'], { allowFailure: true })
  if (staged.exitCode === 0) return undefined
  if (staged.exitCode !== 1) {
    throw new Error(`git diff --cached failed (${staged.exitCode}): ${staged.stderr.trim()}`)
  }
  const author = options.author ?? ACTIONS_BOT
  const committer = options.committer ?? author
  // The committer comes from user.* on the command line: a runner's global config must not
  // decide who committed (and a runner without one would make git refuse to commit). The
  // message goes on stdin: one argument over 128 KiB (a model's long summary) is E2BIG.
  await git(
    cwd,
    [
      ...NO_HOOKS,
      '-c',
      `user.name=${committer.name}`,
      '-c',
      `user.email=${committer.email}`,
      '-c',
      'commit.gpgSign=false',
      'commit',
      '--no-verify',
      '--quiet',
      '--author',
      `${author.name} <${author.email}>`,
      '-F',
      '-'
    ],
    { input: options.message }
  )
  return (await git(cwd, ['rev-parse', 'HEAD'])).stdout.trim()
}

export interface PushOptions {
  /**
   * Replace the branch even when HEAD does not descend from it, but only if the remote branch
   * is still at `expectedRemoteSha` (`--force-with-lease`), so a push made meanwhile by someone
   * else is never overwritten. Forcing without `expectedRemoteSha` means "the branch must not
   * exist yet".
   */
  force?: boolean
  expectedRemoteSha?: string
  /**
   * The token to push with when the checkout stored no credentials (actions/checkout with
   * `persist-credentials: false`): sent as the same auth header, for this one push only.
   */
  token?: string
}

// The header's value travels in this variable, named on the command line by --config-env: a
// command line is readable by every user of the machine, a process's environment is not.
const PUSH_AUTH_VARIABLE = 'TANDEM_PUSH_AUTHORIZATION'

/**
 * Pushes HEAD to `refs/heads/<branch>` on `origin`, with whatever credentials the checkout
 * configured for it (actions/checkout's auth header). The token never goes into a URL.
 */
export async function pushBranch(
  cwd: string,
  branch: string,
  options: PushOptions = {}
): Promise<void> {
  const ref = `refs/heads/${branch}`
  const auth = await remoteAuth(cwd, options.token)
  const args = [...NO_HOOKS, ...auth.args, 'push', '--no-verify']
  if (options.force) args.push(`--force-with-lease=${ref}:${options.expectedRemoteSha ?? ''}`)
  args.push('origin', `HEAD:${ref}`)
  await git(cwd, args, { env: auth.env })
}

/**
 * How a command that talks to `origin` authenticates: with the header the checkout stored, or,
 * when it stored none (`persist-credentials: false`), with `token` as that same header for this
 * one command.
 */
export async function remoteAuth(
  cwd: string,
  token: string | undefined
): Promise<{ args: string[]; env: Record<string, string> }> {
  if (!token || (await hasStoredAuthHeader(cwd))) return { args: [], env: {} }
  const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`
  return {
    args: [`--config-env=http.extraheader=${PUSH_AUTH_VARIABLE}`],
    env: { [PUSH_AUTH_VARIABLE]: header }
  }
}

/** Whether the checkout keeps an auth header for its remote (actions/checkout's default). */
async function hasStoredAuthHeader(cwd: string): Promise<boolean> {
  const result = await git(
    cwd,
    ['config', '--includes', '--get-regexp', '^http\\..*extraheader$'],
    { allowFailure: true }
  )
  return result.exitCode === 0 && result.stdout.trim() !== ''
}

/** The SHA `refs/heads/<branch>` points at on `origin`, or undefined when there is none. */
export async function remoteBranchSha(
  cwd: string,
  branch: string,
  token?: string
): Promise<string | undefined> {
  const ref = `refs/heads/${branch}`
  const auth = await remoteAuth(cwd, token)
  const { stdout } = await git(cwd, [...auth.args, 'ls-remote', '--heads', 'origin', ref], {
    env: auth.env
  })
  for (const line of stdout.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/)
    if (name === ref && sha) return sha
  }
  return undefined
}

/** The tree of a commit, or undefined when the commit is not in the repository. */
export async function treeOf(cwd: string, commit: string): Promise<string | undefined> {
  const result = await git(cwd, ['rev-parse', '--verify', '--quiet', `${commit}^{tree}`], {
    allowFailure: true
  })
  return result.exitCode === 0 ? result.stdout.trim() : undefined
}

/**
 * Points the local branch `branch` at HEAD and checks it out, keeping every working-tree
 * change, so the commit that follows lands on the branch it is pushed to.
 */
export async function checkoutBranchHere(cwd: string, branch: string): Promise<void> {
  await git(cwd, [...NO_HOOKS, 'checkout', '--quiet', '--no-track', '-B', branch])
}

/**
 * Moves the current branch to `commit` without touching the index or the files: after finding
 * that the remote branch already holds the same tree, the checkout takes its commit as HEAD.
 */
export async function resetSoft(cwd: string, commit: string): Promise<void> {
  await git(cwd, ['reset', '--quiet', '--soft', commit])
}

/**
 * Fetches `refs/heads/<branch>` from origin (into FETCH_HEAD, no ref is created) so its commit
 * and tree can be read. False when the fetch failed; by name rather than by SHA, since not every
 * server lets a client ask for a bare SHA.
 */
export async function fetchRemoteBranch(
  cwd: string,
  branch: string,
  token?: string
): Promise<boolean> {
  const auth = await remoteAuth(cwd, token)
  const result = await git(
    cwd,
    [
      ...auth.args,
      'fetch',
      '--no-tags',
      '--quiet',
      '--no-write-fetch-head',
      'origin',
      `refs/heads/${branch}`
    ],
    { allowFailure: true, env: auth.env }
  )
  return result.exitCode === 0
}
