import { isAuthoredBy } from '../github/identity.js'
import type { ReviewThread, ThreadComment } from '../github/threads.js'
import { readFingerprints, trailerMarkers } from '../review/findings.js'

/** Who opened the thread: Tandem's reviewer, or a person with write permission. */
export type ThreadOrigin = 'tandem' | 'human'

/** One thread the writer is asked to address in this run. */
export interface AddressableThread {
  thread: ReviewThread
  origin: ThreadOrigin
  /**
   * What the writer sees of the conversation: Tandem's finding, Tandem's earlier answers, and
   * (with include-human-comments) comments of people who may write. Anyone can comment on a
   * public pull request, so nobody else's words reach a session that edits the code.
   */
  comments: ThreadComment[]
  /** The comment this run answers: the last request in the thread. */
  answering: ThreadComment & { databaseId: number }
}

export interface SkippedThread {
  thread: ReviewThread
  reason: string
}

export interface ThreadSelection {
  selected: AddressableThread[]
  skipped: SkippedThread[]
}

export interface SelectOptions {
  includeHumanComments: boolean
  /** Whether a person may push to the repository (the caller looks it up, once per login). */
  canWrite: (login: string) => boolean
  /** Tandem's own login (tandemLogin): markers count only in its comments. */
  tandem: string
}

/** Ends every answer Tandem posts in a thread: the comment it answered, and the commit if any. */
export function addressedMarker(commentId: number, commitSha?: string): string {
  return commitSha
    ? `<!-- tandem:addressed comment=${commentId} commit=${commitSha} -->`
    : `<!-- tandem:addressed comment=${commentId} -->`
}

export interface AddressedMark {
  commentId: number
  commitSha?: string
}

/** The answers recorded in a body's trailer (trailerMarkers); markers elsewhere do not count. */
export function readAddressed(body: string): AddressedMark[] {
  return trailerMarkers(body).flatMap(marker => {
    const match = /^<!-- tandem:addressed comment=(\d+)(?: commit=([0-9a-f]{7,64}))? -->$/.exec(
      marker
    )
    if (!match) return []
    return [
      match[2]
        ? { commentId: Number(match[1]), commitSha: match[2] }
        : { commentId: Number(match[1]) }
    ]
  })
}

// Markers count only in comments written by Tandem's own login: anyone (another bot, a person,
// the model's text quoted in a reply) could paste a marker to have a thread skipped or taken.
function isOwn(comment: ThreadComment, tandem: string): boolean {
  return isAuthoredBy({ login: comment.author, isBot: comment.authorIsBot }, tandem)
}

function isTandemAnswer(comment: ThreadComment, tandem: string): boolean {
  return isOwn(comment, tandem) && readAddressed(comment.body).length > 0
}

function isTandemFinding(comment: ThreadComment, tandem: string): boolean {
  return isOwn(comment, tandem) && readFingerprints(comment.body).length > 0
}

/** People whose permission decides whether their threads and comments are addressed. */
export function peopleToCheck(threads: ReviewThread[], includeHumanComments: boolean): string[] {
  if (!includeHumanComments) return []
  const logins = new Set<string>()
  for (const thread of threads) {
    if (thread.isResolved) continue
    for (const comment of thread.comments) {
      if (!comment.authorIsBot && comment.author) logins.add(comment.author)
    }
  }
  return [...logins].sort()
}

/**
 * The unresolved threads to address now. A thread is addressed once per comment: when Tandem's
 * answer already names the thread's last request, it waits for a new comment.
 */
export function selectThreads(threads: ReviewThread[], options: SelectOptions): ThreadSelection {
  const selection: ThreadSelection = { selected: [], skipped: [] }
  const { tandem } = options
  const answer = (comment: ThreadComment): boolean => isTandemAnswer(comment, tandem)
  const finding = (comment: ThreadComment): boolean => isTandemFinding(comment, tandem)
  const trustedPerson = (comment: ThreadComment): boolean =>
    options.includeHumanComments &&
    !comment.authorIsBot &&
    !isOwn(comment, tandem) &&
    comment.author !== undefined &&
    options.canWrite(comment.author)
  for (const thread of threads) {
    if (thread.isResolved) continue
    const skip = (reason: string) => selection.skipped.push({ thread, reason })
    const first = thread.comments[0]
    if (!first) continue
    let origin: ThreadOrigin
    if (finding(first)) {
      origin = 'tandem'
    } else if (first.authorIsBot) {
      skip(`opened by a bot other than Tandem's reviewer (${first.author ?? 'unknown'})`)
      continue
    } else if (!options.includeHumanComments) {
      skip(`opened by @${first.author ?? 'ghost'}; include-human-comments is off`)
      continue
    } else if (!trustedPerson(first)) {
      skip(`opened by @${first.author ?? 'ghost'}, who has no write permission`)
      continue
    } else {
      origin = 'human'
    }

    const comments = thread.comments.filter(c => finding(c) || answer(c) || trustedPerson(c))
    const requests = comments.filter(c => !answer(c))
    const last = requests.at(-1)
    if (!last || last.databaseId === null) {
      skip('no comment to answer')
      continue
    }
    const answered = new Set(
      comments.filter(answer).flatMap(c => readAddressed(c.body).map(m => m.commentId))
    )
    if (answered.has(last.databaseId)) {
      skip('already answered; waiting for a new comment')
      continue
    }
    selection.selected.push({
      thread,
      origin,
      comments,
      answering: { ...last, databaseId: last.databaseId }
    })
  }
  return selection
}

/**
 * How many times Tandem already pushed fixes for this pull request's threads: the distinct
 * commits named by its answers. Runs started by Tandem's own reviews chain (review → fix → push
 * → review), so this bounds the chain.
 */
export function roundsDone(threads: ReviewThread[], tandem: string): number {
  const commits = new Set<string>()
  for (const thread of threads) {
    for (const comment of thread.comments) {
      if (!isOwn(comment, tandem)) continue
      for (const mark of readAddressed(comment.body)) {
        if (mark.commitSha) commits.add(mark.commitSha)
      }
    }
  }
  return commits.size
}
