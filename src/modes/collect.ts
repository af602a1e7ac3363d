import * as core from '@actions/core'
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { prepareAgent, type Agent } from '../agent/launch.js'
import { agentSettings } from './steps/agent-settings.js'
import {
  collectedResults,
  mergeTotals,
  planMerge,
  renderTotals,
  settleMerge,
  taskCommitMessage,
  type ApplyOutcome,
  type CollectedTask,
  type MergeEntry,
  type ShardResults
} from '../fanout/merge.js'
import { renderCollectBody, renderCollectSummary } from '../fanout/merge-render.js'
import { ARTIFACT_PREFIX, RESULTS_FILE, readResults } from '../fanout/results.js'
import { downloadArtifact, listRunArtifacts, uploadShardArtifact } from '../github/artifacts.js'
import { createGitHub, repoFromEnv, type GitHub, type Repo } from '../github/client.js'
import { appendJobSummary } from '../github/emit.js'
import { redactorFor, runSecrets } from '../github/redact.js'
import { checkoutBranchHere, entryPaths, statusEntries } from '../git/branch.js'
import { slugify, BRANCH_PREFIX } from '../git/branch-name.js'
import { git } from '../git/git.js'
import { applyPatches, type PatchOutcome, type PatchTask } from '../git/patches.js'
import type { Inputs } from '../inputs.js'
import { renderVerify } from '../write/render.js'
import { NO_VERIFY, verifyCheckout, type VerifyResult } from '../write/verify.js'
import { requireToken, type ModeOutcome } from './outcome.js'
import { reviewPullRequest } from './review.js'
import {
  adoptReviewOutcome,
  checkBranchName,
  pushWithLease,
  resolveBranch,
  upsertPullRequest,
  withWriteTrailer,
  type PublishedPullRequest
} from './steps/branch-pr.js'

/** The artifact collect keeps the patches that did not apply in. */
export const CONFLICTS_ARTIFACT = 'tandem-conflicts'

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
    run.shards = await core.group('Downloading the shard artifacts', () => downloadShards(run))
    const plan = planMerge(run.shards, inputs.matrix)
    run.tasks = await core.group('Applying the patches', () => applyTasks(run, plan))
    run.conflicts = await keepConflicts(run)
    run.resultsFile = writeResultsFile(run.tasks)
    warnAboutTasks(run.tasks)
    if (run.shards.every(shard => shard.results === undefined)) {
      return await finish(run, { failure: nothingToCollect(run), stopped: 'nothing to collect' })
    }
    if (!run.commitSha)
      return await finish(run, { conclusion: 'no-changes', stopped: 'nothing applied' })
    if (inputs.verifyCommand) run.verify = await verify(run, inputs.verifyCommand)
    await core.group(`Pushing ${run.branch}`, () => push(run))
    run.pr = await core.group('Opening or updating the pull request', () => publish(run, gh, repo))
  } catch (error) {
    return finish(run, { failure: error instanceof Error ? error.message : String(error) })
  }
  const outcome = await finish(run, { conclusion: 'success' })
  if (inputs.review && run.pr) await review(run, gh, repo, outcome)
  return outcome
}

/** What one collect run found and did, step by step. */
interface CollectRun {
  inputs: Inputs
  redact: (text: string) => string
  branch: string
  base: string
  /** The repository's top level (patch paths are relative to it). */
  top?: string
  baseSha?: string
  scratch: string
  shards: (ShardResults & { dir?: string })[]
  tasks: CollectedTask[]
  /** The branch head: the last task's commit, then what the remote holds. */
  commitSha?: string
  pushed: boolean
  changedFiles?: string[]
  verify: VerifyResult
  agent?: Agent
  pr?: PublishedPullRequest
  conflicts?: { artifact?: string; files: { task: string; file: string }[]; error?: string }
  resultsFile?: string
  costUsd?: number
}

/** `tandem/collect-<workflow>`: the same workflow collects onto the same branch every run. */
export function defaultBranch(workflow: string | undefined): string {
  return `${BRANCH_PREFIX}collect-${slugify(workflow ?? '') || 'fan-out'}`
}

async function prepareBranch(run: CollectRun, gh: GitHub, repo: Repo): Promise<void> {
  const cwd = run.inputs.workingDirectory
  const settled = await resolveBranch(gh, repo, {
    cwd,
    branch: run.branch,
    base: run.inputs.base,
    mode: 'collect'
  })
  run.base = settled.base
  run.top = settled.topLevel
  // Tasks are applied onto the checkout's commit, which is what the shards checked out too.
  const tracked = entryPaths((await statusEntries(cwd)).filter(e => e.status !== '??'))
  if (tracked.length > 0) {
    throw new Error(
      `The checkout has changes to tracked files (${tracked.slice(0, 5).join(', ')}` +
        `${tracked.length > 5 ? ', …' : ''}): collect applies the shards' patches onto a clean ` +
        'checkout of the commit they were made from.'
    )
  }
  run.baseSha = (await git(cwd, ['rev-parse', 'HEAD'])).stdout.trim()
  await checkoutBranchHere(cwd, run.branch)
  core.info(`Applying onto ${run.baseSha}`)
}

/** Every shard artifact of this run, downloaded, with its results read (or why they are not). */
async function downloadShards(run: CollectRun): Promise<CollectRun['shards']> {
  const artifacts = await listRunArtifacts(run.inputs.artifactPattern)
  core.info(`${artifacts.length} artifact(s) match ${run.inputs.artifactPattern}`)
  const shards: CollectRun['shards'] = []
  for (const [i, artifact] of artifacts.entries()) {
    const shard = artifact.name.startsWith(ARTIFACT_PREFIX)
      ? artifact.name.slice(ARTIFACT_PREFIX.length)
      : artifact.name
    try {
      const dir = await downloadArtifact(artifact.id, path.join(run.scratch, `shard-${i + 1}`))
      const file = path.join(dir, RESULTS_FILE)
      // A regular file only: what another job put in its artifact is never followed elsewhere.
      if (!existsSync(file) || !lstatSync(file).isFile()) {
        throw new Error(`it holds no ${RESULTS_FILE} file`)
      }
      shards.push({ shard, dir, results: readResults(readFileSync(file, 'utf8')) })
    } catch (error) {
      const message = (error as Error).message
      core.warning(`Shard ${shard} (${artifact.name}): ${message}; its tasks count as missing`)
      shards.push({ shard, results: undefined, error: message })
    }
  }
  return shards
}

const EMPTY_REASON = 'its patch changes nothing on top of the tasks before it'

/** The pending tasks' patches, applied in table order; every task's final status. */
async function applyTasks(run: CollectRun, plan: MergeEntry[]): Promise<CollectedTask[]> {
  const dirs = new Map(run.shards.map(s => [s.shard, s.dir]))
  const tasks: PatchTask[] = plan.flatMap(entry => {
    const dir = entry.shard === undefined ? undefined : dirs.get(entry.shard)
    if (entry.status !== 'pending' || !dir || !entry.result?.patch) return []
    const message = taskCommitMessage(
      { task: entry.task, summary: entry.result.summary },
      run.inputs.commitMessage
    )
    return [
      {
        key: entry.index,
        file: path.join(dir, entry.result.patch),
        message: run.redact(withWriteTrailer(message, run.branch))
      }
    ]
  })
  const outcomes = new Map<number, ApplyOutcome>()
  if (tasks.length > 0) {
    const started = Date.now()
    const applied = await applyPatches(run.top!, tasks, {
      author: run.inputs.commitAuthor,
      secrets: runSecrets(run.inputs),
      allowWorkflowChanges: run.inputs.allowWorkflowChanges,
      scratchDir: run.scratch
    })
    for (const [key, outcome] of applied.outcomes) outcomes.set(key, toApplyOutcome(outcome))
    if (applied.head !== run.baseSha) run.commitSha = applied.head
    core.info(
      `${tasks.length} patch(es) in ${Date.now() - started} ms: ` +
        `${tasks.length - applied.oneByOne} in one git apply, ${applied.oneByOne} one by one`
    )
  }
  return settleMerge(plan, outcomes)
}

function toApplyOutcome(outcome: PatchOutcome): ApplyOutcome {
  switch (outcome.status) {
    case 'applied':
      return { status: 'applied', commit: outcome.commit }
    case 'empty':
      return { status: 'no-changes', reason: EMPTY_REASON }
    case 'conflict':
      return { status: 'conflict', reason: outcome.reason }
    case 'refused':
      return { status: 'fail', reason: outcome.reason }
  }
}

/** The conflicting patches, uploaded as one artifact so none is lost. */
async function keepConflicts(run: CollectRun): Promise<CollectRun['conflicts']> {
  const conflicting = run.tasks.filter(t => t.status === 'conflict' && t.result?.patch)
  if (conflicting.length === 0) return undefined
  const dirs = new Map(run.shards.map(s => [s.shard, s.dir]))
  const root = path.join(run.scratch, 'conflicts')
  mkdirSync(root, { recursive: true })
  const files = conflicting.map(t => {
    // Patch names count per shard (0001-…): the shard's id keeps them apart.
    const file = `shard-${t.shard}-${t.result!.patch!}`.replace(/[^A-Za-z0-9._-]/g, '-')
    copyFileSync(path.join(dirs.get(t.shard!)!, t.result!.patch!), path.join(root, file))
    return { task: t.task, file }
  })
  try {
    const uploaded = await uploadShardArtifact(
      CONFLICTS_ARTIFACT,
      root,
      files.map(f => path.join(root, f.file))
    )
    core.info(`The ${files.length} conflicting patch(es) are in the artifact ${uploaded.name}`)
    return { artifact: uploaded.name, files }
  } catch (error) {
    core.warning(`Could not upload the conflicting patches: ${(error as Error).message}`)
    return { files, error: (error as Error).message }
  }
}

/** Collect's results file: every task's final status, for `jq` and for retries. */
function writeResultsFile(tasks: CollectedTask[]): string {
  const dir = path.join(process.env.RUNNER_TEMP || tmpdir(), 'tandem')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, 'collect-results.json')
  writeFileSync(file, JSON.stringify(collectedResults(tasks), null, 2) + '\n')
  return file
}

function warnAboutTasks(tasks: CollectedTask[]): void {
  const totals = mergeTotals(tasks)
  core.info(renderTotals(totals).replace(/\*\*/g, ''))
  const { conflict, missing, fail, timeout, duplicate } = totals.byStatus
  if (conflict > 0) {
    core.warning(
      `${conflict} task(s) did not apply on top of the tasks before them (conflict); their ` +
        `patches are kept in the ${CONFLICTS_ARTIFACT} artifact and listed in the job summary`
    )
  }
  if (missing > 0) core.warning(`${missing} planned task(s) have no result (missing)`)
  if (fail + timeout > 0) core.warning(`${fail + timeout} task(s) failed or timed out`)
  if (duplicate > 0) core.warning(`${duplicate} task(s) were reported by more than one shard`)
}

function nothingToCollect(run: CollectRun): string {
  return run.shards.length === 0
    ? `No artifact of this run matches artifact-pattern '${run.inputs.artifactPattern}': no shard ` +
        'uploaded its results (did the shard jobs run, and with the same pattern?)'
    : `None of the ${run.shards.length} shard artifact(s) held readable results`
}

async function agentOf(run: CollectRun): Promise<Agent> {
  run.agent ??= await prepareAgent(agentSettings(run.inputs))
  return run.agent
}

/** verify-command on the merged tree, as agent code; what it changes is not committed. */
async function verify(run: CollectRun, command: string): Promise<VerifyResult> {
  const result = await verifyCheckout(command, await agentOf(run), run.redact)
  const how = result.timedOut ? 'timed out' : `exit ${result.exitCode}`
  if (result.status === 'passed') core.info(`verify-command passed (${how})`)
  else core.warning(`verify-command failed (${how}); the pull request reports it`)
  const left = entryPaths(await statusEntries(run.inputs.workingDirectory))
  if (left.length > 0) {
    core.warning(
      `verify-command changed ${left.length} file(s) (${left.slice(0, 5).join(', ')}); the ` +
        'pull request holds the tasks’ commits only'
    )
  }
  return result
}

async function push(run: CollectRun): Promise<void> {
  const pushed = await pushWithLease(run.inputs.workingDirectory, {
    branch: run.branch,
    sha: run.commitSha!,
    token: run.inputs.githubToken,
    owner: 'write or collect mode'
  })
  run.commitSha = pushed.commitSha
  run.pushed = pushed.pushed
  const diff = await git(run.top!, [
    'diff',
    '--name-only',
    '--no-renames',
    '-z',
    run.baseSha!,
    run.commitSha
  ])
  run.changedFiles = diff.stdout.split('\0').filter(Boolean).sort()
}

async function publish(run: CollectRun, gh: GitHub, repo: Repo): Promise<PublishedPullRequest> {
  const totals = mergeTotals(run.tasks)
  const verify = renderVerify(run.verify)
  const title =
    run.inputs.prTitle ??
    `Tandem fan-out: ${totals.byStatus.applied} of ${totals.tasks} task${totals.tasks === 1 ? '' : 's'} applied`
  const body = renderCollectBody({
    branch: run.branch,
    userBody: run.inputs.prBody,
    tasks: run.tasks,
    verify,
    shardCount: run.shards.filter(s => s.results !== undefined).length,
    conflictsArtifact: run.conflicts?.artifact
  })
  const pr = await upsertPullRequest(gh, repo, {
    branch: run.branch,
    base: run.base,
    title: run.redact(title),
    body: run.redact(body),
    labels: run.inputs.labels,
    draft: run.inputs.draft,
    // The same tree: the body is left alone unless what it must show changed — the totals, or
    // the check's outcome (its output's tail may differ from run to run and is not a reason).
    refreshText: run.pushed,
    mustShow: [run.redact(renderTotals(totals)), verify.split('\n', 1)[0] ?? ''].filter(Boolean)
  })
  core.info(`Pull request #${pr.number}: ${pr.operation} (${pr.url})`)
  return pr
}

/** `review: true`: a fresh reviewer session on the merged pull request (the cross-shard review). */
async function review(
  run: CollectRun,
  gh: GitHub,
  repo: Repo,
  outcome: ModeOutcome
): Promise<void> {
  const round = await reviewPullRequest(
    { ...run.inputs, prompt: undefined },
    gh,
    repo,
    run.pr!.number,
    await agentOf(run)
  )
  adoptReviewOutcome(outcome, round.outcome)
  outcome.outputs['cost-usd'] = String(Number(outcome.outputs['cost-usd'] ?? 0) + round.costUsd)
}

async function finish(
  run: CollectRun,
  end: { conclusion?: string; failure?: string; stopped?: string }
): Promise<ModeOutcome> {
  const totals = mergeTotals(run.tasks)
  await appendJobSummary(
    renderCollectSummary({
      branch: run.branch,
      base: run.base || '—',
      tasks: run.tasks,
      shardCount: run.shards.filter(s => s.results !== undefined).length,
      commitSha: run.pr || run.pushed ? run.commitSha : undefined,
      pushed: run.pushed,
      pr: run.pr,
      verify: renderVerify(run.verify),
      verifyStatus: run.verify.status,
      stopped: end.failure ? (end.stopped ?? 'failed') : end.stopped,
      conflicts: run.conflicts,
      resultsFile: run.resultsFile
    })
  )
  const outputs: Record<string, string> = {
    conclusion: end.failure ? 'failure' : (end.conclusion ?? 'success'),
    'pr-number': run.pr ? String(run.pr.number) : '',
    'pr-url': run.pr?.url ?? '',
    'pr-operation': run.pr?.operation ?? 'none',
    branch: run.branch,
    'commit-sha': run.pr || run.pushed ? (run.commitSha ?? '') : '',
    'changed-files': JSON.stringify(run.changedFiles ?? []),
    'verify-result': run.verify.status,
    'applied-count': String(totals.byStatus.applied),
    'conflict-count': String(totals.byStatus.conflict),
    'missing-count': String(totals.byStatus.missing),
    'results-file': run.resultsFile ?? '',
    'cost-usd': String(totals.costUsd),
    'num-turns': String(totals.numTurns)
  }
  return { outputs, failure: end.failure }
}
