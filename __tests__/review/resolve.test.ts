import { describe, expect, it } from '@jest/globals'
import { parseUnifiedDiff } from '../../src/review/diff.js'
import { findingMarker } from '../../src/review/findings.js'
import { threadsToResolve, type PostedThread as ReviewThread } from '../../src/review/resolve.js'

// Since the last review, lines 10-12 of a.ts changed (old side 10-12 → new side 10-13).
const SINCE = parseUnifiedDiff(
  [
    'diff --git a/a.ts b/a.ts',
    '--- a/a.ts',
    '+++ b/a.ts',
    '@@ -10,3 +10,4 @@',
    ' keep',
    '-old',
    '+new',
    '+added',
    ' keep',
    ''
  ].join('\n')
)

function thread(
  overrides: Partial<ReviewThread> & { fp?: string; bot?: boolean } = {}
): ReviewThread {
  const { fp = 'aaaa', bot = true, ...rest } = overrides
  return {
    id: `T_${Math.random()}`,
    isResolved: false,
    isOutdated: false,
    path: 'a.ts',
    line: 11,
    startLine: null,
    originalLine: 11,
    originalStartLine: null,
    diffSide: 'RIGHT',
    subjectType: 'LINE',
    comments: [
      {
        id: 'C',
        databaseId: 1,
        body: `**Major** · x\n\n${findingMarker(fp)}`,
        author: bot ? 'github-actions[bot]' : 'alice',
        authorIsBot: bot,
        createdAt: '',
        url: ''
      }
    ],
    ...rest
  } as ReviewThread
}

const change = { sinceSha: 'abc', diff: SINCE }

describe('threadsToResolve', () => {
  it('resolves an own thread no longer reported whose line changed', () => {
    const t = thread()
    expect(threadsToResolve([t], new Set(), change)).toEqual([t])
  })

  it('keeps it open while the finding is still reported', () => {
    expect(threadsToResolve([thread({ fp: 'bbbb' })], new Set(['bbbb']), change)).toEqual([])
  })

  it('keeps it open when its lines did not change', () => {
    expect(threadsToResolve([thread({ line: 30, originalLine: 30 })], new Set(), change)).toEqual(
      []
    )
  })

  it('does not count the unchanged context lines around a change', () => {
    expect(threadsToResolve([thread({ line: 10, originalLine: 10 })], new Set(), change)).toEqual(
      []
    )
  })

  it('counts a range that reaches into a changed line', () => {
    const t = thread({ line: 12, originalLine: 12, originalStartLine: 5, startLine: 5 })
    expect(threadsToResolve([t], new Set(), change)).toEqual([t])
    const before = thread({ line: 9, originalLine: 9, originalStartLine: 5 })
    expect(threadsToResolve([before], new Set(), change)).toEqual([])
  })

  it("never touches people's threads, resolved threads, or threads without a fingerprint", () => {
    const human = thread({ bot: false })
    const resolved = thread({ isResolved: true })
    const plain = thread()
    plain.comments[0]!.body = 'no marker'
    expect(threadsToResolve([human, resolved, plain], new Set(), change)).toEqual([])
  })

  it('without an incremental diff, follows GitHub’s outdated flag', () => {
    const outdated = thread({ isOutdated: true })
    const current = thread()
    expect(
      threadsToResolve([outdated, current], new Set(), { sinceSha: undefined, diff: SINCE })
    ).toEqual([outdated])
  })

  it('leaves LEFT-side threads open: new commits do not change base lines', () => {
    expect(threadsToResolve([thread({ diffSide: 'LEFT' })], new Set(), change)).toEqual([])
  })
})
