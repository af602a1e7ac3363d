/**
 * Explore's candidates, as pure functions: how many, the approaches they are given, the prompt
 * of each writer and what each reports back.
 */
import { oneLine } from '../markdown.js'
import {
  buildWriterPrompt,
  parseWriterReport,
  WRITER_REPORT_SCHEMA,
  type WriterReport
} from '../write/report.js'

export const DEFAULT_CANDIDATES = 3
/** More parallel writers on one task stop paying for themselves, and each is a full session. */
export const MAX_CANDIDATES = 8

/** The first, short step when `approaches` is empty: one session names every candidate's approach. */
export const APPROACHES_SCHEMA = {
  type: 'object',
  required: ['approaches'],
  properties: {
    approaches: {
      type: 'array',
      items: { type: 'string' },
      description:
        'One line per attempt: the approach that attempt takes, each distinctly different.'
    }
  }
}

/**
 * Candidates run at the same time and cannot see each other, so asking each for "a different
 * approach" would not make them differ: one session that sees the task names them all first.
 */
export function buildApproachesPrompt(task: string, count: number): string {
  return [
    'You are planning, not editing. Several engineers will each try the task below in a separate ' +
      `copy of this repository, at the same time. Name ${count} approaches to it, one per engineer, ` +
      'each distinctly different from the others in how it solves the task (not only in style), ' +
      'and each one that could work. Read the code first if it helps; do not change any file.',
    '',
    '<task>',
    task.trim(),
    '</task>',
    '',
    `Then call the StructuredOutput tool once with \`approaches\`: exactly ${count} lines, each ` +
      'a short imperative description of one approach.'
  ].join('\n')
}

/**
 * `count` approaches from the planning session's answer. Missing or blank lines become a plain
 * "different approach" request, so a weak answer never stops the candidates.
 */
export function parseApproaches(value: unknown, count: number): string[] {
  const given =
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as Record<string, unknown>).approaches)
      ? ((value as Record<string, unknown>).approaches as unknown[])
      : []
  const lines = given.map(item => (typeof item === 'string' ? approachLine(item) : ''))
  return Array.from({ length: count }, (_, i) => lines[i] ?? '')
}

/** What a candidate's writer reports: the writer's report, plus the approach it took. */
export interface CandidateReport extends WriterReport {
  approach: string
}

export const CANDIDATE_REPORT_SCHEMA = {
  ...WRITER_REPORT_SCHEMA,
  required: [...WRITER_REPORT_SCHEMA.required, 'approach'],
  properties: {
    ...WRITER_REPORT_SCHEMA.properties,
    approach: {
      type: 'string',
      description: 'One line: the approach you took, so that it can be compared with the others.'
    }
  }
}

export function parseCandidateReport(value: unknown): CandidateReport | undefined {
  const report = parseWriterReport(value)
  if (report === undefined) return undefined
  const approach = (value as Record<string, unknown>).approach
  return { ...report, approach: typeof approach === 'string' ? approachLine(approach) : '' }
}

export interface CandidatePromptInput {
  task: string
  /** 1-based. */
  number: number
  count: number
  /** The hint for this candidate; '' when neither `approaches` nor the planning step gave one. */
  approach: string
  allowWorkflowChanges: boolean
}

/** One candidate writer's prompt: the writer's, with its approach and the report's extra field. */
export function buildCandidatePrompt(input: CandidatePromptInput): string {
  const approach =
    input.approach === ''
      ? `Take an approach that is distinctly different from what the other ${input.count - 1} ` +
        'attempts would most likely take: not the first solution that comes to mind.'
      : `Take this approach: ${input.approach}`
  return [
    buildWriterPrompt(input.task, { allowWorkflowChanges: input.allowWorkflowChanges }),
    '',
    `This is attempt ${input.number} of ${input.count} at the same task; the others run ` +
      'separately and a reviewer compares the results. ' +
      approach,
    'In your report, also give `approach`: one line on the approach you actually took.'
  ].join('\n')
}

const MAX_APPROACH_CHARS = 200

/** One line for a table cell: control characters and white space folded, at most 200 characters. */
export function approachLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters never belong in a cell
  const chars = [...oneLine(text.replace(/[\u0000-\u001f\u007f]+/g, ' '))]
  return chars.length <= MAX_APPROACH_CHARS
    ? chars.join('')
    : `${chars.slice(0, MAX_APPROACH_CHARS - 1).join('')}…`
}
