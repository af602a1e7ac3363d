import { fenced } from '../markdown.js'
import type { Candidate } from './choose.js'

/** A candidate as the comparing reviewer sees it: what explore knows, and the change itself. */
export interface CandidateForReview extends Candidate {
  /** The candidate's change as a unified diff against the shared base ('' for none). */
  patch: string
}

/** Characters of all candidates' diffs together; each gets an equal share. */
export const COMPARISON_DIFF_BUDGET = 150_000

/**
 * The comparing reviewer's prompt. Everything but Tandem's own sentences — the task, the
 * approaches, the diffs and the check's output — is data written by others, so it is fenced.
 */
export function buildComparisonPrompt(
  task: string,
  candidates: CandidateForReview[],
  budget = COMPARISON_DIFF_BUDGET
): string {
  const share = Math.floor(budget / Math.max(1, candidates.length))
  const parts = [
    `${candidates.length} engineers each tried the same task in a separate copy of this repository, ` +
      'from the same base. Compare their changes as a careful senior reviewer would and choose the ' +
      'one that should be merged: correct first, then the one whose check passed, then simpler, ' +
      'smaller and easier to maintain. You have read-only tools (Read, Grep, Glob) on the base ' +
      'checkout; there is no shell. Do not try to change files.',
    '',
    'The task:',
    fenced(task.trim(), 'text')
  ]
  for (const candidate of candidates) {
    parts.push('', `## Candidate ${candidate.number}`, '')
    // Quoted: an approach is written by a model and could pose as one of these lines.
    parts.push(
      `- approach: ${candidate.approach === '' ? '(not stated)' : JSON.stringify(candidate.approach)}`
    )
    parts.push(
      `- session: ${candidate.conclusion}${candidate.error ? ` — ${candidate.error}` : ''}`
    )
    parts.push(
      `- files: ${candidate.files.length} (+${candidate.added} −${candidate.removed} lines), cost $${candidate.costUsd.toFixed(2)}`
    )
    parts.push(`- check: ${checkLine(candidate)}`)
    if (candidate.verify.status === 'failed' && candidate.verify.tail) {
      parts.push('', 'The end of the check output:', fenced(candidate.verify.tail, 'text'))
    }
    if (candidate.patch === '') {
      parts.push('', 'It changed nothing.')
    } else {
      const cut = candidate.patch.length > share
      parts.push(
        '',
        cut
          ? `Its diff (the first ${share} characters; the rest is cut, and its files are not on disk):`
          : 'Its diff:',
        fenced(cut ? candidate.patch.slice(0, share) : candidate.patch, 'diff')
      )
    }
  }
  parts.push(
    '',
    'A candidate whose check failed, or that changed nothing, cannot be merged: never choose one ' +
      'when another candidate is usable.',
    'Call the StructuredOutput tool once with `chosen` (a candidate number), `summary` (why), ' +
      '`ranking` (every candidate once, best first, each with `rank` from 1 and a one-line ' +
      '`reason`) and `findings` (problems in the chosen change that must be fixed before it is ' +
      'merged, with path, line of the new file, severity, title and body; [] when there are none).'
  )
  return parts.join('\n')
}

function checkLine(candidate: Candidate): string {
  const verify = candidate.verify
  if (verify.status === 'none') return 'no check was run'
  const how = verify.timedOut ? 'timed out' : `exit ${verify.exitCode ?? 'none'}`
  return `${verify.status} (${how})`
}
