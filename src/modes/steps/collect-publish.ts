/**
 * Collect mode's publishing steps: verify-command on the merged tree, the push, the ONE pull
 * request with the results table, and (review: true) the cross-shard review.
 */
import * as core from '@actions/core'
import type { Agent } from '../../agent/launch.js'
import { collectTitle, shardCount } from '../../fanout/collect.js'
import { mergeTotals, renderTotals } from '../../fanout/merge.js'
import { renderCollectBody } from '../../fanout/merge-render.js'
import type { GitHub, Repo } from '../../github/client.js'
import { entryPaths, statusEntries } from '../../git/branch.js'
import { filesChangedBetween } from '../../git/changed.js'
import { renderVerify } from '../../write/render.js'
import type { VerifyResult } from '../../write/verify.js'
import type { ModeOutcome } from '../outcome.js'
import {
  adoptReviewOutcome,
  pushWithLease,
  upsertPullRequest,
  type PublishedPullRequest
} from './branch-pr.js'
import type { CollectRun } from './collect-merge.js'
import { reviewPullRequest } from './review-pr.js'
import { verifyChange } from './verify.js'

/** verify-command on the merged tree, as agent code; what it changes is not committed. */
export async function verifyMerge(
  run: CollectRun,
  command: string,
  agent: Agent
): Promise<VerifyResult> {
  const result = await verifyChange(command, agent, run.redact)
  const left = entryPaths(await statusEntries(run.inputs.workingDirectory))
  if (left.length > 0) {
    core.warning(
      `verify-command changed ${left.length} file(s) (${left.slice(0, 5).join(', ')}); the ` +
        'pull request holds the tasks’ commits only'
    )
  }
  return result
}

export async function pushMerge(run: CollectRun): Promise<void> {
  const pushed = await pushWithLease(run.inputs.workingDirectory, {
    branch: run.branch,
    sha: run.commitSha!,
    token: run.inputs.githubToken,
    owner: 'write or collect mode'
  })
  run.commitSha = pushed.commitSha
  run.pushed = pushed.pushed
  run.changedFiles = await filesChangedBetween(run.top!, run.baseSha!, run.commitSha)
}

export async function publishMerge(
  run: CollectRun,
  gh: GitHub,
  repo: Repo
): Promise<PublishedPullRequest> {
  const totals = mergeTotals(run.tasks)
  const verify = renderVerify(run.verify)
  const body = renderCollectBody({
    branch: run.branch,
    userBody: run.inputs.prBody,
    tasks: run.tasks,
    verify,
    shardCount: shardCount(run),
    conflictsArtifact: run.conflicts?.artifact
  })
  const pr = await upsertPullRequest(gh, repo, {
    branch: run.branch,
    base: run.base,
    title: run.redact(collectTitle(totals, run.inputs.prTitle)),
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
export async function reviewMerge(
  run: CollectRun,
  gh: GitHub,
  repo: Repo,
  outcome: ModeOutcome,
  agent: Agent
): Promise<void> {
  const round = await reviewPullRequest(
    { ...run.inputs, prompt: undefined },
    gh,
    repo,
    run.pr!.number,
    agent
  )
  adoptReviewOutcome(outcome, round.outcome)
  outcome.outputs['cost-usd'] = String(Number(outcome.outputs['cost-usd'] ?? 0) + round.costUsd)
}
