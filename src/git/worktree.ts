// One worktree of the pool (see worktrees.ts): added, read back as a patch, removed; swept and
// removed at exit when a cancelled job skipped the pool's own cleanup.
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
