import * as core from '@actions/core'
import { prepareAgent, withCheckoutHeld } from '../agent/launch.js'
import { renderShardSummary, shardBranchPrefix, shardOutputs } from '../fanout/shard.js'
import { checkoutBase, runInWorktrees } from '../git/worktrees.js'
import { appendJobSummary } from '../github/emit.js'
import { redactorFor, runSecrets } from '../github/redact.js'
import { uploadShardFiles, writeShardFiles } from '../github/shard-artifacts.js'
import type { Inputs } from '../inputs.js'
import type { ModeOutcome } from './outcome.js'
import { notRun, runTask, type FinishedTask, type Shard } from './steps/shard-task.js'
import { agentSettings } from './steps/agent-settings.js'

/**
 * `shard`: one matrix job. Each task gets a writer session in a worktree of its own, from the
 * checkout's HEAD, `concurrency` at a time; each change comes back as a patch, checked as write
 * mode checks its change. results.json and the patches of the `ok` tasks go up as ONE artifact.
 * The step fails only when the shard itself cannot run, never because tasks failed.
 */
export async function shardMode(inputs: Inputs): Promise<ModeOutcome> {
  const started = Date.now()
  const shardId = inputs.shardId ?? '' // inputs.ts refuses shard mode without one
  const shard = await prepareShard(inputs)
  const finished = await runTasks(shard, shardId, inputs.shardTasks ?? [])
  const results = finished.map(task => task.result)
  // Under the runner's temp dir, which agent code cannot read.
  const files = await writeShardFiles(shard.agent.transcriptDir, shardId, finished)
  const durationMs = Date.now() - started
  await appendJobSummary(renderShardSummary(shardId, results, durationMs))
  const outputs = shardOutputs(results, files.resultsFile, durationMs)
  return { outputs, failure: await uploadShardFiles(shardId, files) }
}

/** The agent, and the commit every task starts from: without them the shard cannot run. */
async function prepareShard(inputs: Inputs): Promise<Shard> {
  const agent = await prepareAgent(agentSettings(inputs))
  const checkout = await checkoutBase(inputs.workingDirectory)
  return { inputs, agent, checkout, secrets: runSecrets(inputs), redact: redactorFor(inputs) }
}

/** Every task, `concurrency` at a time, each in a worktree; results in task order. */
async function runTasks(shard: Shard, shardId: string, tasks: string[]): Promise<FinishedTask[]> {
  const { agent, checkout, inputs } = shard
  core.info(
    `Shard ${shardId}: ${tasks.length} task(s), ${Math.min(inputs.concurrency, tasks.length)} ` +
      `at a time, from ${checkout.head}`
  )
  // Held once for the whole shard: parallel sessions share one .git/config, whose credentials
  // must not come back while any of them runs.
  const done = await withCheckoutHeld(agent, `shard ${shardId}`, () =>
    runInWorktrees(
      {
        repo: checkout.top,
        baseSha: checkout.head,
        branchPrefix: shardBranchPrefix(shardId),
        concurrency: inputs.concurrency
      },
      tasks,
      job => runTask(shard, job)
    )
  )
  return done.map((outcome, index) =>
    outcome.ok ? outcome.value : notRun(shard, tasks[index]!, index, outcome.error)
  )
}
