import * as core from '@actions/core'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import path from 'node:path'
import {
  prepareAgent,
  runAgent,
  sessionFailure,
  withCheckoutHeld,
  type Agent
} from '../agent/launch.js'
import { agentSettings } from './steps/agent-settings.js'
import { WRITER_TOOLS } from '../agent/tools.js'
import { RESULTS_FILE, shardArtifactName, type TaskResult } from '../fanout/results.js'
import {
  SHARD_REPORT_SCHEMA,
  addedGitlinks,
  buildShardPrompt,
  parseShardReport,
  refusalOf,
  renderShardSummary,
  shardBranchPrefix,
  shardOutputs,
  taskResult,
  type ChangeChecks,
  type TaskRun
} from '../fanout/shard.js'
import { entryPaths, statusEntries } from '../git/branch.js'
import { workflowChanges } from '../git/workflow-paths.js'
import {
  checkoutBase,
  runInWorktrees,
  type CheckoutBase,
  type WorktreeJob
} from '../git/worktrees.js'
import { worktreePatch } from '../git/worktree.js'
import { uploadShardArtifact } from '../github/artifacts.js'
import { appendJobSummary } from '../github/emit.js'
import { containsSecret, redactorFor, runSecrets } from '../github/redact.js'
import type { Inputs } from '../inputs.js'
import type { ModeOutcome } from './outcome.js'
import { filesHoldingSecrets } from './steps/branch-pr.js'

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
  const files = await writeShardFiles(shard.agent, shardId, finished)
  const durationMs = Date.now() - started
  await appendJobSummary(renderShardSummary(shardId, results, durationMs))
  const outputs = shardOutputs(results, files.resultsFile, durationMs)
  return { outputs, failure: await uploadResults(shardId, files) }
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

interface Shard {
  inputs: Inputs
  agent: Agent
  checkout: CheckoutBase
  secrets: string[]
  redact: (text: string) => string
}

interface FinishedTask {
  result: TaskResult
  /** The change, for an `ok` task (the only ones whose patch is uploaded). */
  patch?: Buffer
}

/** One task in its worktree: the writer, its change as a patch, write mode's checks. */
async function runTask(shard: Shard, job: WorktreeJob<string>): Promise<FinishedTask> {
  const { inputs, agent, checkout } = shard
  const { item: task, index, slot, worktree } = job
  const started = Date.now()
  const run: TaskRun = { task, index, changed: false, durationMs: 0 }
  let patch: Buffer | undefined
  try {
    const session = await runAgent(agent, {
      label: `writer-task-${index + 1}`,
      // Its own sandbox per slot: the end of a session kills every process of its sandbox.
      role: `writer-${slot}`,
      cwd: path.join(worktree.dir, checkout.prefix),
      prompt: buildShardPrompt(inputs.prompt ?? '', task, {
        allowWorkflowChanges: inputs.allowWorkflowChanges
      }),
      allowedTools: inputs.allowedTools ?? WRITER_TOOLS,
      jsonSchema: SHARD_REPORT_SCHEMA,
      // The edits are the work: a writer that edits and then just says so has still succeeded.
      structuredOutputOptional: true
    })
    run.session = session
    run.report = parseShardReport(session.structuredOutput)
    if (session.conclusion !== 'success') run.failure = sessionFailure('writer', session)
    else if (run.report?.status !== 'fail') {
      patch = await worktreePatch(worktree)
      run.changed = patch !== undefined
      if (patch) run.refusal = refusalOf(await changeChecks(shard, worktree.dir, patch))
    }
  } catch (error) {
    run.failure = messageOf(error)
  }
  run.durationMs = Date.now() - started
  return finish(shard, run, patch)
}

/** What write mode refuses, per task: workflow files, a credential of the run, a nested repo. */
async function changeChecks(shard: Shard, dir: string, patch: Buffer): Promise<ChangeChecks> {
  const entries = await statusEntries(dir)
  const text = patch.toString('utf8')
  const leaking = filesHoldingSecrets(dir, entryPaths(entries), shard.secrets)
  // A file name or a symlink's target is in the patch only.
  if (leaking.length === 0 && shard.secrets.length > 0 && containsSecret(text, shard.secrets)) {
    leaking.push('the patch')
  }
  return {
    workflows: workflowChanges(entries),
    allowWorkflowChanges: shard.inputs.allowWorkflowChanges,
    leaking,
    gitlinks: addedGitlinks(text)
  }
}

/** A task whose worktree could not be made: it fails with why, the others go on. */
function notRun(shard: Shard, task: string, index: number, error: unknown): FinishedTask {
  return finish(
    shard,
    { task, index, changed: false, durationMs: 0, failure: messageOf(error) },
    undefined
  )
}

function finish(shard: Shard, run: TaskRun, patch: Buffer | undefined): FinishedTask {
  const result = taskResult(run, shard.redact)
  const total = shard.inputs.shardTasks?.length ?? 0
  core.info(
    `Task ${run.index + 1}/${total} ${result.status}: ${run.task}` +
      (result.summary ? ` — ${result.summary}` : '') +
      (result.error ? ` (${result.error})` : '')
  )
  return result.patch === null ? { result } : { result, patch }
}

/**
 * results.json (task order) and the `ok` tasks' patches, in a fresh directory under the
 * runner's temp dir (which agent code cannot read): the artifact's root, and `results-file`
 * for later steps of the job.
 */
async function writeShardFiles(
  agent: Agent,
  shardId: string,
  finished: FinishedTask[]
): Promise<{ dir: string; resultsFile: string; paths: string[] }> {
  await mkdir(agent.transcriptDir, { recursive: true })
  const dir = await mkdtemp(path.join(agent.transcriptDir, `shard-${shardId}-`))
  const resultsFile = path.join(dir, RESULTS_FILE)
  const results = finished.map(task => task.result)
  await writeFile(resultsFile, JSON.stringify(results, null, 2) + '\n', { flag: 'wx' })
  const paths = [resultsFile]
  for (const { result, patch } of finished) {
    if (result.patch === null || patch === undefined) continue
    const file = path.join(dir, result.patch)
    await writeFile(file, patch, { flag: 'wx' })
    paths.push(file)
  }
  return { dir, resultsFile, paths }
}

/** The one artifact of the shard; why the step fails when it could not be uploaded. */
async function uploadResults(
  shardId: string,
  files: { dir: string; paths: string[] }
): Promise<string | undefined> {
  try {
    const uploaded = await uploadShardArtifact(shardArtifactName(shardId), files.dir, files.paths)
    core.info(`Uploaded artifact ${uploaded.name} (id ${uploaded.id}, ${uploaded.size} bytes)`)
    return undefined
  } catch (error) {
    return messageOf(error)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
