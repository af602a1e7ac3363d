import { inlineCode, neutralizeMarkers, tableCell } from '../markdown.js'
import { readMatrix, type PlannedMatrix } from './results.js'

export interface PlanOptions {
  shardSize: number
  /** GitHub runs at most 256 jobs of one matrix. */
  maxShards: number
  /** Only the first N tasks; 0 = all. */
  canary: number
}

export interface Plan {
  matrix: PlannedMatrix
  /** The shard size used: the one asked for, or larger when max-shards made it grow. */
  shardSize: number
  /** How many of the given tasks the canary left out (0 without one). */
  canaried: number
}

/**
 * The tasks cut into shards, in the given order, shard ids counting from 1. Past `maxShards`
 * the shard size grows rather than the count: a matrix of more jobs is refused by GitHub, while
 * a bigger shard only takes longer.
 */
export function planShards(tasks: string[], options: PlanOptions): Plan {
  for (const name of ['shardSize', 'maxShards'] as const) {
    if (!Number.isInteger(options[name]) || options[name] < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${options[name]}`)
    }
  }
  const kept = options.canary > 0 ? tasks.slice(0, options.canary) : tasks
  const shardSize = Math.max(options.shardSize, Math.ceil(kept.length / options.maxShards))
  const include: PlannedMatrix['include'] = []
  for (let start = 0; start < kept.length; start += shardSize) {
    include.push({ shard: include.length + 1, tasks: kept.slice(start, start + shardSize) })
  }
  return { matrix: { include }, shardSize, canaried: tasks.length - kept.length }
}

/** How many tasks the matrix holds, over all shards. */
export function plannedTaskCount(matrix: PlannedMatrix): number {
  return matrix.include.reduce((sum, shard) => sum + shard.tasks.length, 0)
}

/**
 * GitHub caps one output at "1 MB". Read as 1,000,000 bytes of UTF-8, the stricter of the two
 * readings: a matrix under it fits either way, and one over it would be cut off (or fail the job)
 * only after the plan had looked fine.
 */
export const MATRIX_OUTPUT_LIMIT_BYTES = 1_000_000

/** Why the matrix JSON cannot be a job output, or undefined when it can. */
export function matrixOutputProblem(json: string): string | undefined {
  const bytes = Buffer.byteLength(json, 'utf8')
  if (bytes <= MATRIX_OUTPUT_LIMIT_BYTES) return undefined
  const matrix = readMatrix(json)
  const tasks = matrix ? plannedTaskCount(matrix) : 0
  // The task strings are nearly all of the bytes, so the share that fits is about the share of
  // bytes; 5% off leaves room for the estimate's error.
  const fit = Math.floor(((tasks * MATRIX_OUTPUT_LIMIT_BYTES) / bytes) * 0.95)
  return [
    `The matrix output would be ${(bytes / 1_000_000).toFixed(1)} MB (${bytes.toLocaleString('en-US')} bytes of JSON for ${tasks.toLocaleString('en-US')} tasks),`,
    `over GitHub's 1 MB limit for a job output (${MATRIX_OUTPUT_LIMIT_BYTES.toLocaleString('en-US')} bytes).`,
    'Bigger shards do not make it smaller: the task strings themselves are the payload.',
    `Plan fewer tasks per run ('canary: ${fit}' would fit, or narrower 'files' globs, or fewer 'tasks' lines),`,
    "or shorter ones: a 'task-command' that prints short ids (a number, a directory) for the shard's prompt to expand."
  ].join(' ')
}

export interface PlanSummaryInput {
  plan: Plan
  /** The input the tasks came from: `tasks`, `files` or `task-command`. */
  source: string
  /** The shard size asked for (`shard-size`). */
  shardSize: number
  maxShards: number
  /** Why the plan cannot be used, when it cannot. */
  problem?: string
}

/** Shards listed in the open; more than this go in a collapsed block. */
const OPEN_ROWS = 20
/** A task longer than this is cut in the table (the matrix keeps it whole). */
const CELL_CHARS = 80

/** The job summary: totals, then one row per shard with its first and last task. */
export function renderPlanSummary(input: PlanSummaryInput): string {
  const { plan } = input
  const shards = plan.matrix.include
  const taskCount = plannedTaskCount(plan.matrix)
  const lines = ['### Tandem · plan', '']
  lines.push(
    `**${count(taskCount, 'task')} in ${count(shards.length, 'shard')}** from ${inlineCode(input.source)}` +
      (shards.length > 0 ? `, up to ${plan.shardSize} per shard` : '') +
      '.'
  )
  if (plan.shardSize > input.shardSize && shards.length > 0) {
    lines.push(
      '',
      `The shard size grew from ${input.shardSize} to ${plan.shardSize}: at ${input.shardSize} per shard the plan would need more than ${input.maxShards} shards (\`max-shards\`).`
    )
  }
  if (plan.canaried > 0) {
    lines.push(
      '',
      `**Canary:** the first ${count(taskCount, 'task')} of ${(taskCount + plan.canaried).toLocaleString('en-US')}; ${plan.canaried.toLocaleString('en-US')} left for the full run.`
    )
  }
  if (input.problem) lines.push('', `**Not usable:** ${input.problem}`)
  if (taskCount === 0) {
    lines.push(
      '',
      'The matrix is empty (`{"include":[]}`). GitHub fails a matrix job that has no values, so guard the shard job with `if: needs.plan.outputs.task-count != \'0\'`.'
    )
    return lines.join('\n') + '\n'
  }
  const table = ['| Shard | Tasks | First task | Last task |', '|---:|---:|---|---|']
  for (const shard of shards) {
    const first = shard.tasks[0]!
    const last = shard.tasks[shard.tasks.length - 1]!
    table.push(
      `| ${shard.shard} | ${shard.tasks.length} | ${taskCell(first)} | ${shard.tasks.length > 1 ? taskCell(last) : ''} |`
    )
  }
  if (shards.length <= OPEN_ROWS) {
    lines.push('', ...table)
  } else {
    lines.push(
      '',
      `<details><summary>The ${shards.length} shards</summary>`,
      '',
      ...table,
      '',
      '</details>'
    )
  }
  return lines.join('\n') + '\n'
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`
}

// Task strings come from file names and command output: shown as code, so nothing in them
// renders, pings or reads as a Tandem marker, and with `|` escaped so they stay in their cell.
function taskCell(task: string): string {
  const shown = task.length > CELL_CHARS ? `${task.slice(0, CELL_CHARS - 1)}…` : task
  return tableCell(inlineCode(neutralizeMarkers(shown)))
}
