import {
  fenced,
  inertMarkdown,
  inlineCode,
  neutralizeMarkers,
  oneLine,
  tableCell
} from '../markdown.js'
import type { WriterReport } from './report.js'
import type { VerifyResult } from './verify.js'

/** Marks a pull request body as Tandem's, with the branch it was written for. */
export function writeMarker(branch: string): string {
  return `<!-- tandem:write branch=${branch.replace(/-->/g, '')} -->`
}

const MAX_TITLE_CHARS = 72

/** A pull request title (or commit subject): the first line of `text`, cut at a word. */
export function titleFrom(text: string): string {
  const line = (text.split(/\r?\n/).find(l => l.trim() !== '') ?? '')
    .trim()
    .replace(/^#+\s*/, '')
    .replace(/\s+/g, ' ')
  const withoutDot = line.replace(/(?<!\.)\.$/, '')
  if ([...withoutDot].length <= MAX_TITLE_CHARS) return withoutDot
  const cut = [...withoutDot].slice(0, MAX_TITLE_CHARS - 1).join('')
  const space = cut.lastIndexOf(' ')
  return `${(space > MAX_TITLE_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`
}

/** The title when `pr-title` is empty: the report's first line, else the task's. */
export function pullRequestTitle(report: WriterReport | undefined, prompt: string): string {
  return titleFrom(report?.summary ?? '') || titleFrom(prompt) || 'Changes by Tandem'
}

/** The commit message when `commit-message` is empty: a subject line, then what changed and why. */
export function commitMessage(report: WriterReport | undefined, prompt: string): string {
  const subject = pullRequestTitle(report, prompt)
  const lines = [subject]
  const rest = report?.summary.trim() ?? ''
  if (rest !== '' && titleFrom(rest) !== rest.replace(/\.$/, '')) lines.push('', rest)
  if (report && report.changes.length > 0) {
    lines.push('')
    for (const change of report.changes.slice(0, 50)) {
      lines.push(`- ${change.path}${change.why.trim() ? `: ${oneLine(change.why)}` : ''}`)
    }
  }
  return lines.join('\n')
}

export interface PullRequestBodyInput {
  branch: string
  /** `pr-body`: the workflow author's text, placed first. */
  userBody?: string
  report: WriterReport | undefined
  /** What git says changed: the truth the report's list is checked against. */
  changedFiles: string[]
  verify: VerifyResult
  session: { costUsd: number; numTurns: number; model?: string }
  /** A mode's own section after the verify result (explore's comparison of candidates). */
  appendix?: string
}

const MAX_FILE_ROWS = 100

/**
 * The pull request's body. Everything in it is stable for the same result (no times, no run
 * ids), so an identical re-run renders an identical body and GitHub is left alone.
 */
export function renderPullRequestBody(input: PullRequestBodyInput): string {
  const parts: string[] = []
  // The writer's words are posted inert: no mention pings, no image loads, no HTML or marker.
  const reported = input.report?.summary.trim()
  const summary = reported ? inertMarkdown(reported) : reported
  if (input.userBody?.trim()) {
    parts.push(input.userBody.trim())
    if (summary) parts.push('### What the writer did', summary)
  } else {
    parts.push(summary || '_The writer did not report what it changed; the diff is below._')
  }

  const why = new Map<string, string>()
  for (const change of input.report?.changes ?? []) why.set(change.path, inertMarkdown(change.why))
  const files = [...input.changedFiles].sort()
  parts.push(`### Changes (${files.length} file${files.length === 1 ? '' : 's'})`)
  const rows = ['| File | Why |', '|---|---|']
  for (const file of files.slice(0, MAX_FILE_ROWS)) {
    rows.push(`| ${tableCell(inlineCode(file))} | ${tableCell(why.get(file) ?? '') || '—'} |`)
  }
  if (files.length > MAX_FILE_ROWS) rows.push(`| … and ${files.length - MAX_FILE_ROWS} more | |`)
  parts.push(rows.join('\n'))

  const verify = renderVerify(input.verify)
  if (verify) parts.push('### Verify', verify)
  if (input.appendix) parts.push(input.appendix)

  const { costUsd, numTurns, model } = input.session
  parts.push(
    '---',
    `<sub>Written by Tandem with Claude Code${model ? ` (${inlineCode(model)})` : ''}: ` +
      `${numTurns} turn${numTurns === 1 ? '' : 's'}, $${costUsd.toFixed(4)}. ` +
      `Branch ${inlineCode(input.branch)}; a re-run with the same prompt updates this pull request.</sub>`,
    writeMarker(input.branch)
  )
  return parts.join('\n\n') + '\n'
}

/** The verify result for a body or a summary; '' when no command ran. */
export function renderVerify(verify: VerifyResult): string {
  if (verify.status === 'none' || verify.command === undefined) return ''
  const how = verify.timedOut
    ? 'timed out'
    : verify.exitCode === null || verify.exitCode === undefined
      ? 'could not run'
      : `exit ${verify.exitCode}`
  const head =
    verify.status === 'passed'
      ? `✅ ${inlineCode(verify.command)} passed (${how})`
      : `❌ ${inlineCode(verify.command)} failed (${how}). A failing check does not stop the pull ` +
        'request: it is reported here for the reviewer and for you.'
  if (!verify.tail) return head
  const label = verify.truncated ? 'The end of its output' : 'Its output'
  return [
    head,
    '',
    `<details><summary>${label}</summary>`,
    '',
    fenced(neutralizeMarkers(verify.tail), 'text'),
    '',
    '</details>'
  ].join('\n')
}

export interface WriteSummaryInput {
  branch: string
  base: string
  commitSha: string | undefined
  /** False when the branch already held the same tree and nothing was pushed. */
  pushed: boolean
  changedFiles: string[]
  pr?: { number: number; url: string; operation: 'created' | 'updated' | 'none' }
  verify: VerifyResult
  /** Why nothing was pushed, when the run stopped before that. */
  stopped?: string
}

/** What landed where, for the job summary (the session table goes above it). */
export function renderWriteSummary(input: WriteSummaryInput): string {
  const rows: [string, string][] = []
  if (input.stopped) rows.push(['Result', input.stopped])
  rows.push(['Branch', `${inlineCode(input.branch)} → ${inlineCode(input.base)}`])
  rows.push([
    'Commit',
    input.commitSha
      ? `${inlineCode(input.commitSha.slice(0, 12))} ${input.pushed ? '(pushed)' : '(the branch already had this tree: not pushed)'}`
      : '—'
  ])
  rows.push(['Changed files', String(input.changedFiles.length)])
  if (input.pr) {
    rows.push(['Pull request', `[#${input.pr.number}](${input.pr.url}) (${input.pr.operation})`])
  }
  rows.push(['Verify', input.verify.status === 'none' ? 'not run' : input.verify.status])
  const lines = ['### Tandem · write', '', '| | |', '|---|---|']
  for (const [name, value] of rows) lines.push(`| ${name} | ${value.replace(/\|/g, '\\|')} |`)
  const verify = renderVerify(input.verify)
  if (verify) lines.push('', verify)
  if (input.changedFiles.length > 0) {
    lines.push('', '<details><summary>Changed files</summary>', '')
    for (const file of [...input.changedFiles].sort().slice(0, 200))
      lines.push(`- ${inlineCode(file)}`)
    if (input.changedFiles.length > 200)
      lines.push(`- … and ${input.changedFiles.length - 200} more`)
    lines.push('', '</details>')
  }
  return lines.join('\n') + '\n'
}

/** A fenced block that no backtick run inside `text` can close early. */
