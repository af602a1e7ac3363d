import * as core from '@actions/core'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { prepareAgent, type Agent } from '../agent/launch.js'
import {
  collectOutputs,
  collectSummary,
  defaultBranch,
  nothingToCollect,
  type CollectEnd
} from '../fanout/collect.js'
import { planMerge } from '../fanout/merge.js'
import { createGitHub, repoFromEnv, type GitHub, type Repo } from '../github/client.js'
import { appendJobSummary } from '../github/emit.js'
import { redactorFor } from '../github/redact.js'
import { downloadShards, keepConflicts } from '../github/shard-artifacts.js'
import type { Inputs } from '../inputs.js'
import { NO_VERIFY } from '../write/verify.js'
import { requireToken, type ModeOutcome } from './outcome.js'
import { checkBranchName } from './steps/branch-pr.js'
import {
  applyTasks,
  prepareBranch,
  warnAboutTasks,
  writeResultsFile,
  type CollectRun
} from './steps/collect-merge.js'
import { publishMerge, pushMerge, reviewMerge, verifyMerge } from './steps/collect-publish.js'
import { agentSettings } from './steps/agent-settings.js'
import { messageOf } from '../outcome.js'

/**
 * `collect`: the run's shard artifacts → patches applied in task order on one branch, one commit
 * per task → verify-command on the merged tree → push → ONE pull request with the results
 * table → (review: true) the reviewer reviews it. Missing and conflicting tasks are reported,
 * never dropped; the step fails only when there was nothing to collect or publishing failed.
 */
export async function collectMode(inputs: Inputs): Promise<ModeOutcome> {
  const gh = createGitHub(requireToken(inputs, 'open the pull request'))
  const repo = repoFromEnv()
  const run: CollectRun = {
    inputs,
    redact: redactorFor(inputs),
    branch: inputs.branch ?? defaultBranch(process.env.GITHUB_WORKFLOW),
    base: inputs.base ?? '',
    scratch: mkdtempSync(path.join(process.env.RUNNER_TEMP || tmpdir(), 'tandem-collect-')),
    shards: [],
    tasks: [],
    pushed: false,
    verify: NO_VERIFY
  }
  checkBranchName(run.branch)
  try {
    return await collect(run, gh, repo)
  } finally {
    // The downloads: the conflicting patches are uploaded by now, the results file is elsewhere.
    rmSync(run.scratch, { recursive: true, force: true })
  }
}

async function collect(run: CollectRun, gh: GitHub, repo: Repo): Promise<ModeOutcome> {
  const { inputs } = run
  try {
    await core.group('Preparing the branch', () => prepareBranch(run, gh, repo))
    run.shards = await core.group('Downloading the shard artifacts', () =>
      downloadShards(inputs.artifactPattern, run.scratch)
    )
    const plan = planMerge(run.shards, inputs.matrix)
    run.tasks = await core.group('Applying the patches', () => applyTasks(run, plan))
    run.conflicts = await keepConflicts(run.tasks, run.shards, run.scratch)
    run.resultsFile = writeResultsFile(run.tasks)
    warnAboutTasks(run.tasks)
    if (run.shards.every(shard => shard.results === undefined)) {
      const failure = nothingToCollect(run.shards.length, inputs.artifactPattern)
      return await finish(run, { failure, stopped: 'nothing to collect' })
    }
    if (!run.commitSha)
      return await finish(run, { conclusion: 'no-changes', stopped: 'nothing applied' })
    if (inputs.verifyCommand) {
      run.verify = await verifyMerge(run, inputs.verifyCommand, await agentOf(run))
    }
    await core.group(`Pushing ${run.branch}`, () => pushMerge(run))
    run.pr = await core.group('Opening or updating the pull request', () =>
      publishMerge(run, gh, repo)
    )
  } catch (error) {
    return finish(run, { failure: messageOf(error) })
  }
  const outcome = await finish(run, { conclusion: 'success' })
  if (inputs.review && run.pr) await reviewMerge(run, gh, repo, outcome, await agentOf(run))
  return outcome
}

async function agentOf(run: CollectRun): Promise<Agent> {
  run.agent ??= await prepareAgent(agentSettings(run.inputs))
  return run.agent
}

async function finish(run: CollectRun, end: CollectEnd): Promise<ModeOutcome> {
  await appendJobSummary(collectSummary(run, end))
  return { outputs: collectOutputs(run, end), failure: end.failure }
}
