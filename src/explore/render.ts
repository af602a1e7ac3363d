import { formatDuration } from '../agent/summary.js'
import { inertMarkdown, inlineCode, tableCell, oneLine } from '../markdown.js'
import type { Candidate, Choice, Ranking } from './choose.js'

/** One candidate in the `candidates` output (CONTRACT.md: approach, verify, cost, rank, reason). */
export interface CandidateEntry {
  candidate: number
  approach: string
  status: string
  files: number
  added: number
  removed: number
  verify: string
  cost_usd: number
  rank: number | null
  reason: string
  chosen: boolean
  error: string | null
}

export function candidateEntries(
  candidates: Candidate[],
  ranking: Ranking | undefined,
  choice: Choice
): CandidateEntry[] {
  return candidates.map(candidate => {
    const entry = ranking?.ranking.find(ranked => ranked.candidate === candidate.number)
    return {
      candidate: candidate.number,
      approach: candidate.approach,
      status: candidate.conclusion,
      files: candidate.files.length,
      added: candidate.added,
      removed: candidate.removed,
      verify: candidate.verify.status,
      cost_usd: candidate.costUsd,
      rank: entry?.rank ?? null,
      reason: entry?.reason ?? '',
      chosen: choice.chosen === candidate.number,
      error: candidate.error ?? null
    }
  })
}

const VERIFY_CELL: Record<string, string> = { passed: '✅ passed', failed: '❌ failed', none: '—' }

/** The comparison table: every candidate, the chosen one marked. Model text is made inert. */
export function renderComparisonTable(entries: CandidateEntry[]): string {
  const lines = [
    '| Candidate | Approach | Files | Lines +/− | Verify | Cost | Rank | Reason |',
    '|---:|---|---:|---|---|---:|---:|---|'
  ]
  for (const entry of entries) {
    const reason = entry.error !== null ? `${entry.error}. ${entry.reason}` : entry.reason
    lines.push(
      `| ${entry.chosen ? `**${entry.candidate}** ✔` : entry.candidate} | ` +
        `${tableCell(inertMarkdown(entry.approach)) || '—'} | ${entry.files} | ` +
        `+${entry.added} −${entry.removed} | ${VERIFY_CELL[entry.verify] ?? entry.verify} | ` +
        `$${entry.cost_usd.toFixed(4)} | ${entry.rank ?? '—'} | ` +
        `${tableCell(inertMarkdown(reason.trim())) || '—'} |`
    )
  }
  return lines.join('\n')
}

export interface ExploreSectionInput {
  entries: CandidateEntry[]
  ranking: Ranking | undefined
  choice: Choice
  /** Where the other candidates' patches are: the artifact's name, and its file per candidate. */
  artifact?: { name: string; files: Record<number, string> }
}

/** The part of the pull request body (and the job summary) that compares the candidates. */
export function renderExploreSection(input: ExploreSectionInput): string {
  const parts = ['### Candidates', '', renderComparisonTable(input.entries)]
  const chosen = input.choice.chosen
  if (input.ranking?.summary && chosen !== undefined) {
    // Overruled, the reviewer's words argue for its own pick, not for the one published.
    const label = input.choice.overruled ? "The reviewer's comparison" : `Why candidate ${chosen}`
    // One line: text shaped by a hostile diff must not render a table or a heading of its own.
    const summary = oneLine(inertMarkdown(input.ranking.summary))
    parts.push('', `**${label}:** ${summary}`)
  }
  if (input.choice.overruled) parts.push('', `> ${input.choice.overruled}`)
  if (input.ranking && input.ranking.findings.length > 0 && !input.choice.overruled) {
    parts.push('', "The reviewer's concerns about the chosen change:")
    for (const finding of input.ranking.findings) {
      const where = inlineCode(`${finding.path}:${finding.line}`)
      parts.push(`- **${finding.severity}** ${tableCell(inertMarkdown(finding.title))} (${where})`)
    }
  }
  const artifact = input.artifact
  const kept = input.entries.filter(entry => !entry.chosen && artifact?.files[entry.candidate])
  if (artifact && kept.length > 0) {
    const list = kept
      .map(
        entry => `candidate ${entry.candidate} in ${inlineCode(artifact.files[entry.candidate]!)}`
      )
      .join(', ')
    parts.push(
      '',
      `The other candidates' changes are kept in this run's artifact ${inlineCode(artifact.name)}: ` +
        `${list} (apply one with \`git apply\`).`
    )
  }
  return parts.join('\n')
}

/** A one-line account of a candidate for the log. */
export function candidateLine(candidate: Candidate): string {
  return (
    `candidate ${candidate.number}: ${candidate.conclusion}, ${candidate.files.length} files ` +
    `(+${candidate.added} −${candidate.removed}), verify ${candidate.verify.status}, ` +
    `$${candidate.costUsd.toFixed(2)}, ${formatDuration(candidate.durationMs)}`
  )
}
