/**
 * Collect's decisions, as pure functions: which result stands for which task and in what order
 * (the merge plan), what became of each task once the patches were applied, the totals, and the
 * markdown of the results table for the pull request body and the job summary.
 *
 * Everything a shard uploaded is data from another job (whose agent code could have written into
 * its workspace): task names, summaries and errors are rendered inert, and nothing in them is
 * ever read back as one of Tandem's markers.
 */
import { fenced, inertMarkdown, inlineCode, neutralizeMarkers } from '../markdown.js'
import type { PlannedMatrix, TaskResult } from './results.js'

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

const STATUS_LABEL: Record<CollectStatus, string> = {
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

/** Characters of a summary shown in one cell. */
const PR_SUMMARY_CHARS = 160
/** In the compact table: what needs attention is many rows, and the reason comes first. */
const COMPACT_SUMMARY_CHARS = 100
const JOB_SUMMARY_CHARS = 400

/** GitHub refuses a job summary above 1 MiB; the table leaves room for the rest of it. */
export const JOB_SUMMARY_TABLE_BYTES = 800 * 1024

const TABLE_HEAD = [
  '| # | Task | Status | Summary | Cost | Turns |',
  '|---:|---|---|---|---:|---:|'
]

function taskCell(task: string): string {
  return cell(inlineCode(neutralizeMarkers(oneLine(task))))
}

function summaryCell(task: CollectedTask, maxChars: number): string {
  // What the status needs said comes first; then what the session itself reported.
  const parts: string[] = []
  if (task.reason) parts.push(task.reason)
  const result = task.result
  if (result) {
    if (result.status === 'fail' || result.status === 'timeout') {
      if (result.error) parts.push(result.error)
    }
    if (result.summary) parts.push(result.summary)
  }
  const text = cut(oneLine(parts.join(' — ')), maxChars)
  return cell(inertMarkdown(text)) || '—'
}

function row(task: CollectedTask, summaryChars: number): string {
  const cost = task.result ? `$${task.result.cost_usd.toFixed(4)}` : '—'
  const turns = task.result ? String(task.result.num_turns) : '—'
  return `| ${task.index + 1} | ${taskCell(task.task)} | ${STATUS_LABEL[task.status]} | ${summaryCell(task, summaryChars)} | ${cost} | ${turns} |`
}

interface Budget {
  left: number
  measure: (text: string) => number
}

const codePoints = (text: string): number => {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xdc00 || c > 0xdfff) n++
  }
  return n
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8')

/** As many rows as fit in the budget (each with its newline), and how many did not. */
function fitRows(
  rows: string[],
  budget: Budget,
  reserve: number
): { kept: string[]; left: number } {
  const kept: string[] = []
  for (const line of rows) {
    const size = budget.measure(line) + 1
    if (size + reserve > budget.left) break
    budget.left -= size
    kept.push(line)
  }
  return { kept, left: rows.length - kept.length }
}

function table(tasks: CollectedTask[], budget: Budget, summaryChars: number, more: string): string {
  const head = TABLE_HEAD.join('\n')
  budget.left -= budget.measure(head) + 1
  const { kept, left } = fitRows(
    tasks.map(t => row(t, summaryChars)),
    budget,
    budget.measure(more) + 40
  )
  const lines = [head, ...kept]
  if (left > 0) {
    const note = `\n_… and ${left} more row${left === 1 ? '' : 's'}: ${more}_`
    budget.left -= budget.measure(note)
    lines.push(note)
  }
  return lines.join('\n')
}

/** Tasks that need attention first (most urgent status first), each group in table order. */
export function attentionFirst(tasks: CollectedTask[]): CollectedTask[] {
  const rank = (t: CollectedTask): number => {
    const i = ATTENTION_STATUSES.indexOf(t.status)
    return i < 0 ? ATTENTION_STATUSES.length : i
  }
  return [...tasks].sort((a, b) => rank(a) - rank(b) || a.index - b.index)
}

export interface CollectBodyInput {
  branch: string
  /** `pr-body`: the workflow author's text, placed first. */
  userBody?: string
  tasks: CollectedTask[]
  /** The verify section (renderVerify's markdown), '' when no command ran. */
  verify: string
  /** How many shard artifacts were read. */
  shardCount: number
  /** The artifact the conflicting patches were uploaded as, when there are any. */
  conflictsArtifact?: string
  /** Characters the body may take; default GitHub's 65,536 less a margin. */
  maxChars?: number
}

/** Room left for the fixed parts GitHub and later edits may add (`\r\n`, a truncation note). */
const BODY_MARGIN = 1500

/**
 * Collect's pull request body: what it is, the totals, the results table, the verify result, and
 * the marker. Everything in it is stable for the same artifacts (no times, no run ids), so a
 * re-run renders an identical body and GitHub is left alone. The full table is used when it
 * fits GitHub's limit; else a compact one: the tasks that need attention first (as many rows as
 * fit), then the applied tasks by name, with the counts — the job summary has the full table.
 */
export function renderCollectBody(input: CollectBodyInput): string {
  const totals = mergeTotals(input.tasks)
  const applied = totals.byStatus.applied
  const intro = input.userBody?.trim()
    ? input.userBody.trim()
    : `Tandem applied ${applied} of ${totals.tasks} fan-out task${totals.tasks === 1 ? '' : 's'} ` +
      `from ${input.shardCount} shard${input.shardCount === 1 ? '' : 's'}, one commit per task ` +
      '(each can be reverted alone).'
  const head = [intro, '### Results', renderTotals(totals)]
  const notes: string[] = []
  if (totals.byStatus.conflict > 0) {
    notes.push(
      `> [!WARNING]\n> ${plural(totals.byStatus.conflict, 'task')} did not apply on top of the ` +
        'tasks before ' +
        (totals.byStatus.conflict === 1 ? 'it' : 'them') +
        (input.conflictsArtifact
          ? `; ${totals.byStatus.conflict === 1 ? 'its patch is' : 'their patches are'} in the ` +
            `${inlineCode(input.conflictsArtifact)} artifact of this run.`
          : '.')
    )
  }
  if (totals.byStatus.missing > 0) {
    notes.push(
      `> [!WARNING]\n> ${totals.byStatus.missing} planned task${totals.byStatus.missing === 1 ? '' : 's'} ` +
        'had no result: the shard uploaded nothing for them.'
    )
  }
  const tail: string[] = []
  if (input.verify) tail.push('### Verify', input.verify)
  const footer = (compact: boolean) =>
    `<sub>Collected by Tandem from the fan-out's shard artifacts onto branch ${inlineCode(input.branch)}; ` +
    'a re-run of collect with the same artifacts changes nothing.' +
    (compact ? ' The full table is in the job summary.' : '') +
    '</sub>'
  tail.push('---', footer(true), collectMarker(input.branch))
  const fixed = [...head, ...notes, ...tail].join('\n\n')
  const budget: Budget = {
    left: (input.maxChars ?? 65536) - BODY_MARGIN - codePoints(fixed) - 8 * 4,
    measure: codePoints
  }
  const results = renderBodyTables(input.tasks, budget)
  tail[tail.length - 2] = footer(results.compact)
  return [...head, ...notes, results.text, ...tail].join('\n\n') + '\n'
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

function renderBodyTables(
  tasks: CollectedTask[],
  budget: Budget
): { text: string; compact: boolean } {
  const fullRows = tasks.map(t => row(t, PR_SUMMARY_CHARS))
  const full = [...TABLE_HEAD, ...fullRows].join('\n')
  if (codePoints(full) <= budget.left) return { text: full, compact: false }

  const parts: string[] = []
  const attention = attentionFirst(tasks).filter(t => ATTENTION_STATUSES.includes(t.status))
  if (attention.length > 0) {
    const title = `#### Needs attention (${attention.length})`
    budget.left -= codePoints(title) + 2
    // The tasks by name need room too: at most 80% of what is left goes to these rows.
    const share: Budget = { left: Math.floor(budget.left * 0.8), measure: codePoints }
    const before = share.left
    const rendered = table(attention, share, COMPACT_SUMMARY_CHARS, 'see the job summary')
    budget.left -= before - share.left + 2
    parts.push(title, rendered)
  }
  for (const status of ['applied', 'no-changes'] as const) {
    const group = tasks.filter(t => t.status === status)
    if (group.length === 0) continue
    const title = `<details><summary>${status === 'applied' ? 'Applied' : 'No changes'} (${group.length})</summary>`
    budget.left -= codePoints(title) + 20
    const names = group.map(t => inlineCode(neutralizeMarkers(oneLine(t.task))))
    const { kept, left } = fitRows(names, budget, 60)
    const list = kept.join(', ') + (left > 0 ? `, … and ${left} more` : '')
    budget.left -= 20
    parts.push(`${title}\n\n${list}\n\n</details>`)
  }
  return { text: parts.join('\n\n'), compact: true }
}

export interface CollectSummaryInput {
  branch: string
  base: string
  tasks: CollectedTask[]
  shardCount: number
  commitSha?: string
  pushed: boolean
  pr?: { number: number; url: string; operation: string }
  /** The verify section, '' when no command ran. */
  verify: string
  verifyStatus: string
  /** Why nothing was published, when the run stopped before that. */
  stopped?: string
  /** The conflicts artifact and its files (task → file in the artifact), or why it is absent. */
  conflicts?: { artifact?: string; files: { task: string; file: string }[]; error?: string }
  /** The results file's path on the runner. */
  resultsFile?: string
  maxBytes?: number
}

/** The job summary: the facts, the full results table (capped at 800 KiB), conflicts, retries. */
export function renderCollectSummary(input: CollectSummaryInput): string {
  const totals = mergeTotals(input.tasks)
  const facts: [string, string][] = []
  if (input.stopped) facts.push(['Result', input.stopped])
  facts.push(['Branch', `${inlineCode(input.branch)} → ${inlineCode(input.base)}`])
  facts.push([
    'Commit',
    input.commitSha
      ? `${inlineCode(input.commitSha.slice(0, 12))} ${input.pushed ? '(pushed)' : '(the branch already had this tree: not pushed)'}`
      : '—'
  ])
  facts.push(['Shards read', String(input.shardCount)])
  if (input.pr) {
    facts.push(['Pull request', `[#${input.pr.number}](${input.pr.url}) (${input.pr.operation})`])
  }
  facts.push(['Verify', input.verifyStatus === 'none' ? 'not run' : input.verifyStatus])
  const lines = ['### Tandem · collect', '', '| | |', '|---|---|']
  for (const [name, value] of facts) lines.push(`| ${name} | ${value.replace(/\|/g, '\\|')} |`)
  lines.push('', renderTotals(totals))
  if (input.verify) lines.push('', input.verify)

  const budget: Budget = { left: input.maxBytes ?? JOB_SUMMARY_TABLE_BYTES, measure: utf8Bytes }
  const more = input.resultsFile
    ? `every task is in the results file (${inlineCode(input.resultsFile)})`
    : 'the results file has every task'
  lines.push('', table(input.tasks, budget, JOB_SUMMARY_CHARS, more))

  const conflicts = input.conflicts
  if (conflicts && (conflicts.files.length > 0 || conflicts.error)) {
    lines.push('', '#### Conflicting patches', '')
    if (conflicts.artifact) {
      lines.push(`Kept in the ${inlineCode(conflicts.artifact)} artifact of this run:`, '')
    }
    if (conflicts.error)
      lines.push(
        `The patches could not be uploaded: ${cell(inertMarkdown(oneLine(conflicts.error)))}`,
        ''
      )
    const items = conflicts.files.map(
      f => `- ${taskCell(f.task)} → ${inlineCode(neutralizeMarkers(f.file))}`
    )
    const { kept, left } = fitRows(items, budget, 80)
    lines.push(...kept)
    if (left > 0) lines.push(`- … and ${left} more`)
  }

  const retry = retryTasks(input.tasks)
  if (retry.length > 0) {
    lines.push(
      '',
      `#### Tasks to run again (${retry.length})`,
      '',
      "Failed, timed out, missing or conflicting, one a line: give them to plan's `tasks` input " +
        '(see "Retry" in the README).',
      ''
    )
    const { kept, left } = fitRows(
      retry.map(t => neutralizeMarkers(oneLine(t))),
      budget,
      80
    )
    const block = kept.join('\n')
    lines.push(
      fenced(block, 'text'),
      ...(left > 0 ? [`_… and ${left} more in the results file_`] : [])
    )
  }
  return lines.join('\n') + '\n'
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|')
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

function cut(text: string, maxChars: number): string {
  const chars = [...text]
  return chars.length <= maxChars ? text : `${chars.slice(0, maxChars - 1).join('')}…`
}
