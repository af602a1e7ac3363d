import { describe, expect, it } from '@jest/globals'
import { decideReview, failOnFailure, unthreadedFindings } from '../../src/review/decide.js'
import { parseUnifiedDiff } from '../../src/review/diff.js'
import { findingMarker, fingerprint, type Finding } from '../../src/review/findings.js'
import type { PostedThread } from '../../src/review/resolve.js'

// The verdict over what still stands on the PR, and the findings pair must hand over itself.

const DIFF = parseUnifiedDiff(
  [
    'diff --git a/a.ts b/a.ts',
    '--- a/a.ts',
    '+++ b/a.ts',
    '@@ -1,2 +1,3 @@',
    ' one',
    '+two',
    ' three',
    ''
  ].join('\n')
)

function finding(title: string, severity: Finding['severity'] = 'minor', line = 2): Finding {
  return { path: 'a.ts', line, severity, title, body: 'why' }
}

function openThread(f: Finding): PostedThread {
  return {
    isResolved: false,
    isOutdated: false,
    path: f.path,
    line: f.line,
    startLine: null,
    originalLine: f.line,
    originalStartLine: null,
    diffSide: 'RIGHT',
    comments: [
      {
        body: `**🟠 Major** · ${f.title}\n\nwhy\n\n${findingMarker(fingerprint(f))}`,
        authorIsBot: true
      }
    ]
  }
}

describe('decideReview', () => {
  const options = { maxInlineComments: 30, blockingSeverity: 'major' as const }
  const state = (threads: PostedThread[]) => ({
    fullDiff: DIFF,
    reviewDiff: DIFF,
    sinceSha: undefined,
    threads,
    postedFingerprints: new Set<string>()
  })

  it('keeps an open major thread standing: a review of a small push does not approve', () => {
    const open = finding('still broken', 'major', 1)
    const decision = decideReview([], state([openThread(open)]), options)
    expect(decision.verdict).toBe('request_changes')
    expect(decision.blocking.map(f => f.title)).toEqual(['still broken'])
    expect(failOnFailure(decision.standing, 'critical')).toBeUndefined()
    expect(failOnFailure(decision.standing, 'major')).toBe(
      "1 finding(s) at or above 'major' (fail-on)"
    )
    // It has an open thread: address reaches it, pair need not hand it over.
    expect(unthreadedFindings(decision, [openThread(open)], [], new Map())).toEqual([])
  })

  it('approves without findings, and lists blocking findings without a thread as unthreaded', () => {
    expect(decideReview([], state([]), options).verdict).toBe('approve')
    const off = finding('off the diff', 'critical', 40)
    const decision = decideReview([off], state([]), options)
    expect(decision.plan.unanchored.map(u => u.finding)).toEqual([off])
    expect(unthreadedFindings(decision, [], [off], new Map([[off, 'summary']]))).toEqual([off])
  })
})
