/**
 * Which candidate explore publishes: the reviewer ranks, and two rules it cannot override
 * decide what may be chosen at all.
 */
import type { SessionConclusion } from '../agent/report.js'
import { parseReviewOutput, REVIEW_SCHEMA, type Finding } from '../review/findings.js'
import type { VerifyResult } from '../write/verify.js'
import { approachLine } from './candidates.js'

/** What explore knows about one candidate once its writer and its check are over. */
export interface Candidate {
  /** 1-based, in the order of `approaches`. */
  number: number
  approach: string
  conclusion: SessionConclusion
  /** Why the change was refused (workflow files, a credential, …), or why the candidate failed. */
  error?: string
  files: string[]
  added: number
  removed: number
  verify: VerifyResult
  costUsd: number
  durationMs: number
}

/** Why a candidate can never be chosen, or undefined when it can. */
export function whyNotChoosable(candidate: Candidate): string | undefined {
  if (candidate.error !== undefined) return candidate.error
  if (candidate.files.length === 0) return 'it changed nothing'
  if (candidate.verify.status === 'failed') return 'its check failed'
  if (candidate.conclusion !== 'success') return `its session ended with ${candidate.conclusion}`
  return undefined
}

export interface RankEntry {
  candidate: number
  rank: number
  reason: string
}

/** The comparing reviewer's answer. */
export interface Ranking {
  chosen: number
  summary: string
  ranking: RankEntry[]
  /** Blocking findings of the chosen candidate's change. */
  findings: Finding[]
}

/** The comparing reviewer's `--json-schema`. */
export const RANKING_SCHEMA = {
  type: 'object',
  required: ['chosen', 'summary', 'ranking', 'findings'],
  properties: {
    chosen: {
      type: 'integer',
      minimum: 1,
      description: 'The number of the candidate whose change should be merged.'
    },
    summary: { type: 'string', description: 'Two or three sentences: why that one.' },
    ranking: {
      type: 'array',
      description: 'Every candidate once, best first.',
      items: {
        type: 'object',
        required: ['candidate', 'rank', 'reason'],
        properties: {
          candidate: { type: 'integer', minimum: 1 },
          rank: { type: 'integer', minimum: 1 },
          reason: { type: 'string', description: 'One line on this candidate.' }
        }
      }
    },
    findings: {
      ...REVIEW_SCHEMA.properties.findings,
      description: "Problems in the chosen candidate's change that must be fixed before merging."
    }
  }
}

/**
 * The reviewer's answer, checked: candidate numbers that do not exist and duplicate entries are
 * dropped (the rules below decide anyway); a missing object or `chosen` is a failed comparison.
 */
export function parseRanking(value: unknown, count: number): Ranking {
  if (typeof value !== 'object' || value === null) {
    throw new Error('the reviewer returned no ranking')
  }
  const record = value as Record<string, unknown>
  const known = (n: unknown): n is number =>
    Number.isInteger(n) && (n as number) >= 1 && (n as number) <= count
  if (!known(record.chosen)) {
    throw new Error(
      `the reviewer chose ${JSON.stringify(record.chosen)}: expected a candidate from 1 to ${count}`
    )
  }
  const ranking: RankEntry[] = []
  for (const item of Array.isArray(record.ranking) ? record.ranking : []) {
    if (typeof item !== 'object' || item === null) continue
    const { candidate, rank, reason } = item as Record<string, unknown>
    if (!known(candidate) || ranking.some(entry => entry.candidate === candidate)) continue
    ranking.push({
      candidate,
      rank: Number.isInteger(rank) && (rank as number) >= 1 ? (rank as number) : count,
      reason: typeof reason === 'string' ? approachLine(reason) : ''
    })
  }
  const findings = Array.isArray(record.findings)
    ? parseReviewOutput({ summary: '', verdict: 'comment', findings: record.findings }).findings
    : []
  return {
    chosen: record.chosen,
    summary: typeof record.summary === 'string' ? record.summary.trim() : '',
    ranking,
    findings
  }
}

export interface Choice {
  /** The candidate to publish; undefined when none may be chosen. */
  chosen?: number
  /** Set when the rules replaced the reviewer's pick: what the reviewer chose and why not. */
  overruled?: string
}

/**
 * The reviewer's pick if it may be chosen; else the best-ranked candidate that may, then the
 * smallest change among those the reviewer did not rank. A failed check or an empty change is
 * never chosen, whatever the reviewer prefers.
 */
export function chooseCandidate(candidates: Candidate[], ranking: Ranking | undefined): Choice {
  const choosable = candidates.filter(candidate => whyNotChoosable(candidate) === undefined)
  if (choosable.length === 0 || ranking === undefined) return {}
  const picked = candidates.find(candidate => candidate.number === ranking.chosen)
  if (picked && whyNotChoosable(picked) === undefined) return { chosen: picked.number }
  const rankOf = (n: number): number =>
    ranking.ranking.find(entry => entry.candidate === n)?.rank ?? Number.POSITIVE_INFINITY
  const best = [...choosable].sort(
    (a, b) =>
      rankOf(a.number) - rankOf(b.number) ||
      a.added + a.removed - (b.added + b.removed) ||
      a.number - b.number
  )[0]!
  // parseRanking accepts only candidates that exist.
  const why = whyNotChoosable(picked!)
  return {
    chosen: best.number,
    overruled: `The reviewer chose candidate ${ranking.chosen}, but ${why}; candidate ${best.number} is the best-ranked one that may be chosen.`
  }
}
