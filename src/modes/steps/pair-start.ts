/** Pair mode's first step: the pull request the loop works on, and the writer's first change. */
import type { Agent } from '../../agent/launch.js'
import type { GitHub, Repo } from '../../github/client.js'
import { appendJobSummary } from '../../github/emit.js'
import { getPullRequest } from '../../github/pulls.js'
import { redactorFor } from '../../github/redact.js'
import type { Inputs } from '../../inputs.js'
import { renderRounds, type TestsFirstRows } from '../../pair/rounds.js'
import { testsFirstStop } from '../../pair/tests-first.js'
import { NO_VERIFY, verifyCheckout, type VerifyResult } from '../../write/verify.js'
import type { ModeOutcome } from '../outcome.js'
import { testsFirstHooks } from './tests-first.js'
import { writeChanges } from './write-changes.js'

/** Where the loop starts: the pull request the writer opens, or the one `pr-number` names. */
export interface PairStart {
  prNumber: number
  prUrl: string | undefined
  writerSession: string | undefined
  verify: VerifyResult
  writeCostUsd: number
  writeCommits: number
  /** write's outputs (branch, commit-sha, pr-operation, the writer's session) carry through. */
  writeOutputs: Record<string, string>
  /** With tests-first: its red and green steps, and what the test writer cost. */
  testsFirst?: TestsFirstRows & { costUsd: number }
}

export async function openPullRequest(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  agent: Agent,
  within: (spentUsd: number) => Agent
): Promise<PairStart | { stopped: ModeOutcome }> {
  if (inputs.prNumber === undefined) {
    const { verifyCommand } = inputs
    const testsFirst =
      inputs.testsFirst && verifyCommand
        ? testsFirstHooks({ ...inputs, verifyCommand }, within, redactorFor(inputs))
        : undefined
    // The writer opens the PR; the reviewer below is the loop's own, not write mode's `review`.
    const written = await writeChanges(
      { ...inputs, review: false },
      gh,
      repo,
      within(0),
      testsFirst?.hooks
    )
    const record = testsFirst?.record
    const rows = record && {
      red: record.attempts.map(a => ({ verify: a.verify.status, costUsd: a.costUsd })),
      green: record.red?.status === 'red' && written.session ? written.verify.status : undefined,
      costUsd: record.costUsd
    }
    if (!written.pr) {
      if (record && rows) {
        const stop = testsFirstStop(record.red, record.touched.length)
        const writeCommits = 0
        await appendJobSummary(
          renderRounds({
            rounds: [],
            stop,
            writeCostUsd: written.costUsd,
            writeCommits,
            testsFirst: rows
          })
        )
      }
      return {
        stopped: { ...written.outcome, outputs: { ...written.outcome.outputs, rounds: '0' } }
      }
    }
    return {
      prNumber: written.pr.number,
      prUrl: written.pr.url,
      writerSession: written.session?.sessionId,
      verify: written.verify,
      writeCostUsd: written.costUsd,
      writeCommits: written.pushed ? 1 : 0,
      writeOutputs: written.outcome.outputs,
      testsFirst: rows
    }
  }
  const prUrl = (await getPullRequest(gh, repo, inputs.prNumber)).htmlUrl
  // Converging means green checks too: an existing PR is checked before the first review.
  const verify = inputs.verifyCommand
    ? await verifyCheckout(inputs.verifyCommand, agent, redactorFor(inputs))
    : NO_VERIFY
  const none = { writerSession: undefined, writeCostUsd: 0, writeCommits: 0, writeOutputs: {} }
  return { prNumber: inputs.prNumber, prUrl, verify, ...none }
}
