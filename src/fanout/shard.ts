/**
 * One shard's decisions, as pure functions: the writer's prompt and its status schema, what a
 * finished task's patch may not hold, how a task's session and change become its entry in
 * results.json, and the job summary.
 */
import type { SessionConclusion } from '../agent/report.js'
import { formatDuration } from '../agent/summary.js'
import { inertMarkdown, inlineCode } from '../markdown.js'
import { patchFileName, type TaskResult, type TaskStatus } from './results.js'

/** The branches of shard `id`'s worktrees are `tandem/shard-<id>/<n>`, n from 1 in task order. */
export function shardBranchPrefix(shardId: string): string {
  return `tandem/shard-${shardId}/`
}

/** What the writer of one task answers: the "return OK or FAIL", with one line. */
export interface ShardReport {
  status: 'ok' | 'fail'
  summary: string
}

/** The shard writer's `--json-schema`. Descriptions are part of what the model reads. */
export const SHARD_REPORT_SCHEMA = {
  type: 'object',
  required: ['status', 'summary'],
  properties: {
    status: {
      enum: ['ok', 'fail'],
      description:
        '"ok" when the task is done (or needed no change), "fail" when you could not do it.'
    },
    summary: {
      type: 'string',
      description: 'One line: what you changed, or why the task failed.'
    }
  }
}

/** The placeholder in `prompt` that each task replaces. */
export const TASK_PLACEHOLDER = '{task}'

/**
 * The writer's prompt for one task: the template with every `{task}` replaced (literally: a
 * task holding `$&` stays as it is), then how the session must end.
 */
export function buildShardPrompt(
  template: string,
  task: string,
  options: { allowWorkflowChanges: boolean }
): string {
  const lines = [template.split(TASK_PLACEHOLDER).join(task).trim(), '']
  if (!options.allowWorkflowChanges) {
    lines.push(
      'Do not change anything under .github/workflows or .github/actions: such changes are refused.'
    )
  }
  lines.push(
    'When you have finished editing — and only then — call the StructuredOutput tool once with ' +
      '`status` ("ok": done, or no change was needed; "fail": you could not do it) and `summary` ' +
      '(one line). It ends the session at once: edits you have not made by then are lost.'
  )
  return lines.join('\n')
}

/** The report from the session's structured output, or undefined when there is none. */
export function parseShardReport(value: unknown): ShardReport | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { status, summary } = value as Record<string, unknown>
  if (status !== 'ok' && status !== 'fail') return undefined
  return { status, summary: typeof summary === 'string' ? firstLine(summary) : '' }
}

const MAX_SUMMARY_CHARS = 300

/** The first non-empty line, white space folded, cut to a table cell's length. */
export function firstLine(text: string): string {
  const line = (text.split(/\r?\n/).find(l => l.trim() !== '') ?? '').replace(/\s+/g, ' ').trim()
  return [...line].length <= MAX_SUMMARY_CHARS
    ? line
    : `${[...line].slice(0, MAX_SUMMARY_CHARS - 1).join('')}…`
}

/**
 * Paths the patch adds as gitlinks (mode 160000): a nested repository the writer made in its
 * worktree. The patch holds only a commit id that exists nowhere else, so collect could not
 * apply it into anything but a dangling submodule.
 */
export function addedGitlinks(patch: string): string[] {
  const found: string[] = []
  let current: string | undefined
  for (const line of patch.split('\n')) {
    const header = /^diff --git a\/.* b\/(.*)$/.exec(line)
    if (header) current = header[1]
    else if (current !== undefined && /^(new file mode|new mode) 160000$/.test(line)) {
      found.push(current)
    }
  }
  return found
}

export interface ChangeChecks {
  /** Workflow files and local actions the change touches (both sides of a rename). */
  workflows: string[]
  allowWorkflowChanges: boolean
  /** Changed files holding a credential of the run; `(the patch)` for a name or link target. */
  leaking: string[]
  gitlinks: string[]
}

/** Why a task's change is refused (write mode's checks, per task), or undefined. */
export function refusalOf(checks: ChangeChecks): string | undefined {
  if (checks.workflows.length > 0 && !checks.allowWorkflowChanges) {
    return (
      `the change touches workflow files (${checks.workflows.join(', ')}), which ` +
      'allow-workflow-changes does not allow'
    )
  }
  if (checks.leaking.length > 0) {
    return `the change would publish a credential of this run (in ${checks.leaking.join(', ')})`
  }
  if (checks.gitlinks.length > 0) {
    return (
      `the change adds a nested git repository (${checks.gitlinks.join(', ')}), which a patch ` +
      'cannot carry'
    )
  }
  return undefined
}

/** What the shard knows about one task once it is over. */
export interface TaskRun {
  task: string
  /** The task's position in the shard (0-based): it names the patch. */
  index: number
  /** The writer session; undefined when it never started (no worktree). */
  session?: {
    conclusion: SessionConclusion
    costUsd: number
    numTurns: number
    /** The session's last text: the summary when it gave no report. */
    result?: string
  }
  report?: ShardReport
  /** Why the task could not finish: the session's failure, or what threw. */
  failure?: string
  /** Whether the worktree held a change (patch not empty). */
  changed: boolean
  refusal?: string
  /** Wall time of the whole task: worktree, session, patch and checks. */
  durationMs: number
}

/**
 * The task's results.json entry. Only an `ok` task has a patch: a failed, refused or timed-out
 * task's change is dropped (a refused one must never be uploaded). A session that succeeded
 * without a report is judged by whether it changed anything. Text from the model and from
 * errors goes through `redact`.
 */
export function taskResult(run: TaskRun, redact: (text: string) => string): TaskResult {
  const status = taskStatus(run)
  const reason =
    run.failure ??
    (run.report?.status === 'fail'
      ? 'the writer reported that it could not do the task'
      : undefined) ??
    (status === 'fail' ? run.refusal : undefined) ??
    (status === 'fail' || status === 'timeout'
      ? `the writer session ended with '${run.session?.conclusion ?? 'no session'}'`
      : undefined)
  const summary = run.report?.summary || firstLine(run.session?.result ?? '')
  return {
    task: run.task,
    status,
    summary: redact(summary),
    cost_usd: run.session?.costUsd ?? 0,
    num_turns: run.session?.numTurns ?? 0,
    duration_ms: Math.max(0, Math.round(run.durationMs)),
    error: reason === undefined ? null : redact(reason),
    patch: status === 'ok' ? patchFileName(run.index, run.task) : null
  }
}

function taskStatus(run: TaskRun): TaskStatus {
  if (run.session?.conclusion === 'timeout') return 'timeout'
  if (run.failure !== undefined || run.session?.conclusion !== 'success') return 'fail'
  if (run.report?.status === 'fail') return 'fail'
  if (!run.changed) return 'no-changes'
  return run.refusal === undefined ? 'ok' : 'fail'
}

export interface ShardTotals {
  tasks: number
  ok: number
  noChanges: number
  failed: number
  timedOut: number
  costUsd: number
  numTurns: number
}

export function shardTotals(results: readonly TaskResult[]): ShardTotals {
  const count = (status: TaskStatus): number => results.filter(r => r.status === status).length
  return {
    tasks: results.length,
    ok: count('ok'),
    noChanges: count('no-changes'),
    failed: count('fail'),
    timedOut: count('timeout'),
    // Summed in micro-dollars: float sums of many small costs drift in the last digits.
    costUsd: results.reduce((sum, r) => sum + Math.round(r.cost_usd * 1e6), 0) / 1e6,
    numTurns: results.reduce((sum, r) => sum + r.num_turns, 0)
  }
}

/**
 * The step's outputs: the shard's own, and the session outputs that still mean something for
 * many sessions (costs and turns summed, the shard's wall time; `success`: the shard ran).
 */
export function shardOutputs(
  results: readonly TaskResult[],
  resultsFile: string,
  durationMs: number
): Record<string, string> {
  const totals = shardTotals(results)
  return {
    'ok-count': String(totals.ok),
    'fail-count': String(totals.failed + totals.timedOut),
    'results-file': resultsFile,
    conclusion: 'success',
    'cost-usd': String(totals.costUsd),
    'num-turns': String(totals.numTurns),
    'duration-ms': String(Math.round(durationMs))
  }
}

const STATUS_ICON: Record<TaskStatus, string> = {
  ok: '✅',
  'no-changes': '➖',
  fail: '❌',
  timeout: '⏱️'
}

const MAX_ROWS = 500

/** The job summary: totals, then one row per task in task order. */
export function renderShardSummary(
  shardId: string,
  results: readonly TaskResult[],
  durationMs: number
): string {
  const totals = shardTotals(results)
  const lines = [`### Tandem · shard ${inlineCode(shardId)}`, '']
  lines.push(
    `**${totals.ok} ok, ${totals.noChanges} without changes, ${totals.failed} failed, ` +
      `${totals.timedOut} timed out** of ${totals.tasks} task${totals.tasks === 1 ? '' : 's'} · ` +
      `$${totals.costUsd.toFixed(4)} · ${totals.numTurns} turns · ${formatDuration(durationMs)}`
  )
  if (results.length === 0) return lines.join('\n') + '\n'
  lines.push('', '| # | Task | Status | Summary | Cost | Turns | Duration |')
  lines.push('|---:|---|---|---|---:|---:|---:|')
  results.slice(0, MAX_ROWS).forEach((r, i) => {
    // The summary is the model's words and the error may quote them: posted inert.
    const said = [r.summary, r.error ?? ''].filter(Boolean).join(' — ')
    lines.push(
      `| ${i + 1} | ${cell(inlineCode(r.task))} | ${STATUS_ICON[r.status]} ${r.status} | ` +
        `${cell(inertMarkdown(said)) || '—'} | $${r.cost_usd.toFixed(4)} | ${r.num_turns} | ` +
        `${formatDuration(r.duration_ms)} |`
    )
  })
  if (results.length > MAX_ROWS) {
    lines.push('', `… and ${results.length - MAX_ROWS} more tasks: see results.json.`)
  }
  return lines.join('\n') + '\n'
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|')
}
