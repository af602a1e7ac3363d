// The markdown of collect's results: the table in the pull request body and in the job summary.
import { fenced, inertMarkdown, inlineCode, neutralizeMarkers, oneLine } from '../markdown.js'
import {
  ATTENTION_STATUSES,
  type CollectedTask,
  collectMarker,
  cut,
  mergeTotals,
  renderTotals,
  retryTasks,
  STATUS_LABEL
} from './merge.js'

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
