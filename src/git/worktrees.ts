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
import { git } from './git.js'
import {
  addWorktree,
  removeWorktree,
  removeWorktrees,
  sweepWorktrees,
  type Worktree
} from './worktree.js'

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
