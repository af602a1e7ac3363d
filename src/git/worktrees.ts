/**
 * The worktree pool: many agent sessions at once on the same base commit, each in a git
 * worktree of its own on a branch of its own, and each handing back exactly its change as a
 * patch. `shard` runs one writer per task this way; `explore` runs its candidates this way.
 *
 * Where the worktrees live: a temp dir Tandem makes (mode 0700, under the OS temp dir), never
 * under RUNNER_TEMP, which agent code may not read (actions/checkout v6 keeps the token there;
 * the sandbox conceals it and the deny rules refuse it). The sandbox grants each session its
 * worktree; the worktree's `.git` is a FILE that points into the main repository's
 * `.git/worktrees/<name>`, and it stays Tandem's like a checkout's `.git` directory does (the
 * grant skips the top-level `.git` whatever it is, and the top directory is sticky). Before
 * reading a worktree back, `worktreePatch` checks that `.git` file is still the one git wrote,
 * so a sandbox without a user of its own cannot point Tandem's git at another repository.
 *
 * Cleanup: every worktree and branch goes at the end of the pool, also when a task threw.
 * A cancelled job ends in launch.ts's `exitCancelled` (process.exit) as soon as its last agent
 * session has stopped, before any `finally` up here runs: an `exit` handler then removes what
 * is left with plain file operations (the worktree, its admin dir, its loose branch ref), and
 * the next pool on the same checkout sweeps any branch of its prefix that a killed run left.
 */
import * as core from '@actions/core'
import { lstatSync, readFileSync, rmSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { git, gitDirsOf } from './git.js'

export interface Worktree {
  /** The checkout the worktree was added to (its main working tree). */
  repo: string
  /** The worktree's directory: the session's cwd. */
  dir: string
  /** Its branch, e.g. `tandem/shard-3/2`. */
  branch: string
  /** The commit it started from. */
  baseSha: string
  /** `<common dir>/worktrees/<name>`: where its `.git` file points. */
  gitDir: string
  commonDir: string
  /** The `.git` file as git wrote it. */
  link: string
}

/** What one item of a pool gave: its value, or what it threw. */
export type PoolResult<R> = { ok: true; value: R } | { ok: false; error: unknown }

/**
 * Runs `fn` on every item, at most `concurrency` at a time, and hands back one result per item
 * in the items' order. `slot` (1…concurrency) names the worker that runs the item: no two items
 * run in the same slot at once, so a slot can own a sandbox. A throw is that item's result and
 * never stops the others.
 */
export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, slot: number, index: number) => Promise<R>
): Promise<PoolResult<R>[]> {
  const results: PoolResult<R>[] = new Array<PoolResult<R>>(items.length)
  let next = 0
  const worker = async (slot: number): Promise<void> => {
    while (next < items.length) {
      const index = next++
      try {
        results[index] = { ok: true, value: await fn(items[index]!, slot, index) }
      } catch (error) {
        results[index] = { ok: false, error }
      }
    }
  }
  const workers = Math.max(1, Math.min(Math.floor(concurrency), items.length))
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(i + 1)))
  return results
}

export interface WorktreeJob<T> {
  item: T
  index: number
  slot: number
  worktree: Worktree
}

export interface WorktreePoolOptions {
  /** The checkout (its top level). */
  repo: string
  /** Every worktree starts here. */
  baseSha: string
  /** Branches are `<prefix><n>`, n counting from 1 in item order, e.g. `tandem/shard-3/`. */
  branchPrefix: string
  concurrency: number
}

/**
 * The pool: for each item (`concurrency` at a time) a worktree on `<prefix><n>` from `baseSha`,
 * `fn` in it, then the worktree and its branch removed. Results come back in item order; an
 * item whose worktree could not be made, or whose `fn` threw, gets its error. Branches of the
 * prefix that an earlier, killed run left behind are swept first.
 */
export async function runInWorktrees<T, R>(
  options: WorktreePoolOptions,
  items: readonly T[],
  fn: (job: WorktreeJob<T>) => Promise<R>
): Promise<PoolResult<R>[]> {
  await sweepWorktrees(options.repo, options.branchPrefix)
  const mine = new Set<Worktree>()
  try {
    return await runPool(items, options.concurrency, async (item, slot, index) => {
      const branch = `${options.branchPrefix}${index + 1}`
      const worktree = await addWorktree(options.repo, options.baseSha, branch)
      mine.add(worktree)
      try {
        return await fn({ item, index, slot, worktree })
      } finally {
        // One that will not go now (a lock held by a parallel git) is retried, and warned
        // about, below; the item keeps its result either way.
        await removeWorktree(worktree).then(
          () => mine.delete(worktree),
          () => undefined
        )
      }
    })
  } finally {
    await removeWorktrees([...mine])
  }
}

export interface CheckoutBase {
  /** The checkout's top level: worktrees are of the whole repository. */
  top: string
  /** Where the working directory is below it (`pkg/` or ''): the session's cwd in a worktree. */
  prefix: string
  /** The commit checked out: every worktree of a pool starts here. */
  head: string
}

/** The checkout a pool branches from: its top level, the cwd's prefix in it, and its HEAD. */
export async function checkoutBase(cwd: string): Promise<CheckoutBase> {
  const where = await git(cwd, ['rev-parse', '--show-toplevel', '--show-prefix'], {
    allowFailure: true
  })
  if (where.exitCode !== 0) {
    throw new Error(`${cwd} is not a git checkout (run actions/checkout first)`)
  }
  const [top = '', prefix = ''] = where.stdout.split('\n')
  const head = await git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], {
    allowFailure: true
  })
  if (head.exitCode !== 0) throw new Error(`the checkout at ${top} has no commit checked out`)
  return { top, prefix, head: head.stdout.trim() }
}

// ─── single worktrees ──────────────────────────────────────────────────────────────────────

/** Worktrees of this process not removed yet: what the exit handler removes. */
const live = new Set<Worktree>()
let root: Promise<string> | undefined
/** `root` once made, for the exit handler, which cannot wait for a promise. */
let rootPath: string | undefined
let created = 0
const commonDirs = new Map<string, Promise<string>>()
/** Worktrees whose branch was free when they were added: theirs to delete. */
const ownBranch = new WeakSet<Worktree>()

/**
 * A new worktree of `repo` at `baseSha`, on a new branch `branch` (which must not exist), in
 * Tandem's own temp dir.
 */
export async function addWorktree(
  repo: string,
  baseSha: string,
  branch: string
): Promise<Worktree> {
  const worktree: Worktree = { repo, dir: '', branch, baseSha, gitDir: '', commonDir: '', link: '' }
  // Registered before the first await: the temp dir is not removed under a worktree being
  // made, and a half-made one is cleaned up too.
  live.add(worktree)
  watchExit()
  try {
    const parent = await worktreeRoot()
    worktree.dir = path.join(parent, `${++created}-${branch.replace(/[^A-Za-z0-9._-]+/g, '-')}`)
    worktree.commonDir = await commonDirOf(repo)
    if (await branchExists(repo, branch)) throw new Error(`branch ${branch} exists already`)
    ownBranch.add(worktree)
    await oneAtATime(() =>
      git(repo, ['worktree', 'add', '--quiet', '--no-track', '-b', branch, worktree.dir, baseSha])
    )
    worktree.link = await readFile(path.join(worktree.dir, '.git'), 'utf8')
    // `gitdir: <absolute path>`, as `worktree add` writes it.
    worktree.gitDir = /^gitdir: (.+)\n?$/.exec(worktree.link)?.[1] ?? ''
    if (!path.isAbsolute(worktree.gitDir)) {
      worktree.gitDir = (await gitDirsOf(worktree.dir)).gitDir
    }
  } catch (error) {
    await removeWorktree(worktree).catch(() => undefined)
    throw error
  }
  return worktree
}

async function branchExists(repo: string, branch: string): Promise<boolean> {
  const found = await git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
    allowFailure: true
  })
  return found.exitCode === 0
}

function commonDirOf(repo: string): Promise<string> {
  let found = commonDirs.get(repo)
  if (found === undefined) {
    found = gitDirsOf(repo).then(dirs => dirs.commonDir)
    found.catch(() => commonDirs.delete(repo))
    commonDirs.set(repo, found)
  }
  return found
}

/**
 * The worktree's change against `baseSha` as a binary patch (`git apply` takes it back): new,
 * deleted and renamed files, mode changes and binary files, everything `git add -A` stages
 * (ignored files are no change). Undefined when nothing changed. Leaves the change staged.
 */
export async function worktreePatch(
  worktree: Worktree,
  baseSha: string = worktree.baseSha
): Promise<Buffer | undefined> {
  checkLink(worktree)
  await git(worktree.dir, ['add', '--all'])
  // git writes the file itself: stdout comes back as text, and a patch of a Latin-1 file is not.
  const file = `${worktree.dir}.patch`
  try {
    await git(worktree.dir, [
      '-c',
      'core.quotePath=true',
      'diff',
      '--cached',
      '--binary',
      '--full-index',
      '--find-renames',
      '--no-color',
      '--no-relative',
      '--ignore-submodules=none',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      `--output=${file}`,
      baseSha,
      '--'
    ])
    const patch = await readFile(file)
    return patch.length > 0 ? patch : undefined
  } finally {
    await rm(file, { force: true })
  }
}

// git's worktree add, remove and prune read and write the other worktrees' entries in
// .git/worktrees without a lock: one `add` read a sibling's half-written `commondir` and failed
// (seen about once in six runs of 40 tasks at concurrency 4). Within this process they take turns.
let worktreeTurn: Promise<unknown> = Promise.resolve()

function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const mine = worktreeTurn.then(fn, fn)
  worktreeTurn = mine.catch(() => undefined)
  return mine
}

/** Removes the worktree (whatever is in it) and its branch. */
export async function removeWorktree(worktree: Worktree): Promise<void> {
  const { repo, dir, branch } = worktree
  if (dir !== '') {
    const removed = await oneAtATime(() =>
      git(repo, ['worktree', 'remove', '--force', '--force', dir], { allowFailure: true })
    )
    if (removed.exitCode !== 0) {
      // Never added, or its directory is gone: forget it by hand.
      await rm(dir, { recursive: true, force: true })
      await oneAtATime(() => git(repo, ['worktree', 'prune'], { allowFailure: true }))
    }
  }
  // Only a branch this worktree made: a name that was taken before is someone else's.
  if (ownBranch.has(worktree)) {
    const deleted = await git(repo, ['branch', '--quiet', '-D', branch], { allowFailure: true })
    if (deleted.exitCode !== 0 && (await branchExists(repo, branch))) {
      throw new Error(`branch ${branch} could not be deleted: ${deleted.stderr.trim()}`)
    }
    ownBranch.delete(worktree)
  }
  live.delete(worktree)
  if (live.size === 0) await removeRoot()
}

/** Removes every given worktree, warning about (not throwing for) those that will not go. */
export async function removeWorktrees(worktrees: Worktree[]): Promise<void> {
  for (const worktree of worktrees) {
    await removeWorktree(worktree).catch((error: Error) =>
      core.warning(`Could not remove worktree ${worktree.dir}: ${error.message}`)
    )
  }
}

/**
 * Removes the worktrees and branches under `branchPrefix` that an earlier run on this checkout
 * left (a job killed outright), so their names can be used again.
 */
export async function sweepWorktrees(repo: string, branchPrefix: string): Promise<string[]> {
  await git(repo, ['worktree', 'prune'], { allowFailure: true })
  const ref = `refs/heads/${branchPrefix}`
  // Not -z (git 2.36+): Tandem's own worktree paths hold no newline.
  const listed = await git(repo, ['worktree', 'list', '--porcelain'])
  for (const record of listed.stdout.split('\n\n')) {
    const fields = record.split('\n')
    const dir = fields.find(f => f.startsWith('worktree '))?.slice('worktree '.length)
    const head = fields.find(f => f.startsWith('branch '))?.slice('branch '.length)
    if (dir && head?.startsWith(ref) && ![...live].some(w => w.dir === dir)) {
      await git(repo, ['worktree', 'remove', '--force', '--force', dir], { allowFailure: true })
    }
  }
  const refs = await git(repo, ['for-each-ref', '--format=%(refname:strip=2)', ref])
  const stale = refs.stdout
    .split('\n')
    .filter(name => name !== '' && ![...live].some(w => w.branch === name))
  for (const name of stale)
    await git(repo, ['branch', '--quiet', '-D', name], { allowFailure: true })
  return stale
}

/** Throws when the worktree's `.git` is no longer the file git wrote when it was added. */
function checkLink(worktree: Worktree): void {
  const file = path.join(worktree.dir, '.git')
  const stat = lstatSync(file, { throwIfNoEntry: false })
  if (!stat?.isFile() || readFileSync(file, 'utf8') !== worktree.link) {
    throw new Error(`${file} was replaced: the worktree no longer points at ${worktree.gitDir}`)
  }
}

/**
 * The parent of every worktree of this process, made on first use. Under the OS temp dir,
 * unless that is inside RUNNER_TEMP (TMPDIR=$RUNNER_TEMP), which agent code may not read.
 */
function worktreeRoot(): Promise<string> {
  root ??= (async () => {
    const runnerTemp = process.env.RUNNER_TEMP?.trim()
    const inside = (dir: string): boolean =>
      !!runnerTemp && !path.relative(path.resolve(runnerTemp), path.resolve(dir)).startsWith('..')
    const parent = [os.tmpdir(), '/tmp'].find(dir => !inside(dir)) ?? os.tmpdir()
    // TMPDIR may name a directory nobody made yet.
    await mkdir(parent, { recursive: true })
    return (rootPath = await mkdtemp(path.join(parent, 'tandem-worktrees-')))
  })()
  // A failure is not kept: the next worktree tries again.
  root.catch(() => (root = undefined))
  return root
}

async function removeRoot(): Promise<void> {
  const made = root
  if (made === undefined) return
  root = undefined
  rootPath = undefined
  const dir = await made.catch(() => undefined)
  if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined)
}

let watching = false

/** Installs the exit handler and the signal fallback once. */
function watchExit(): void {
  if (watching) return
  watching = true
  process.on('exit', removeLiveSync)
  // First in line, so it still sees launch.ts's once-listener (see onSignal).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.prependListener(signal, onSignal)
}

let signalled = false

/**
 * launch.ts stops agent code on the first SIGINT/SIGTERM and exits once it has cleaned up; the
 * exit handler then removes the worktrees. A listener here also keeps a second signal from
 * killing the process in the middle of that. Only when nothing else handles the signal does this
 * listener end the run itself, after removing the worktrees.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (signalled) return
  signalled = true
  if (process.listenerCount(signal) > 1) return
  void removeWorktrees([...live]).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
}

/**
 * At exit nothing asynchronous runs: what git would do for `worktree remove` and `branch -D` is
 * done with file operations — the directory, its admin dir and the loose branch ref (a packed
 * one is left to the next run's sweep).
 */
function removeLiveSync(): void {
  for (const worktree of live) {
    if (worktree.dir === '') continue
    removeSync(worktree.dir)
    const admin = path.join(worktree.commonDir, 'worktrees')
    if (within(admin, worktree.gitDir)) removeSync(worktree.gitDir)
    for (const refs of ownBranch.has(worktree) ? ['refs/heads', 'logs/refs/heads'] : []) {
      const dir = path.join(worktree.commonDir, refs)
      const file = path.join(dir, worktree.branch)
      if (within(dir, file)) removeSync(file)
    }
  }
  live.clear()
  if (rootPath !== undefined) removeSync(rootPath)
}

function within(dir: string, file: string): boolean {
  return file !== '' && !path.relative(dir, file).startsWith('..') && path.resolve(file) !== dir
}

function removeSync(file: string): void {
  try {
    rmSync(file, { recursive: true, force: true })
  } catch {
    // Nothing more can be done at exit.
  }
}
