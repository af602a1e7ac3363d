import type { SessionReport } from '../agent/report.js'
import { renderSessionSummary } from '../agent/summary.js'
import { renderWriteSummary } from './render.js'
import type { WriterReport } from './report.js'
import type { VerifyResult } from './verify.js'

/** What one write found and did, filled in step by step. */
export interface WriteFacts {
  branch: string
  base: string
  report?: WriterReport
  changedFiles: string[]
  commitSha?: string
  pushed: boolean
  verify: VerifyResult
  pr?: { number: number; url: string; operation: 'created' | 'updated' | 'none'; headSha?: string }
  stopped?: string
}

/** Why a change is not published: what the refusal reads as, in the summary and as the failure. */
export interface Refusal {
  stopped: string
  failure: string
}

export function workflowRefusal(
  workflows: string[],
  allowWorkflowChanges: boolean
): Refusal | undefined {
  if (workflows.length === 0 || allowWorkflowChanges) return undefined
  return {
    stopped: 'refused: workflow files changed',
    failure:
      `The writer changed workflow files (${workflows.join(', ')}), which allow-workflow-changes ` +
      'does not allow: nothing was committed or pushed. The working tree is left as the ' +
      'writer left it. Set allow-workflow-changes: true if the task is meant to change ' +
      'workflows (the token then needs the workflows permission).'
  }
}

export function secretRefusal(leaking: string[]): Refusal | undefined {
  if (leaking.length === 0) return undefined
  return {
    stopped: 'refused: a credential in the changes',
    failure:
      `The changes would publish a credential of this run (in ${leaking.join(', ')}): nothing ` +
      'was committed or pushed.'
  }
}

/** The job summary of a write: the writer's session, then what landed where. */
export function writeSummary(
  session: SessionReport,
  facts: WriteFacts,
  failure: string | undefined
): string {
  return (
    renderSessionSummary(session, 'Tandem · writer session') +
    '\n' +
    renderWriteSummary({
      branch: facts.branch,
      base: facts.base,
      commitSha: facts.commitSha,
      pushed: facts.pushed,
      changedFiles: facts.changedFiles,
      pr: facts.pr,
      verify: facts.verify,
      stopped: failure ? (facts.stopped ?? 'failed') : facts.stopped
    })
  )
}

/** Write mode's own outputs; the writer session's outputs go before them. */
export function writeOutputs(facts: WriteFacts): Record<string, string> {
  return {
    'pr-number': facts.pr ? String(facts.pr.number) : '',
    'pr-url': facts.pr?.url ?? '',
    'pr-operation': facts.pr?.operation ?? 'none',
    branch: facts.branch,
    'commit-sha': facts.commitSha ?? '',
    'changed-files': JSON.stringify(facts.changedFiles),
    'verify-result': facts.verify.status
  }
}
