/**
 * Explore's sessions: the approaches named, every candidate written and checked in a worktree
 * of its own, and ONE comparing reviewer with a fresh context.
 */
import * as core from '@actions/core'
import path from 'node:path'
import { runAgent, sessionFailure, withCheckoutHeld } from '../../agent/launch.js'
import type { SessionReport } from '../../agent/report.js'
import { REVIEWER_TOOLS, WRITER_TOOLS } from '../../agent/tools.js'
import {
  APPROACHES_SCHEMA,
  CANDIDATE_REPORT_SCHEMA,
  buildApproachesPrompt,
  buildCandidatePrompt,
  parseApproaches,
  parseCandidateReport,
  type CandidateReport
} from '../../explore/candidates.js'
import { parseRanking, RANKING_SCHEMA, type Ranking } from '../../explore/choose.js'
import { buildComparisonPrompt, type CandidateForReview } from '../../explore/prompt.js'
import { candidateLine } from '../../explore/render.js'
import { refusalOf } from '../../fanout/shard.js'
import { worktreePatch } from '../../git/worktree.js'
import { runInWorktrees, type WorktreeJob } from '../../git/worktrees.js'
import { parsePatch } from '../../git/patch-parse.js'
import { patchRefusal } from '../../git/patch-policy.js'
import { parseUnifiedDiff } from '../../review/diff.js'
import { NO_VERIFY, verifyCheckout } from '../../write/verify.js'
import { changeChecks, type Shard } from './shard-task.js'
import { messageOf } from '../../outcome.js'

/** The run's context: a shard's (the same agent, base, checks), for one task. */
export type Explore = Shard

/** A finished candidate: what the comparison and the table need, its patch and its report. */
export interface WrittenCandidate extends CandidateForReview {
  patchBytes?: Buffer
  report?: CandidateReport
  session?: SessionReport
}

/**
 * `approaches`, or, when it is empty, one short read-only session that names them all; with
 * what that session cost.
 */
export async function nameApproaches(
  explore: Explore,
  task: string
): Promise<{ approaches: string[]; costUsd: number }> {
  const count = explore.inputs.candidates
  if (explore.inputs.approaches.length > 0) {
    return {
      approaches: parseApproaches({ approaches: explore.inputs.approaches }, count),
      costUsd: 0
    }
  }
  const session = await runAgent(explore.agent, {
    label: 'planner',
    prompt: buildApproachesPrompt(task, count),
    tools: REVIEWER_TOOLS,
    allowedTools: REVIEWER_TOOLS,
    access: 'read',
    jsonSchema: APPROACHES_SCHEMA,
    settingSources: 'user',
    strictMcpConfig: true
  })
  const approaches = parseApproaches(session.structuredOutput, count)
  if (session.conclusion !== 'success') {
    core.warning(`${sessionFailure('planner', session)}; each candidate picks its own approach`)
  }
  approaches.forEach((approach, i) => core.info(`Candidate ${i + 1}: ${approach || '(its own)'}`))
  return { approaches, costUsd: session.costUsd }
}

/** Every candidate, `concurrency` at a time, each in a worktree from the same base. */
export async function writeCandidates(
  explore: Explore,
  task: string,
  approaches: string[]
): Promise<WrittenCandidate[]> {
  const numbers = approaches.map((_, i) => i + 1)
  const done = await withCheckoutHeld(explore.agent, 'explore', () =>
    runInWorktrees(
      {
        repo: explore.checkout.top,
        baseSha: explore.checkout.head,
        branchPrefix: 'tandem/explore/',
        concurrency: explore.inputs.concurrency
      },
      numbers,
      job => writeCandidate(explore, task, approaches, job)
    )
  )
  return done.map((outcome, i) =>
    outcome.ok
      ? outcome.value
      : failed(numbers[i]!, approaches[i]!, messageOf(outcome.error), undefined)
  )
}

async function writeCandidate(
  explore: Explore,
  task: string,
  approaches: string[],
  job: WorktreeJob<number>
): Promise<WrittenCandidate> {
  const { inputs, agent, checkout } = explore
  const { item: number, worktree } = job
  // A sandbox per candidate, not per slot: a home left by one candidate's code (memory files,
  // ~/.npmrc, anything its check reads) must not reach a later candidate in the same slot.
  const role = `candidate-${number}`
  const dir = path.join(worktree.dir, checkout.prefix)
  const started = Date.now()
  let session: SessionReport | undefined
  try {
    session = await runAgent(agent, {
      label: `candidate-${number}`,
      role,
      cwd: dir,
      prompt: buildCandidatePrompt({
        task,
        number,
        count: approaches.length,
        approach: approaches[number - 1]!,
        allowWorkflowChanges: inputs.allowWorkflowChanges
      }),
      allowedTools: inputs.allowedTools ?? WRITER_TOOLS,
      jsonSchema: CANDIDATE_REPORT_SCHEMA,
      structuredOutputOptional: true
    })
    const report = parseCandidateReport(session.structuredOutput)
    // The approach it was given is what the table compares; its own words only fill a gap.
    const approach = approaches[number - 1] || report?.approach || ''
    if (session.conclusion !== 'success') {
      return failed(number, approach, sessionFailure('writer', session), session, started)
    }
    // The check runs in the candidate's worktree, as that writer's agent code; the patch is
    // read after it, so what is compared and published is exactly what the check saw.
    const verify = inputs.verifyCommand
      ? await verifyCheckout(inputs.verifyCommand, agent, explore.redact, { dir, role })
      : NO_VERIFY
    const patchBytes = await worktreePatch(worktree)
    const patch = patchBytes?.toString('utf8') ?? ''
    // Everything that would refuse the change at publishing refuses the candidate now, so the
    // rules never choose one that cannot be published.
    const refusal = patchBytes
      ? (refusalOf(await changeChecks(explore, worktree.dir, patchBytes)) ??
        patchRefusal(parsePatch(patch), patch, {
          allowWorkflowChanges: inputs.allowWorkflowChanges,
          secrets: explore.secrets
        }))
      : undefined
    const diff = parseUnifiedDiff(patch)
    const candidate: WrittenCandidate = {
      number,
      approach,
      conclusion: session.conclusion,
      ...(refusal ? { error: refusal } : {}),
      files: diff.files.map(file => file.path),
      added: diff.files.reduce((sum, file) => sum + file.additions, 0),
      removed: diff.files.reduce((sum, file) => sum + file.deletions, 0),
      verify,
      costUsd: session.costUsd,
      durationMs: Date.now() - started,
      patch: explore.redact(patch),
      ...(patchBytes ? { patchBytes } : {}),
      ...(report ? { report } : {}),
      session
    }
    core.info(candidateLine(candidate))
    return candidate
  } catch (error) {
    return failed(number, approaches[number - 1]!, messageOf(error), session, started)
  }
}

function failed(
  number: number,
  approach: string,
  error: string,
  session: SessionReport | undefined,
  started = Date.now()
): WrittenCandidate {
  core.warning(`Candidate ${number}: ${error}`)
  return {
    number,
    approach,
    conclusion: session?.conclusion ?? 'failure',
    error,
    files: [],
    added: 0,
    removed: 0,
    verify: NO_VERIFY,
    costUsd: session?.costUsd ?? 0,
    durationMs: Date.now() - started,
    patch: '',
    ...(session ? { session } : {})
  }
}

/** ONE reviewer, fresh and read-only, on the base checkout, ranks the candidates. */
export async function compareCandidates(
  explore: Explore,
  task: string,
  candidates: WrittenCandidate[]
): Promise<{ ranking?: Ranking; session: SessionReport; failure?: string }> {
  const session = await runAgent(explore.agent, {
    label: 'reviewer',
    prompt: buildComparisonPrompt(task, candidates),
    tools: REVIEWER_TOOLS,
    allowedTools: REVIEWER_TOOLS,
    access: 'read',
    jsonSchema: RANKING_SCHEMA,
    settingSources: 'user',
    strictMcpConfig: true
  })
  if (session.conclusion !== 'success') {
    return { session, failure: sessionFailure('reviewer', session) }
  }
  try {
    return { session, ranking: parseRanking(session.structuredOutput, candidates.length) }
  } catch (error) {
    return { session, failure: messageOf(error) }
  }
}
