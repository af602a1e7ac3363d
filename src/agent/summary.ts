import { inertMarkdown, inlineCode, oneLine } from '../markdown.js'
import type { SessionReport } from './report.js'

const CONCLUSION_ICON: Record<string, string> = {
  success: '✅',
  failure: '❌',
  'max-turns': '⚠️',
  budget: '⚠️',
  timeout: '⏱️'
}

/** A markdown table of one session, for the job summary. */
export function renderSessionSummary(report: SessionReport, title: string): string {
  const rows: [string, string][] = [
    ['Conclusion', `${CONCLUSION_ICON[report.conclusion] ?? ''} ${report.conclusion}`.trim()],
    ['Model', report.model ? inlineCode(report.model) : '—'],
    ['Turns', String(report.numTurns)],
    ['Cost', `$${report.costUsd.toFixed(4)}`],
    ['Duration', formatDuration(report.durationMs)],
    [
      'Tokens',
      `${report.tokens.input.toLocaleString('en-US')} in · ${report.tokens.output.toLocaleString('en-US')} out · ` +
        `${report.tokens.cacheRead.toLocaleString('en-US')} cache read · ${report.tokens.cacheCreation.toLocaleString('en-US')} cache write`
    ],
    ['Session', report.sessionId ? inlineCode(report.sessionId) : '—']
  ]
  const lines = [`### ${title}`, '', '| | |', '|---|---|']
  for (const [name, value] of rows) lines.push(`| ${name} | ${escapeCell(value)} |`)

  const tools = Object.entries(report.toolCounts).sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0])
  )
  if (tools.length > 0) {
    lines.push('', '| Tool | Calls |', '|---|---:|')
    for (const [tool, count] of tools) lines.push(`| ${inlineCode(tool)} | ${count} |`)
  }
  if (report.denials.length > 0) {
    lines.push(
      '',
      `**Permission denials (${report.denials.length})** — the agent asked for tools it was not allowed:`,
      ''
    )
    for (const denial of report.denials) {
      lines.push(
        `- ${inlineCode(denial.tool)}${denial.input ? ` ${inlineCode(denial.input)}` : ''}`
      )
    }
  }
  if (report.errors.length > 0) {
    lines.push('', '**Errors**', '')
    for (const error of report.errors) lines.push(`- ${inertMarkdown(cappedLine(error))}`)
  }
  if (report.invalidLines > 0) {
    lines.push(
      '',
      `${report.invalidLines} line(s) of CLI output were not JSON and were logged as text.`
    )
  }
  return lines.join('\n') + '\n'
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

/** One line, at most 500 characters: a summary cell. */
function cappedLine(text: string): string {
  const flat = oneLine(text)
  return flat.length > 500 ? `${flat.slice(0, 499)}…` : flat
}
