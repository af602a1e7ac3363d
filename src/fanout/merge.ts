/**
 * Collect's decisions, as pure functions: which result stands for which task and in what order
 * (the merge plan), what became of each task once the patches were applied, the totals, and the
 * markdown of the results table for the pull request body and the job summary.
 *
 * Everything a shard uploaded is data from another job (whose agent code could have written into
 * its workspace): task names, summaries and errors are rendered inert, and nothing in them is
 * ever read back as one of Tandem's markers.
 */
import type { PlannedMatrix, TaskResult } from './results.js'
import { oneLine } from '../markdown.js'

/**
 * What became of a task, as the results table, the outputs and collect's results file say it:
 * - `applied`: its patch is one commit on the branch;
 * - `no-changes`: it changed nothing (the shard said so, or its patch changed nothing here);
 * - `conflict`: its patch does not apply on top of the tasks before it; the patch is kept;
 * - `fail`: the session failed, or collect refused its patch (workflow files, a secret, a path
 *   outside the repository), with the reason;
 * - `timeout`: the session was stopped at `timeout-minutes`;
 * - `missing`: planned, but no shard reported it (its shard uploaded nothing);
 * - `duplicate`: a second result for a task whose result was taken from another shard; shown,
 *   never applied.
 */
export const COLLECT_STATUSES = [
  'applied',
  'no-changes',
  'conflict',
  'fail',
  'timeout',
  'missing',
  'duplicate'
] as const
export type CollectStatus = (typeof COLLECT_STATUSES)[number]

/** The statuses that need someone to look, most urgent first (the order of a compact table). */
export const ATTENTION_STATUSES: readonly CollectStatus[] = [
  'conflict',
  'fail',
  'timeout',
  'missing',
  'duplicate'
]

/** The statuses worth running again (see the README's "Retry"): the task has no result here. */
export const RETRY_STATUSES: readonly CollectStatus[] = ['fail', 'timeout', 'missing', 'conflict']

export const STATUS_LABEL: Record<CollectStatus, string> = {
  applied: '✅ applied',
  'no-changes': '➖ no-changes',
  conflict: '⚠️ conflict',
  fail: '❌ fail',
  timeout: '⏱️ timeout',
  missing: '❓ missing',
  duplicate: '🔁 duplicate'
}

/** One shard's downloaded artifact. */
export interface ShardResults {
  /** The shard's id, from its artifact's name (`tandem-shard-<id>`). */
  shard: string
  /** Undefined when the artifact held no readable results.json (`error` says why). */
  results: TaskResult[] | undefined
  error?: string
}

/** A task of the merge plan: a row of the results table before the patches are applied. */
export interface MergeEntry {
  /** Its row, from 0: plan order (with a matrix), else shard order, then results order. */
  index: number
  task: string
  /** The shard whose result this is; for a missing task the shard it was planned in, if any. */
  shard: string | undefined
  /** `unplanned`: a result for a task the matrix does not list. Always `planned` without one. */
  origin: 'planned' | 'unplanned'
  /** Undefined for a missing task. */
  result: TaskResult | undefined
  /** `pending`: an `ok` task with a patch, to be applied. */
  status: CollectStatus | 'pending'
  /** Why, when the status needs saying (missing, duplicate, refused, conflict). */
  reason?: string
}

/**
 * Which result stands for each task, in table order. With `matrix`: every planned task in plan
 * order, its result taken from the shard it was planned in (else from the first shard that has
 * it), a planned task that no shard reports `missing`; then results for tasks the matrix does not
 * list, `unplanned`, in shard order. Without a matrix: shard order, then results order. A second
 * result for the same task is listed right after the first as `duplicate`, never applied.
 * `shards` must be in shard order (artifacts in natural name order).
 */
export function planMerge(shards: ShardResults[], matrix?: PlannedMatrix): MergeEntry[] {
  interface Found {
    shard: string
    result: TaskResult
    used: boolean
  }
  const byTask = new Map<string, Found[]>()
  for (const shard of shards) {
    for (const result of shard.results ?? []) {
      const found = byTask.get(result.task) ?? []
      found.push({ shard: shard.shard, result, used: false })
      byTask.set(result.task, found)
    }
  }
  const shardState = new Map(shards.map(shard => [shard.shard, shard]))
  const entries: MergeEntry[] = []
  const push = (entry: Omit<MergeEntry, 'index'>): void => {
    entries.push({ index: entries.length, ...entry })
  }
  const take = (task: string, found: Found[], chosen: Found, origin: MergeEntry['origin']) => {
    chosen.used = true
    push({
      task,
      shard: chosen.shard,
      origin,
      result: chosen.result,
      status: initialStatus(chosen.result),
      ...(origin === 'unplanned' ? { reason: 'not in the matrix' } : {})
    })
    for (const other of found) {
      if (other.used) continue
      other.used = true
      push({
        task,
        shard: other.shard,
        origin,
        result: other.result,
        status: 'duplicate',
        reason: `also reported by shard ${other.shard}; the result of shard ${chosen.shard} is used`
      })
    }
  }

  const planned = new Set<string>()
  for (const { shard, tasks } of matrix?.include ?? []) {
    const id = String(shard)
    for (const task of tasks) {
      if (planned.has(task)) continue
      planned.add(task)
      const found = byTask.get(task) ?? []
      const chosen = found.find(f => f.shard === id) ?? found[0]
      if (chosen) {
        take(task, found, chosen, 'planned')
        continue
      }
      const state = shardState.get(id)
      push({
        task,
        shard: id,
        origin: 'planned',
        result: undefined,
        status: 'missing',
        reason:
          state === undefined
            ? `shard ${id} uploaded no results`
            : state.results === undefined
              ? `shard ${id}'s results could not be read${state.error ? `: ${state.error}` : ''}`
              : `shard ${id}'s results do not list it`
      })
    }
  }
  const origin = matrix ? 'unplanned' : 'planned'
  for (const shard of shards) {
    for (const result of shard.results ?? []) {
      const found = byTask.get(result.task)!
      const chosen = found.find(f => f.result === result)!
      if (chosen.used) continue
      take(result.task, found, chosen, origin)
    }
  }
  return entries
}

function initialStatus(result: TaskResult): MergeEntry['status'] {
  switch (result.status) {
    case 'ok':
      return result.patch === null ? 'no-changes' : 'pending'
    case 'no-changes':
      return 'no-changes'
    case 'fail':
      return 'fail'
    case 'timeout':
      return 'timeout'
  }
}

/** What applying one pending task's patch gave. */
export type ApplyOutcome =
  | { status: 'applied'; commit: string }
  /** The patch applied but changed nothing on top of the tasks before it. */
  | { status: 'no-changes'; reason: string }
  | { status: 'conflict'; reason: string }
  /** Refused before it was applied: workflow files, a secret, an unsafe path. */
  | { status: 'fail'; reason: string }

/** A row of the final results table. */
export interface CollectedTask extends Omit<MergeEntry, 'status'> {
  status: CollectStatus
  /** The task's commit on the branch, when applied. */
  commit?: string
}

/** The final table: each pending task takes its outcome (none at all counts as a failure). */
export function settleMerge(
  entries: MergeEntry[],
  outcomes: ReadonlyMap<number, ApplyOutcome>
): CollectedTask[] {
  return entries.map(entry => {
    if (entry.status !== 'pending') return { ...entry, status: entry.status }
    const outcome = outcomes.get(entry.index)
    if (outcome === undefined) {
      return { ...entry, status: 'fail', reason: 'its patch was never applied' }
    }
    if (outcome.status === 'applied') {
      return { ...entry, status: 'applied', commit: outcome.commit }
    }
    const reason = entry.reason ? `${entry.reason}; ${outcome.reason}` : outcome.reason
    return { ...entry, status: outcome.status, reason }
  })
}

export interface MergeTotals {
  tasks: number
  byStatus: Record<CollectStatus, number>
  costUsd: number
  numTurns: number
}

export function mergeTotals(tasks: CollectedTask[]): MergeTotals {
  const byStatus = Object.fromEntries(COLLECT_STATUSES.map(s => [s, 0])) as MergeTotals['byStatus']
  let costUsd = 0
  let numTurns = 0
  for (const task of tasks) {
    byStatus[task.status]++
    // A duplicate ran too, and was paid for.
    costUsd += task.result?.cost_usd ?? 0
    numTurns += task.result?.num_turns ?? 0
  }
  // Tasks are counted once: a duplicate is a second result, not a second task.
  return { tasks: tasks.length - byStatus.duplicate, byStatus, costUsd, numTurns }
}

/** `**14 tasks** · 9 applied · 1 conflict · … · $0.4200 · 57 turns`; statuses with 0 left out. */
export function renderTotals(totals: MergeTotals): string {
  const counts = COLLECT_STATUSES.filter(s => totals.byStatus[s] > 0).map(
    s => `${totals.byStatus[s]} ${s}`
  )
  return [
    `**${totals.tasks} task${totals.tasks === 1 ? '' : 's'}**`,
    ...counts,
    `$${totals.costUsd.toFixed(4)}`,
    `${totals.numTurns} turn${totals.numTurns === 1 ? '' : 's'}`
  ].join(' · ')
}

/** The tasks to run again, in table order, each once. */
export function retryTasks(tasks: CollectedTask[]): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const task of tasks) {
    if (!RETRY_STATUSES.includes(task.status) || seen.has(task.task)) continue
    seen.add(task.task)
    out.push(task.task)
  }
  return out
}

/** One entry of collect's results file: results.json's fields, collect's status and where from. */
export interface CollectedResult {
  task: string
  status: CollectStatus
  shard: string | null
  origin: 'planned' | 'unplanned'
  summary: string
  cost_usd: number
  num_turns: number
  duration_ms: number
  error: string | null
  patch: string | null
  /** Why collect gave this status (missing, conflict, refused, duplicate), or null. */
  reason: string | null
  commit: string | null
}

/** Collect's results file (`results-file`): a JSON array in table order, for `jq` and retries. */
export function collectedResults(tasks: CollectedTask[]): CollectedResult[] {
  return tasks.map(t => ({
    task: t.task,
    status: t.status,
    shard: t.shard ?? null,
    origin: t.origin,
    summary: t.result?.summary ?? '',
    cost_usd: t.result?.cost_usd ?? 0,
    num_turns: t.result?.num_turns ?? 0,
    duration_ms: t.result?.duration_ms ?? 0,
    error: t.result?.error ?? null,
    patch: t.result?.patch ?? null,
    reason: t.reason ?? null,
    commit: t.commit ?? null
  }))
}

// --- Commit messages ---------------------------------------------------------------------------

const MAX_SUBJECT_CHARS = 72

/**
 * A task's commit message (the Tandem-Write trailer is added by the caller): the task and the
 * shard's one-line summary as the subject (cut to 72 characters, the rest below it), or
 * `commit-message` with `{task}` replaced. One commit per task, so a task can be reverted alone.
 */
export function taskCommitMessage(task: CollectedTaskInput, template?: string): string {
  const summary = oneLine(task.summary)
  const name = oneLine(task.task)
  if (template !== undefined && template.trim() !== '') {
    const subject = template.includes('{task}')
      ? template.replaceAll('{task}', name)
      : `${template.trim()}: ${name}`
    return summary ? `${subject.trimEnd()}\n\n${summary}` : subject.trimEnd()
  }
  const full = summary ? `${name}: ${summary}` : name
  if ([...full].length <= MAX_SUBJECT_CHARS) return full
  // The subject is cut; the body keeps the whole line, so `git log` still shows it all.
  return `${cut(full, MAX_SUBJECT_CHARS)}\n\n${full}`
}

export interface CollectedTaskInput {
  task: string
  summary: string
}

// --- Rendering ---------------------------------------------------------------------------------

/** The marker that ends collect's pull request body: the branch it was collected onto. */
export function collectMarker(branch: string): string {
  return `<!-- tandem:collect branch=${branch.replace(/-->/g, '')} -->`
}

export function cut(text: string, maxChars: number): string {
  const chars = [...text]
  return chars.length <= maxChars ? text : `${chars.slice(0, maxChars - 1).join('')}…`
}
