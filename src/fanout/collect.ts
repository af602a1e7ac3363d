/**
 * Collect mode's decisions and texts, apart from the I/O: which patches to apply with which
 * message, what applying them gave, what the pull request and the job say, and the outputs.
 */
import { BRANCH_PREFIX, slugify } from '../git/branch-name.js'
import type { PatchOutcome } from '../git/patches.js'
import { renderVerify } from '../write/render.js'
import type { VerifyResult } from '../write/verify.js'
import {
  mergeTotals,
  renderTotals,
  taskCommitMessage,
  type ApplyOutcome,
  type CollectedTask,
  type MergeEntry,
  type MergeTotals,
  type ShardResults
} from './merge.js'
import { renderCollectSummary } from './merge-render.js'

/** The artifact collect keeps the patches that did not apply in. */
export const CONFLICTS_ARTIFACT = 'tandem-conflicts'

/** `tandem/collect-<workflow>`: the same workflow collects onto the same branch every run. */
export function defaultBranch(workflow: string | undefined): string {
  return `${BRANCH_PREFIX}collect-${slugify(workflow ?? '') || 'fan-out'}`
}

/** The pending tasks that have a patch in a downloaded shard, in table order. */
export function pendingPatches(
  plan: MergeEntry[],
  dirs: ReadonlyMap<string, string | undefined>,
  commitMessage: string | undefined
): { key: number; dir: string; patch: string; message: string }[] {
  return plan.flatMap(entry => {
    const dir = entry.shard === undefined ? undefined : dirs.get(entry.shard)
    if (entry.status !== 'pending' || !dir || !entry.result?.patch) return []
    const message = taskCommitMessage(
      { task: entry.task, summary: entry.result.summary },
      commitMessage
    )
    return [{ key: entry.index, dir, patch: entry.result.patch, message }]
  })
}

const EMPTY_REASON = 'its patch changes nothing on top of the tasks before it'

export function toApplyOutcome(outcome: PatchOutcome): ApplyOutcome {
  switch (outcome.status) {
    case 'applied':
      return { status: 'applied', commit: outcome.commit }
    case 'empty':
      return { status: 'no-changes', reason: EMPTY_REASON }
    case 'conflict':
      return { status: 'conflict', reason: outcome.reason }
    case 'refused':
      return { status: 'fail', reason: outcome.reason }
  }
}

/** A conflicting patch's name in the conflicts artifact: patch names count per shard (0001-…). */
export function conflictFileName(shard: string, patch: string): string {
  return `shard-${shard}-${patch}`.replace(/[^A-Za-z0-9._-]/g, '-')
}

/** The warnings a merge's totals call for. */
export function taskWarnings(totals: MergeTotals): string[] {
  const { conflict, missing, fail, timeout, duplicate } = totals.byStatus
  const warnings: string[] = []
  if (conflict > 0) {
    warnings.push(
      `${conflict} task(s) did not apply on top of the tasks before them (conflict); their ` +
        `patches are kept in the ${CONFLICTS_ARTIFACT} artifact and listed in the job summary`
    )
  }
  if (missing > 0) warnings.push(`${missing} planned task(s) have no result (missing)`)
  if (fail + timeout > 0) warnings.push(`${fail + timeout} task(s) failed or timed out`)
  if (duplicate > 0) warnings.push(`${duplicate} task(s) were reported by more than one shard`)
  return warnings
}

/** Why the step fails when no shard's results could be read. */
export function nothingToCollect(shardCount: number, artifactPattern: string): string {
  return shardCount === 0
    ? `No artifact of this run matches artifact-pattern '${artifactPattern}': no shard ` +
        'uploaded its results (did the shard jobs run, and with the same pattern?)'
    : `None of the ${shardCount} shard artifact(s) held readable results`
}

export function collectTitle(totals: MergeTotals, prTitle: string | undefined): string {
  return (
    prTitle ??
    `Tandem fan-out: ${totals.byStatus.applied} of ${totals.tasks} task${totals.tasks === 1 ? '' : 's'} applied`
  )
}

/** What one collect run found and did, as far as the summary and the outputs show it. */
export interface CollectState {
  branch: string
  base: string
  shards: ShardResults[]
  tasks: CollectedTask[]
  /** The branch head: the last task's commit, then what the remote holds. */
  commitSha?: string
  pushed: boolean
  changedFiles?: string[]
  verify: VerifyResult
  pr?: { number: number; url: string; operation: 'created' | 'updated' | 'none' }
  conflicts?: { artifact?: string; files: { task: string; file: string }[]; error?: string }
  resultsFile?: string
}

export interface CollectEnd {
  conclusion?: string
  failure?: string
  stopped?: string
}

/** How many shards' results were read. */
export function shardCount(state: CollectState): number {
  return state.shards.filter(s => s.results !== undefined).length
}

export function collectSummary(state: CollectState, end: CollectEnd): string {
  return renderCollectSummary({
    branch: state.branch,
    base: state.base || '—',
    tasks: state.tasks,
    shardCount: shardCount(state),
    commitSha: state.pr || state.pushed ? state.commitSha : undefined,
    pushed: state.pushed,
    pr: state.pr,
    verify: renderVerify(state.verify),
    verifyStatus: state.verify.status,
    stopped: end.failure ? (end.stopped ?? 'failed') : end.stopped,
    conflicts: state.conflicts,
    resultsFile: state.resultsFile
  })
}

export function collectOutputs(state: CollectState, end: CollectEnd): Record<string, string> {
  const totals = mergeTotals(state.tasks)
  return {
    conclusion: end.failure ? 'failure' : (end.conclusion ?? 'success'),
    'pr-number': state.pr ? String(state.pr.number) : '',
    'pr-url': state.pr?.url ?? '',
    'pr-operation': state.pr?.operation ?? 'none',
    branch: state.branch,
    'commit-sha': state.pr || state.pushed ? (state.commitSha ?? '') : '',
    'changed-files': JSON.stringify(state.changedFiles ?? []),
    'verify-result': state.verify.status,
    'applied-count': String(totals.byStatus.applied),
    'conflict-count': String(totals.byStatus.conflict),
    'missing-count': String(totals.byStatus.missing),
    'results-file': state.resultsFile ?? '',
    'cost-usd': String(totals.costUsd),
    'num-turns': String(totals.numTurns)
  }
}

/** The totals line as the log shows it (no markdown). */
export function totalsLine(totals: MergeTotals): string {
  return renderTotals(totals).replace(/\*\*/g, '')
}
