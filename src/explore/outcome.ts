import type { Choice } from './choose.js'
import type { CandidateEntry } from './render.js'

/** Explore's own outputs, beside write's: the chosen number ('' for none) and the table. */
export function exploreOutputs(
  choice: Choice,
  entries: CandidateEntry[],
  costUsd: number
): Record<string, string> {
  return {
    chosen: choice.chosen === undefined ? '' : String(choice.chosen),
    candidates: JSON.stringify(entries),
    'cost-usd': String(costUsd)
  }
}

/** Why nothing is published: the comparison failed, or no candidate may be chosen. */
export function noChoiceReason(comparisonFailure: string | undefined): string {
  return comparisonFailure !== undefined
    ? `the reviewer did not rank the candidates (${comparisonFailure})`
    : 'every candidate failed its check, changed nothing, failed or was refused'
}

/** The job summary's explore part: the comparison, and why nothing was pushed if it was not. */
export function renderExploreSummary(section: string, noChoice: string | undefined): string {
  const why =
    noChoice === undefined
      ? ''
      : `No candidate can be published: ${noChoice}. Nothing was pushed.\n\n`
  return `## Tandem · explore\n\n${why}${section}\n`
}
