/**
 * Collect mode's merging steps: the branch settled on the checkout's commit, the shards' patches
 * applied in task order (one commit each), and every task's final status written down.
 */
import * as core from '@actions/core'
import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Agent } from '../../agent/launch.js'
import {
  mergeTotals,
  collectedResults,
  settleMerge,
  type ApplyOutcome,
  type CollectedTask,
  type MergeEntry
} from '../../fanout/merge.js'
import {
  pendingPatches,
  taskWarnings,
  toApplyOutcome,
  totalsLine,
  type CollectState
} from '../../fanout/collect.js'
import type { GitHub, Repo } from '../../github/client.js'
import { runSecrets } from '../../github/redact.js'
import type { DownloadedShard } from '../../github/shard-artifacts.js'
import { checkoutBranchHere, entryPaths, statusEntries } from '../../git/branch.js'
import { git } from '../../git/git.js'
import { applyPatches } from '../../git/patches.js'
import type { Inputs } from '../../inputs.js'
import { resolveBranch, withWriteTrailer, type PublishedPullRequest } from './branch-pr.js'

/** What one collect run found and did, step by step. */
export interface CollectRun extends CollectState {
  inputs: Inputs
  redact: (text: string) => string
  /** The repository's top level (patch paths are relative to it). */
  top?: string
  baseSha?: string
  scratch: string
  shards: DownloadedShard[]
  agent?: Agent
  pr?: PublishedPullRequest
}

export async function prepareBranch(run: CollectRun, gh: GitHub, repo: Repo): Promise<void> {
  const cwd = run.inputs.workingDirectory
  const settled = await resolveBranch(gh, repo, {
    cwd,
    branch: run.branch,
    base: run.inputs.base,
    mode: 'collect'
  })
  run.base = settled.base
  run.top = settled.topLevel
  // Tasks are applied onto the checkout's commit, which is what the shards checked out too.
  const tracked = entryPaths((await statusEntries(cwd)).filter(e => e.status !== '??'))
  if (tracked.length > 0) {
    throw new Error(
      `The checkout has changes to tracked files (${tracked.slice(0, 5).join(', ')}` +
        `${tracked.length > 5 ? ', …' : ''}): collect applies the shards' patches onto a clean ` +
        'checkout of the commit they were made from.'
    )
  }
  run.baseSha = (await git(cwd, ['rev-parse', 'HEAD'])).stdout.trim()
  await checkoutBranchHere(cwd, run.branch)
  core.info(`Applying onto ${run.baseSha}`)
}

/** The pending tasks' patches, applied in table order; every task's final status. */
export async function applyTasks(run: CollectRun, plan: MergeEntry[]): Promise<CollectedTask[]> {
  const dirs = new Map(run.shards.map(s => [s.shard, s.dir]))
  const tasks = pendingPatches(plan, dirs, run.inputs.commitMessage).map(p => ({
    key: p.key,
    file: path.join(p.dir, p.patch),
    message: run.redact(withWriteTrailer(p.message, run.branch))
  }))
  const outcomes = new Map<number, ApplyOutcome>()
  if (tasks.length > 0) {
    const started = Date.now()
    const applied = await applyPatches(run.top!, tasks, {
      author: run.inputs.commitAuthor,
      secrets: runSecrets(run.inputs),
      allowWorkflowChanges: run.inputs.allowWorkflowChanges,
      scratchDir: run.scratch
    })
    for (const [key, outcome] of applied.outcomes) outcomes.set(key, toApplyOutcome(outcome))
    if (applied.head !== run.baseSha) run.commitSha = applied.head
    core.info(
      `${tasks.length} patch(es) in ${Date.now() - started} ms: ` +
        `${tasks.length - applied.oneByOne} in one git apply, ${applied.oneByOne} one by one`
    )
  }
  return settleMerge(plan, outcomes)
}

/** Collect's results file: every task's final status, for `jq` and for retries. */
export function writeResultsFile(tasks: CollectedTask[]): string {
  const dir = path.join(process.env.RUNNER_TEMP || tmpdir(), 'tandem')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, 'collect-results.json')
  writeFileSync(file, JSON.stringify(collectedResults(tasks), null, 2) + '\n')
  return file
}

export function warnAboutTasks(tasks: CollectedTask[]): void {
  const totals = mergeTotals(tasks)
  core.info(totalsLine(totals))
  for (const warning of taskWarnings(totals)) core.warning(warning)
}
