/**
 * One task of a shard in its worktree: the writer session, its change as a patch, and the checks
 * write mode makes of its change, as that task's result.
 */
import * as core from '@actions/core'
import path from 'node:path'
import { runAgent, sessionFailure, type Agent } from '../../agent/launch.js'
import { WRITER_TOOLS } from '../../agent/tools.js'
import type { TaskResult } from '../../fanout/results.js'
import {
  SHARD_REPORT_SCHEMA,
  addedGitlinks,
  buildShardPrompt,
  parseShardReport,
  refusalOf,
  taskResult,
  type ChangeChecks,
  type TaskRun
} from '../../fanout/shard.js'
import { entryPaths, statusEntries } from '../../git/branch.js'
import { workflowChanges } from '../../git/workflow-paths.js'
import { worktreePatch } from '../../git/worktree.js'
import type { CheckoutBase, WorktreeJob } from '../../git/worktrees.js'
import { containsSecret } from '../../github/redact.js'
import type { Inputs } from '../../inputs.js'
import { filesHoldingSecrets } from './branch-pr.js'
import { messageOf } from '../../outcome.js'

export interface Shard {
  inputs: Inputs
  agent: Agent
  checkout: CheckoutBase
  secrets: string[]
  redact: (text: string) => string
}

export interface FinishedTask {
  result: TaskResult
  /** The change, for an `ok` task (the only ones whose patch is uploaded). */
  patch?: Buffer
}

/** One task in its worktree: the writer, its change as a patch, write mode's checks. */
export async function runTask(shard: Shard, job: WorktreeJob<string>): Promise<FinishedTask> {
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

/** What write mode refuses of a worktree's change: workflow files, a credential of the run, a nested repo. */
export async function changeChecks(
  shard: Shard,
  dir: string,
  patch: Buffer
): Promise<ChangeChecks> {
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
export function notRun(shard: Shard, task: string, index: number, error: unknown): FinishedTask {
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
