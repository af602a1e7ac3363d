import { describe, expect, it } from '@jest/globals'
import type { InlineFinding } from '../../src/review/anchor.js'
import { fingerprint, type Finding } from '../../src/review/findings.js'
import { findRefused, reviewToPost, withoutRefused } from '../../src/review/publish.js'

// What review mode publishes, decided without a server: the bisection that finds the comments
// GitHub refuses, and the review event.

function finding(title: string, severity: Finding['severity'] = 'minor', line = 2): Finding {
  return { path: 'a.ts', line, severity, title, body: 'why' }
}

function inline(n: number): InlineFinding[] {
  return Array.from({ length: n }, (_, i) => {
    const f = finding(`f${i}`)
    return {
      finding: f,
      fingerprint: fingerprint(f),
      comment: { path: 'a.ts', line: 2, side: 'RIGHT', body: `c${i}` }
    }
  })
}

describe('findRefused', () => {
  it('finds every refused comment by halves, asking far fewer times than once per comment', async () => {
    const items = inline(16)
    const bad = new Set([items[3], items[11]])
    const asked: number[] = []
    const refused = await findRefused(items, async subset => {
      asked.push(subset.length)
      return !subset.some(item => bad.has(item))
    })
    expect(refused).toEqual([items[3], items[11]])
    expect(asked.length).toBeLessThan(16)
    const { accepted, moved } = withoutRefused(items, refused)
    expect(accepted).toHaveLength(14)
    expect(moved.map(m => [m.fingerprint, m.reason])).toEqual(
      refused.map(r => [r.fingerprint, 'GitHub refused it as an inline comment'])
    )
  })

  it('asks nothing for no comments', async () => {
    expect(await findRefused([], async () => Promise.reject(new Error('asked')))).toEqual([])
  })
})

describe('reviewToPost', () => {
  const plan = { inline: inline(1), unanchored: [], alreadyPosted: [] }
  const args = { summary: 's', headSha: 'abc', redact: (t: string) => t.replace('c0', '***') }

  it('requests changes only when review-event is auto and the verdict asks for it', () => {
    expect(
      reviewToPost(plan, { ...args, verdict: 'request_changes', reviewEvent: 'auto' })?.event
    ).toBe('REQUEST_CHANGES')
    expect(
      reviewToPost(plan, { ...args, verdict: 'request_changes', reviewEvent: 'comment' })?.event
    ).toBe('COMMENT')
    expect(reviewToPost(plan, { ...args, verdict: 'comment', reviewEvent: 'auto' })?.event).toBe(
      'COMMENT'
    )
  })

  it('redacts the comments, and posts nothing when everything is already on the PR', () => {
    const post = reviewToPost(plan, { ...args, verdict: 'comment', reviewEvent: 'auto' })
    expect(post?.inline[0]?.comment.body).toBe('***')
    expect(post?.commitId).toBe('abc')
    const empty = { inline: [], unanchored: [], alreadyPosted: [] }
    expect(
      reviewToPost(empty, { ...args, verdict: 'comment', reviewEvent: 'auto' })
    ).toBeUndefined()
  })
})
