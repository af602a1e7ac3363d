import { fenced, inertMarkdown, neutralizeMarkers, oneLine, tableCell } from '../markdown.js'
import type { ReviewThread } from '../github/threads.js'
import type { VerifyResult } from '../write/verify.js'
import type { ThreadAnswer, ThreadStatus } from './answer.js'
import { commentText, threadLocation } from './prompt.js'
import { addressedMarker, type AddressableThread, type SkippedThread } from './threads.js'

export interface PushedCommit {
  sha: string
  url: string
}

export interface ReplyInput {
  answer: ThreadAnswer
  /** The databaseId of the comment answered; recorded so the thread is not answered twice. */
  answering: number
  /** The commit that carries this run's changes, once pushed. */
  commit?: PushedCommit
  /** Why this run's changes were not pushed, when there were changes. */
  notPushed?: string
  branch: string
  verify: VerifyResult
}

const STATUS_LABEL: Record<ThreadStatus, string> = {
  fixed: '✅ Fixed',
  wont_fix: "🙅 Won't fix",
  question: '❓ Question'
}

/**
 * Whether a thread is resolved after its answer: fixed, and the fix is on the branch (or no
 * change was needed), and the workflow's own check did not fail on it.
 */
export function shouldResolve(
  status: ThreadStatus,
  run: { notPushed?: string; verify: VerifyResult }
): boolean {
  return status === 'fixed' && run.notPushed === undefined && run.verify.status !== 'failed'
}

/** The writer's answer as a reply in the thread, ending with the marker that records it. */
export function renderReply(input: ReplyInput): string {
  const { answer } = input
  let head = `**${STATUS_LABEL[answer.status]}**`
  if (answer.status === 'fixed') {
    if (input.notPushed !== undefined) head = '**⚠️ Fixed, but not pushed**'
    else if (input.commit) head += ` in [\`${input.commit.sha.slice(0, 7)}\`](${input.commit.url})`
    else head += ' — no change was needed'
  }
  const parts = [head, '', inertMarkdown(answer.reply)]
  if (input.notPushed !== undefined) {
    parts.push(
      '',
      `> [!WARNING]\n> The changes could not be pushed to \`${input.branch}\`: ${oneLine(input.notPushed)}` +
        "\n> This answer is all that landed; the diff is in the workflow run's job summary."
    )
  }
  const verify = input.verify
  if (verify.status !== 'none' && verify.command !== undefined) {
    parts.push(
      '',
      verify.status === 'passed'
        ? `✅ \`${oneLine(verify.command)}\` passed.`
        : `❌ \`${oneLine(verify.command)}\` failed after these changes` +
            (typeof verify.exitCode === 'number' ? ` (exit ${verify.exitCode})` : '') +
            (answer.status === 'fixed' ? '; the thread stays open.' : '.')
    )
  }
  const pushedSha = input.notPushed === undefined ? input.commit?.sha : undefined
  // A fix that never reached the branch leaves the comment unanswered: a later run (after the
  // push problem is solved) addresses it again instead of skipping it for good.
  if (input.notPushed === undefined || answer.status !== 'fixed') {
    parts.push('', addressedMarker(input.answering, pushedSha))
  }
  return parts.join('\n')
}

/** A thread's title for lists: the first line of its opening comment, without the severity. */
export function threadTitle(thread: ReviewThread): string {
  const first = commentText(thread.comments[0]?.body ?? '')
    .split('\n')[0]!
    .replace(/^\*\*[^*]+\*\*\s*·\s*/, '')
    .trim()
  return first.length > 100 ? `${first.slice(0, 99)}…` : first || '(no text)'
}

/** The commit message when `commit-message` is empty: what was addressed, one thread a line. */
export function commitMessage(
  prNumber: number,
  threads: AddressableThread[],
  answers: ReadonlyMap<string, ThreadAnswer>
): string {
  const fixed = threads.filter(t => answers.get(t.thread.id)?.status === 'fixed')
  const listed = fixed.length > 0 ? fixed : threads
  const lines = [
    `Address review on #${prNumber}: ${listed.length} thread${listed.length === 1 ? '' : 's'}`,
    ''
  ]
  for (const item of listed.slice(0, 50)) {
    lines.push(`- ${threadLocation(item.thread)}: ${threadTitle(item.thread)}`)
  }
  if (listed.length > 50) lines.push(`- … and ${listed.length - 50} more`)
  return lines.join('\n')
}

export interface AddressSummaryInput {
  prNumber: number
  branch: string
  threads: AddressableThread[]
  answers: ReadonlyMap<string, ThreadAnswer>
  /** Thread ids that were resolved. */
  resolved: ReadonlySet<string>
  skipped: SkippedThread[]
  problems: string[]
  commit?: PushedCommit
  notPushed?: string
  changedFiles: string[]
  /** The unpushed diff, so that nothing the writer did is lost when the push fails. */
  diff?: string
  verify: string
  resumed: boolean
}

const MAX_SUMMARY_DIFF = 60_000

/** The job summary of an address run: one row per thread, then what landed where. */
export function renderAddressSummary(input: AddressSummaryInput): string {
  const lines = [
    `### Tandem · address #${input.prNumber}`,
    '',
    `Writer session: ${input.resumed ? 'resumed' : 'fresh'}.`,
    '',
    '| Thread | Status | Resolved | Reply |',
    '|---|---|---|---|'
  ]
  for (const item of input.threads) {
    const answer = input.answers.get(item.thread.id)
    const status = answer ? STATUS_LABEL[answer.status] : '⚠️ no answer'
    lines.push(
      `| \`${tableCell(threadLocation(item.thread))}\` ${tableCell(threadTitle(item.thread))} | ${status} | ` +
        `${input.resolved.has(item.thread.id) ? 'yes' : 'no'} | ${tableCell(inertMarkdown(excerpt(answer?.reply ?? '—')))} |`
    )
  }
  lines.push('')
  if (input.commit) {
    lines.push(
      `**Commit:** [\`${input.commit.sha.slice(0, 12)}\`](${input.commit.url}) pushed to \`${input.branch}\` ` +
        `(${input.changedFiles.length} file${input.changedFiles.length === 1 ? '' : 's'})`
    )
  } else if (input.notPushed !== undefined) {
    lines.push(`**Not pushed:** ${oneLine(input.notPushed)}`)
  } else {
    lines.push('**Commit:** none, nothing changed')
  }
  if (input.verify) lines.push('', input.verify)
  if (input.problems.length > 0) {
    lines.push('', "**Problems with the writer's answer**", '')
    for (const problem of input.problems) lines.push(`- ${oneLine(problem)}`)
  }
  if (input.skipped.length > 0) {
    lines.push(
      '',
      `<details><summary>Threads not addressed (${input.skipped.length})</summary>`,
      ''
    )
    for (const { thread, reason } of input.skipped) {
      lines.push(`- \`${threadLocation(thread)}\` ${threadTitle(thread)}: ${reason}`)
    }
    lines.push('', '</details>')
  }
  if (input.diff) {
    const diff =
      input.diff.length > MAX_SUMMARY_DIFF
        ? `${input.diff.slice(0, MAX_SUMMARY_DIFF)}\n… (cut at ${MAX_SUMMARY_DIFF} characters)`
        : input.diff
    lines.push('', '<details><summary>The changes that were not pushed</summary>', '')
    lines.push(fenced(neutralizeMarkers(diff), 'diff'), '', '</details>')
  }
  return lines.join('\n') + '\n'
}

function excerpt(text: string): string {
  const flat = oneLine(text)
  return flat.length > 140 ? `${flat.slice(0, 139)}…` : flat
}
