// The inputs of plan, shard and collect: the plan's source, the task template, the shard's tasks
// and id, the matrix.
import { readMatrix, unfitTask, type PlannedMatrix } from '../fanout/results.js'
import { TASK_PLACEHOLDER } from '../fanout/shard.js'
import type { Mode } from '../inputs.js'
import { InputError, type InputReader, invalid, optionalString, quoteValue } from './values.js'

/**
 * In shard mode the prompt is a template: each task's writer gets it with `{task}` replaced.
 * Without the placeholder every writer would get the same prompt and none would know its task.
 */
export function checkTaskTemplate(
  prompt: string | undefined,
  promptFile: string | undefined,
  read: InputReader
): void {
  if (prompt === undefined || prompt.includes(TASK_PLACEHOLDER)) return
  const replaced = `which each task of the shard replaces (e.g. "Migrate ${TASK_PLACEHOLDER} to ESM")`
  const [name, value, expected] =
    promptFile !== undefined
      ? [
          'prompt-file',
          read('prompt-file').trim(),
          `a file holding a template with ${TASK_PLACEHOLDER}, ${replaced}; ${promptFile} has none`
        ]
      : ['prompt', prompt, `a template holding ${TASK_PLACEHOLDER}, ${replaced}`]
  throw new InputError(
    `Input '${name}' has value ${quoteValue(value)}: mode "shard" expected ${expected}`
  )
}

export function parseShardTasks(raw: string | undefined): string[] {
  const expected = "a JSON array of task strings, as the plan mode's matrix hands it"
  if (raw === undefined) {
    throw new InputError(`Input 'tasks' is empty: mode "shard" expected ${expected}`)
  }
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw invalid('tasks', raw, expected)
  }
  if (!Array.isArray(value) || !value.every((t): t is string => typeof t === 'string')) {
    throw invalid('tasks', raw, expected)
  }
  const unfit = unfitTask(value)
  if (unfit !== undefined) {
    throw invalid(
      'tasks',
      raw,
      `${expected}, none empty or holding a control character (${JSON.stringify(unfit)})`
    )
  }
  return value
}

export function parseShardId(read: InputReader, mode: Mode): string | undefined {
  const raw = optionalString(read, 'shard-id')
  if (raw === undefined) {
    if (mode === 'shard') {
      throw new InputError(
        `Input 'shard-id' is empty: mode "shard" expected the shard's id from the matrix`
      )
    }
    return undefined
  }
  // It names the shard's artifact, whose name may not hold characters such as '/' or ':'.
  if (!/^[A-Za-z0-9._-]+$/.test(raw)) {
    throw invalid('shard-id', raw, "letters, digits, '.', '_' or '-' only")
  }
  return raw
}

export function parseMatrix(read: InputReader): PlannedMatrix | undefined {
  const raw = optionalString(read, 'matrix')
  if (raw === undefined) return undefined
  const matrix = readMatrix(raw)
  if (matrix === undefined) {
    throw invalid(
      'matrix',
      raw,
      'the plan mode\'s matrix output: {"include":[{"shard":1,"tasks":["…"]},…]}'
    )
  }
  return matrix
}

// 'a' and 'b'; 'a', 'b' and 'c'
function quoteNames(names: string[]): string {
  const quoted = names.map(n => `'${n}'`)
  const last = quoted.pop()
  return quoted.length === 0 ? (last ?? '') : `${quoted.join(', ')} and ${last}`
}

export function checkPlanSource(
  tasks: string | undefined,
  files: string[],
  taskCommand: string | undefined
): void {
  const given = [
    tasks !== undefined && 'tasks',
    files.length > 0 && 'files',
    taskCommand !== undefined && 'task-command'
  ].filter((name): name is string => typeof name === 'string')
  if (given.length === 0) {
    throw new InputError(
      `Inputs 'tasks', 'files' and 'task-command' are all empty: mode "plan" expected exactly one of them`
    )
  }
  if (given.length > 1) {
    throw new InputError(
      `Inputs ${quoteNames(given)} are ${given.length === 2 ? 'both' : 'all'} set: mode "plan" expected exactly one of 'tasks', 'files' or 'task-command'`
    )
  }
}
