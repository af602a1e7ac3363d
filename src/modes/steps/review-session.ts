import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'
import { runAgent, sessionFailure, sessionOutputs, type Agent } from '../../agent/launch.js'
import type { SessionReport } from '../../agent/report.js'
import { REVIEWER_TOOLS } from '../../agent/tools.js'
import { renderSessionSummary } from '../../agent/summary.js'
import { appendJobSummary } from '../../github/emit.js'
import type { PullRequest } from '../../github/pulls.js'
import { commitsBetween } from '../../git/log.js'
import { checkoutAt } from '../../git/git.js'
import type { Inputs } from '../../inputs.js'
import { REVIEW_SCHEMA, parseReviewOutput, type ReviewOutput } from '../../review/findings.js'
import { buildReviewPrompt, openFindingsOf } from '../../review/prompt.js'
import type { ModeOutcome } from '../outcome.js'
import type { ReviewContext } from './review-context.js'

/** The reviewer's session on a checkout of the PR head: its review, or why there is none. */
export async function runReviewer(
  inputs: Inputs,
  pr: PullRequest,
  context: ReviewContext,
  agent: Agent
): Promise<
  { review: ReviewOutput; report: SessionReport } | { failure: ModeOutcome; costUsd: number }
> {
  const prompt = buildReviewPrompt({
    repository: `${pr.baseRepoFullName}`,
    pr: {
      number: pr.number,
      title: pr.title,
      body: pr.body,
      baseRef: pr.baseRef,
      headRef: pr.headRef
    },
    diff: context.reviewDiff,
    sinceSha: context.sinceSha,
    headSha: pr.headSha,
    openFindings: openFindingsOf(context.threads),
    commits: await commitsBetween(agent.cwd, context.sinceSha ?? pr.baseSha, pr.headSha),
    instructions: inputs.prompt,
    blockingSeverity: inputs.blockingSeverity
  })
  if (inputs.allowedTools) {
    core.warning("'allowed-tools' is not used for the reviewer: it always gets read-only tools")
  }
  // Not under RUNNER_TEMP, which agents may not read; a folder of this run's own, since a fixed
  // name in the shared temp dir could be a symlink an earlier agent left there.
  await mkdir(tmpdir(), { recursive: true })
  const parent = await mkdtemp(path.join(tmpdir(), 'tandem-review-'))
  const checkout = await checkoutAt(agent.cwd, pr.headSha, parent)
  let report: SessionReport
  try {
    report = await runAgent(agent, {
      label: 'reviewer',
      prompt,
      tools: REVIEWER_TOOLS,
      allowedTools: REVIEWER_TOOLS,
      strictMcpConfig: true,
      jsonSchema: REVIEW_SCHEMA,
      // The checkout is the PR's code: its .claude/settings.json (hooks, permissions) and
      // .mcp.json servers must not widen a read-only reviewer, fork or not.
      settingSources: 'user',
      cwd: checkout.dir,
      // Its own sandbox user, which may read the checkout and write nothing in it.
      access: 'read'
    })
  } finally {
    await checkout.release()
    await rm(parent, { recursive: true, force: true })
  }
  if (report.conclusion !== 'success') {
    await appendJobSummary(renderSessionSummary(report, 'Tandem · reviewer session'))
    return {
      costUsd: report.costUsd,
      failure: {
        outputs: sessionOutputs(report),
        failure: sessionFailure('reviewer', report)
      }
    }
  }
  try {
    return { review: parseReviewOutput(report.structuredOutput), report }
  } catch (error) {
    return {
      costUsd: report.costUsd,
      failure: { outputs: sessionOutputs(report), failure: (error as Error).message }
    }
  }
}
