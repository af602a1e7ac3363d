/**
 * The vocabulary of fan-out that crosses jobs (CONTRACT.md, "Fan-out"): the matrix the plan
 * hands `strategy.matrix`, the artifact each shard uploads, and its `results.json`.
 */

/** `{"include":[{"shard":1,"tasks":["src/a.js",…]},…]}`, shard ids counting from 1. */
export interface PlannedMatrix {
  include: { shard: number; tasks: string[] }[]
}

export const TASK_STATUSES = ['ok', 'no-changes', 'fail', 'timeout'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

/** One entry of results.json, in task order; field names as CONTRACT.md fixes them. */
export interface TaskResult {
  task: string
  status: TaskStatus
  summary: string
  cost_usd: number
  num_turns: number
  duration_ms: number
  error: string | null
  /** The patch's file name in the artifact, or null when the task changed nothing. */
  patch: string | null
}

export const RESULTS_FILE = 'results.json'

/**
 * The first task that cannot be one: a task names a file or a line of work, and goes into
 * prompts, logs, commit subjects and tables, where a control character (a newline in a
 * committed file's name) would start a line of its own.
 */
export function unfitTask(tasks: readonly string[]): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  return tasks.find(task => task.trim() === '' || /[\u0000-\u001f\u007f]/.test(task))
}
export const ARTIFACT_PREFIX = 'tandem-shard-'

export function shardArtifactName(shardId: string): string {
  return `${ARTIFACT_PREFIX}${shardId}`
}

/** A patch's file name: the task's position (sortable), then a readable form of the task. */
export function patchFileName(index: number, task: string): string {
  const readable = task
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 60)
  return `${String(index + 1).padStart(4, '0')}-${readable || 'task'}.patch`
}

/** The matrix JSON, checked for the shape plan writes; undefined when it is not that. */
export function readMatrix(json: string): PlannedMatrix | undefined {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const include = (value as { include?: unknown }).include
  if (!Array.isArray(include)) return undefined
  const shards: PlannedMatrix['include'] = []
  for (const entry of include as unknown[]) {
    if (typeof entry !== 'object' || entry === null) return undefined
    const { shard, tasks } = entry as { shard?: unknown; tasks?: unknown }
    if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 1) return undefined
    if (!Array.isArray(tasks) || !tasks.every(task => typeof task === 'string')) return undefined
    shards.push({ shard, tasks: tasks as string[] })
  }
  return { include: shards }
}

/**
 * results.json as a shard wrote it, checked entry by entry: a shard artifact is data from
 * another job (whose agent code could have written into its workspace), never trusted blindly.
 */
export function readResults(json: string): TaskResult[] {
  const value: unknown = JSON.parse(json)
  if (!Array.isArray(value)) throw new Error(`${RESULTS_FILE} is not a JSON array`)
  return value.map((entry: unknown, i) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>
    const status = e.status
    if (typeof e.task !== 'string' || !TASK_STATUSES.includes(status as TaskStatus)) {
      throw new Error(`${RESULTS_FILE} entry ${i + 1} has no task or an unknown status`)
    }
    const patch = e.patch
    if (patch !== null && (typeof patch !== 'string' || !/^[A-Za-z0-9._-]+\.patch$/.test(patch))) {
      throw new Error(`${RESULTS_FILE} entry ${i + 1} names a patch outside the artifact`)
    }
    return {
      task: e.task,
      status: status as TaskStatus,
      summary: typeof e.summary === 'string' ? e.summary : '',
      cost_usd: finite(e.cost_usd),
      num_turns: finite(e.num_turns),
      duration_ms: finite(e.duration_ms),
      error: typeof e.error === 'string' ? e.error : null,
      patch: patch as string | null
    }
  })
}

function finite(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0
}
