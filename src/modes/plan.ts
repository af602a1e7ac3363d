import * as core from '@actions/core'
import { buildAgentEnv } from '../agent/argv.js'
import {
  matrixOutputProblem,
  plannedTaskCount,
  planShards,
  renderPlanSummary,
  type Plan
} from '../fanout/plan.js'
import { tasksFromCommand, tasksFromGlobs, tasksFromLines } from '../fanout/tasks.js'
import { unfitTask } from '../fanout/results.js'
import { appendJobSummary } from '../github/emit.js'
import { runSecrets } from '../github/redact.js'
import type { Inputs } from '../inputs.js'
import type { ModeOutcome } from './outcome.js'

/** `plan`: a task list → shards → the `matrix` output that `strategy.matrix` takes. */
export async function planMode(inputs: Inputs): Promise<ModeOutcome> {
  const source = taskSource(inputs)
  const tasks = await core.group(`Reading tasks from '${source}'`, () => readTasks(inputs, source))
  const plan = await core.group('Planning shards', async () => logPlan(planShards(tasks, inputs)))
  const matrix = JSON.stringify(plan.matrix)
  const problem = matrixOutputProblem(matrix)
  await appendJobSummary(
    renderPlanSummary({
      plan,
      source,
      shardSize: inputs.shardSize,
      maxShards: inputs.maxShards,
      problem
    })
  )
  const counts = {
    'task-count': String(plannedTaskCount(plan.matrix)),
    'shard-count': String(plan.matrix.include.length)
  }
  return problem ? { outputs: counts, failure: problem } : { outputs: { matrix, ...counts } }
}

type TaskSource = 'tasks' | 'files' | 'task-command'

// inputs.ts has made sure that exactly one is set.
function taskSource(inputs: Inputs): TaskSource {
  if (inputs.tasks !== undefined) return 'tasks'
  return inputs.files.length > 0 ? 'files' : 'task-command'
}

async function readTasks(inputs: Inputs, source: TaskSource): Promise<string[]> {
  const tasks =
    source === 'tasks'
      ? tasksFromLines(inputs.tasks!)
      : source === 'files'
        ? await tasksFromGlobs(inputs.files, inputs.workingDirectory)
        : await tasksFromCommand(
            inputs.taskCommand!,
            inputs.workingDirectory,
            // Your configuration, run like a `run:` step as the action's user (not as agent
            // code): its environment holds no token and no model key all the same.
            buildAgentEnv(process.env, { secrets: runSecrets(inputs) }),
            { timeoutMs: inputs.timeoutMinutes * 60_000 }
          )
  core.info(`${tasks.length} tasks`)
  const unfit = unfitTask(tasks)
  if (unfit !== undefined) {
    throw new Error(
      `The task ${JSON.stringify(unfit)} (from '${source}') holds a control character: a task goes ` +
        'into prompts, logs and commit subjects, one line each; rename the file or fix the list'
    )
  }
  return tasks
}

function logPlan(plan: Plan): Plan {
  const planned = plannedTaskCount(plan.matrix)
  if (plan.canaried > 0) {
    core.info(`Canary: the first ${planned} tasks; ${plan.canaried} left for the full run`)
  }
  const shards = plan.matrix.include.length
  core.info(
    `${planned} tasks in ${shards} shard${shards === 1 ? '' : 's'} of up to ${plan.shardSize}`
  )
  if (planned === 0) {
    core.warning(
      "No tasks: the matrix is empty, and GitHub fails a matrix job that has no values; guard the shard job with `if: needs.plan.outputs.task-count != '0'`"
    )
  }
  return plan
}
