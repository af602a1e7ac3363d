import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { keptEnv, pinnedEnv, sandbox, staticPins } from './git-pins.js'
import { injectedFlags, needsScan, subcommandIndex } from './git-args.js'
import { configEnv, pinArgs, run, scanPins } from './git-scan.js'

export interface GitResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface GitOptions {
  /** Return a failed command's result instead of throwing. */
  allowFailure?: boolean
  /**
   * Extra environment variables for this one command (e.g. GIT_INDEX_FILE). Never one that
   * Tandem sets itself (see `pinnedEnv`) and never GIT_CONFIG_*: config goes in `-c` args.
   */
  env?: Record<string, string>
  /** Written to git's stdin. Without it stdin is closed, so git never waits on a terminal. */
  input?: string | Buffer
}

/*
 * Tandem's git runs nothing that the repository, the PR, an agent or `verify-command` planted.
 *
 * Every git command goes through `git()` below, which
 *  1. runs the git binary resolved once per process (before any agent ran) by absolute path;
 *  2. builds git's environment from an allowlist instead of inheriting the action's (which
 *     holds INPUT_GITHUB-TOKEN, ACTIONS_* and whatever GIT_* a runner or a step exported),
 *     with GIT_CONFIG_NOSYSTEM=1 and GIT_CONFIG_GLOBAL=<a file Tandem writes>, so no system,
 *     ~/.gitconfig or XDG config is read;
 *  3. pins on the command line the settings that make git run a program (`staticPins`);
 *  4. for the settings that name a program per driver (filters, diff and merge drivers), whose
 *     names cannot be known in advance, reads the effective config (local, worktree and every
 *     include) and pins each driver found (`scanPins`), cached until a config file changes;
 *  5. adds the flags that turn off what config cannot (`--no-ext-diff`, `--upload-pack=`).
 * The repository's own config is still read: `remote.origin.url`, the actions/checkout
 * `http.<url>.extraheader` and its v6 `includeIf` credentials file keep working.
 *
 * Facts measured with git 2.39.5 (and pinned by __tests__/git/git.test.ts):
 *  - `filter.<d>.clean/smudge/process` set to '' on the command line: no program runs and the
 *    content passes unchanged. If the driver is `required`, the command then FAILS ("clean
 *    filter 'd' failed"); `required` is left as configured on purpose: a git-lfs checkout
 *    (`git lfs install --local`, required=true) must fail loudly rather than commit smudged
 *    content over its pointers.
 *  - `diff.external=''`, `diff.<d>.command=''`, `diff.<d>.textconv=''` and
 *    `merge.<d>.driver=''` do NOT turn the program off: git tries to run '' ("cannot run : No
 *    such file or directory") and the command fails. Hence `--no-ext-diff --no-textconv` on
 *    diff/log/show (external diffs run on `git diff` only; textconv on diff, log -p, show, blame,
 *    range-diff; plumbing diff-tree/-index/-files and format-patch use neither), `false` for the
 *    diff programs found (a command we did not flag fails instead of running them), and for a
 *    merge driver the 3-way text merge through `git merge-file` — what git does for a
 *    `merge=<d>` attribute whose driver is not defined (measured: conflict markers and all).
 *  - `-c 'filter.a=b.clean='` is split at the first '=' and pins nothing (the filter runs);
 *    GIT_CONFIG_KEY_<n>/GIT_CONFIG_VALUE_<n> carry a key verbatim, so dynamic pins use those
 *    (they override every config file, and only an explicit `-c` overrides them).
 *  - `-c remote.origin.uploadpack=git-upload-pack` does NOT override a planted local value ("more
 *    than one uploadpack given, using the first"), and with a local-path remote that value runs
 *    through the shell on ls-remote/fetch (receivepack on push); `--upload-pack=` and
 *    `--receive-pack=` on the command line do override it.
 *  - `-c credential.helper=` clears every helper configured before it, URL-scoped ones
 *    (`credential.<url>.helper`) included. `core.askPass` still runs with
 *    GIT_TERMINAL_PROMPT=0; `-c core.askPass=` (empty) stops it and SSH_ASKPASS.
 *  - A `remote.<r>.vcs`, a `<x>::` URL or an unknown `<x>://` scheme makes git run
 *    `git remote-<x>`, which an `alias.remote-<x>=!cmd` in local config turns into a shell
 *    command; `protocol.allow=never` (with https/http/ssh allowed, file `user`) refuses them.
 *  - `core.hooksPath=/dev/null` finds no hook and prints no warning; nothing can ever be
 *    created under /dev/null, while an empty directory of our own could be filled by any
 *    process of the same user (the agent, today). Windows gets an empty directory instead.
 *  - `safe.directory=*` is honoured from GIT_CONFIG_GLOBAL (needed when the checkout belongs to
 *    another user, e.g. a container job or a dedicated agent user).
 *
 * Deliberately NOT pinned:
 *  - `core.sshCommand`: actions/checkout's `ssh-key` puts its `ssh -i …` there, in local config.
 *    A planted value (with `url.<ssh>.insteadOf`) would run on fetch/push over ssh; the config
 *    guard (guard.ts) restores .git/config after every session, which covers it.
 *  - `core.untrackedCache`: runs nothing; pinning it makes git rewrite the index extension.
 *  - `uploadpack.packObjectsHook`: git reads it only from protected (system, global, command
 *    line) config, all of which Tandem controls here.
 * Residual: a planted value that lands between the config read and the command (a few ms) is
 * not seen; only concurrent agents sharing the common .git/config (parallel worktrees) could
 * race that. git itself is looked up in PATH once, at the first call; what git then starts by
 * name (ssh, git-upload-pack, sh) comes from PATH each time, so a PATH directory the agent's
 * user can write defeats this (the dedicated agent user closes that).
 */

/**
 * Runs git with an argument vector (never a shell), hardened as described at the top of this
 * file: its environment is built from scratch, and nothing configured in the repository (or
 * anywhere else) can make it run a hook, an fsmonitor, a filter, a diff or merge driver, a
 * pager, an editor, a credential helper or a remote helper.
 */
export async function git(cwd: string, args: string[], options: GitOptions = {}) {
  const box = await sandbox()
  const index = subcommandIndex(args)
  const subcommand = index < 0 ? '' : args[index]!
  const pinned = pinnedEnv(box)
  const base = { ...keptEnv(), ...pinned }
  for (const name of Object.keys(options.env ?? {})) {
    if (name in pinned || name.toUpperCase().startsWith('GIT_CONFIG')) {
      throw new Error(`git(): options.env may not set ${name}`)
    }
  }
  const dynamic =
    index >= 0 && needsScan(subcommand, args.slice(index + 1)) ? await scanPins(box, cwd, base) : []
  const finalArgs = [
    '--no-pager',
    ...pinArgs(staticPins(box)),
    ...(index < 0
      ? args
      : [...args.slice(0, index + 1), ...injectedFlags(subcommand), ...args.slice(index + 1)])
  ]
  const result = await run(box, {
    cwd,
    args: finalArgs,
    env: { ...base, ...configEnv(dynamic), ...options.env },
    input: options.input
  })
  if (result.exitCode !== 0 && !options.allowFailure) {
    throw new Error(`git ${args.join(' ')} failed (${result.exitCode}): ${result.stderr.trim()}`)
  }
  return result
}

/** The git directory of `cwd` and the common one (they differ in a linked worktree). */
export async function gitDirsOf(cwd: string): Promise<{ gitDir: string; commonDir: string }> {
  const { stdout } = await git(cwd, [
    'rev-parse',
    '--path-format=absolute',
    '--git-dir',
    '--git-common-dir'
  ])
  const [gitDir = '', commonDir = gitDir] = stdout.split('\n').filter(line => line !== '')
  return { gitDir, commonDir }
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
