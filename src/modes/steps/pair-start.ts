/** Pair mode's first step: the pull request the loop works on, and the writer's first change. */
import type { Agent } from '../../agent/launch.js'
import type { GitHub, Repo } from '../../github/client.js'
import { getPullRequest } from '../../github/pulls.js'
import { redactorFor } from '../../github/redact.js'
import type { Inputs } from '../../inputs.js'
import { NO_VERIFY, verifyCheckout, type VerifyResult } from '../../write/verify.js'
import type { ModeOutcome } from '../outcome.js'
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
}

export async function openPullRequest(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  agent: Agent,
  writer: Agent
): Promise<PairStart | { stopped: ModeOutcome }> {
  if (inputs.prNumber === undefined) {
    // The writer opens the PR; the reviewer below is the loop's own, not write mode's `review`.
    const written = await writeChanges({ ...inputs, review: false }, gh, repo, writer)
    if (!written.pr) {
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
      writeOutputs: written.outcome.outputs
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
