import type { ReviewThread, ThreadComment } from '../../src/github/threads.js'
import { findingMarker } from '../../src/review/findings.js'

let nextId = 100

/** Tandem's own login as tandemLogin reports it (GraphQL names its comments without `[bot]`). */
export const TANDEM = 'github-actions[bot]'

/** A thread comment; `bot` comments are named as GraphQL names bots, without `[bot]`. */
export function comment(over: Partial<ThreadComment> & { body: string }): ThreadComment {
  const id = nextId++
  return {
    id: `PRRC_${id}`,
    databaseId: id,
    author: 'alice',
    authorIsBot: false,
    createdAt: '2025-01-01T00:00:00Z',
    url: `https://github.com/acme/widgets/pull/7#discussion_r${id}`,
    ...over
  }
}

export function finding(title: string, extra = ''): ThreadComment {
  return comment({
    author: 'github-actions',
    authorIsBot: true,
    body: `**🟠 Major** · ${title}\n\nWhy it is wrong.${extra}\n\n${findingMarker('0123456789abcdef')}`
  })
}

export function thread(comments: ThreadComment[], over: Partial<ReviewThread> = {}): ReviewThread {
  return {
    id: `PRRT_${nextId++}`,
    isResolved: false,
    isOutdated: false,
    path: 'src/calc.ts',
    line: 5,
    startLine: null,
    originalLine: 5,
    originalStartLine: null,
    diffSide: 'RIGHT',
    subjectType: 'LINE',
    comments,
    ...over
  }
}
