import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { GitHub } from '../../src/github/client.js'
import { getPullRequest } from '../../src/github/pulls.js'
import { createReview, listReviewComments } from '../../src/github/reviews.js'
import {
  listReviewThreads,
  replyToReviewThread,
  resolveReviewThread
} from '../../src/github/threads.js'
import { reply } from '../harness/github/review.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { MIXED_DIFF, OWNER, REPO, addedFile, calls, client, expectClean, repo } from './setup.js'

let fake: FakeGitHub
let gh: GitHub

beforeAll(async () => {
  fake = await startFakeGitHub()
  fake.seedRepo({ owner: OWNER, repo: REPO })
})
afterAll(() => fake.close())
beforeEach(() => {
  fake.clearLog()
  // A client per test, as each job has its own: a write burst or a secondary limit of one
  // test must not pace the next.
  gh = client(fake)
})
afterEach(() => expectClean(fake))

async function pullWithReview(
  diff: string,
  comments: { path: string; line: number; side: 'LEFT' | 'RIGHT'; body: string }[]
): Promise<{ number: number; headSha: string }> {
  const { number } = fake.seedPullRequest({ owner: OWNER, repo: REPO, diff })
  const { headSha } = await getPullRequest(gh, repo, number)
  await createReview(gh, repo, number, { commitId: headSha, event: 'COMMENT', comments })
  fake.clearLog()
  return { number, headSha }
}

describe('listReviewThreads', () => {
  it('reads each thread with its place and comments', async () => {
    const { number } = await pullWithReview(MIXED_DIFF, [
      { path: 'src/app.ts', line: 3, side: 'RIGHT', body: 'first <!-- tandem:finding fp=aa -->' },
      { path: 'src/app.ts', line: 2, side: 'LEFT', body: 'second' }
    ])
    const rest = await listReviewComments(gh, repo, number)
    const threads = await listReviewThreads(gh, repo, number)
    expect(threads).toHaveLength(2)
    expect(threads[0]).toMatchObject({
      isResolved: false,
      isOutdated: false,
      path: 'src/app.ts',
      line: 3,
      startLine: null,
      originalLine: 3,
      diffSide: 'RIGHT',
      subjectType: 'LINE'
    })
    expect(threads[1]).toMatchObject({ line: 2, diffSide: 'LEFT' })
    expect(threads[0]!.comments).toEqual([
      {
        id: expect.any(String),
        databaseId: rest[0]!.id,
        body: 'first <!-- tandem:finding fp=aa -->',
        author: expect.stringMatching(/^github-actions/),
        authorIsBot: true,
        createdAt: expect.any(String),
        url: expect.stringContaining(`#discussion_r${rest[0]!.id}`)
      }
    ])
    expect(calls(fake, 'graphql')).toBe(1)
  })

  it('reads every thread past 100, and every comment of a thread past 100', async () => {
    const comments = Array.from({ length: 150 }, (_, i) => ({
      path: 'big.ts',
      line: i + 1,
      side: 'RIGHT' as const,
      body: `t${i + 1}`
    }))
    const { number } = await pullWithReview(addedFile('big.ts', 200), comments)
    // 120 replies on the last thread, written straight into the fake's memory.
    const repoState = fake.state.repo(OWNER, REPO)!
    const issue = fake.pullRequest(OWNER, REPO, number)!
    const last = fake.threads(OWNER, REPO, number).at(-1)!
    for (let i = 0; i < 120; i++) reply(fake.state, repoState, issue, last, 'alice', `r${i + 1}`)

    const threads = await listReviewThreads(gh, repo, number)
    expect(threads).toHaveLength(150)
    expect(threads.map(t => t.comments[0]?.body)).toEqual(comments.map(c => c.body))
    const long = threads[149]!
    expect(long.comments).toHaveLength(121)
    expect(long.comments.at(-1)).toMatchObject({
      body: 'r120',
      author: 'alice',
      authorIsBot: false
    })
    // Two pages of threads, then the rest of the long thread's comments on their own.
    expect(calls(fake, 'graphql')).toBe(3)
  })

  it('sees a thread go outdated when the head moves under it', async () => {
    const { number } = await pullWithReview(MIXED_DIFF, [
      { path: 'README.md', line: 2, side: 'RIGHT', body: 'typo' }
    ])
    fake.pushToPullRequest(OWNER, REPO, number, {
      headSha: 'c'.repeat(40),
      diff: addedFile('README.md', 3)
    })
    const [thread] = await listReviewThreads(gh, repo, number)
    expect(thread).toMatchObject({ isOutdated: true, line: null, originalLine: 2 })
  })

  it('fails clearly for a pull request that does not exist', async () => {
    await expect(listReviewThreads(gh, repo, 9999)).rejects.toThrow(/9999/)
  })

  it('retries after a secondary rate limit', async () => {
    const { number } = await pullWithReview(MIXED_DIFF, [
      { path: 'src/app.ts', line: 1, side: 'RIGHT', body: 'x' }
    ])
    fake.failNext('graphql', { status: 403, retryAfter: 1 })
    // A client of its own: after a secondary limit a client paces every later write.
    expect(await listReviewThreads(client(fake), repo, number)).toHaveLength(1)
    expect(calls(fake, 'graphql')).toBe(2)
  })
})

describe('resolveReviewThread and replyToReviewThread', () => {
  it('resolves one thread and answers another', async () => {
    const { number } = await pullWithReview(MIXED_DIFF, [
      { path: 'src/app.ts', line: 3, side: 'RIGHT', body: 'fix me' },
      { path: 'src/app.ts', line: 22, side: 'RIGHT', body: 'and me' }
    ])
    const [first, second] = await listReviewThreads(gh, repo, number)
    expect(await resolveReviewThread(gh, first!.id)).toEqual({ isResolved: true })
    // Resolving twice is harmless.
    expect(await resolveReviewThread(gh, first!.id)).toEqual({ isResolved: true })

    const posted = await replyToReviewThread(gh, second!.id, 'Fixed in abc123')
    expect(posted.databaseId).toEqual(expect.any(Number))
    expect(posted.url).toContain(`#discussion_r${posted.databaseId}`)

    const after = await listReviewThreads(gh, repo, number)
    expect(after.map(t => t.isResolved)).toEqual([true, false])
    expect(after[1]!.comments.map(c => c.body)).toEqual(['and me', 'Fixed in abc123'])
    const rest = await listReviewComments(gh, repo, number)
    expect(rest.find(c => c.id === posted.databaseId)?.inReplyToId).toBe(rest[1]!.id)
  })

  it('does not reply twice when a 502 answered a reply that landed', async () => {
    const { number } = await pullWithReview(MIXED_DIFF, [
      { path: 'src/app.ts', line: 3, side: 'RIGHT', body: 'fix me' }
    ])
    const [thread] = await listReviewThreads(gh, repo, number)
    fake.failNext('graphql:TandemReplyToThread', { status: 502, landed: true })
    const posted = await replyToReviewThread(gh, thread!.id, 'Done')
    const [after] = await listReviewThreads(gh, repo, number)
    expect(after!.comments.map(c => c.body)).toEqual(['fix me', 'Done'])
    expect(after!.comments[1]!.databaseId).toBe(posted.databaseId)

    fake.failNext('graphql:TandemReplyToThread', { status: 502 })
    await replyToReviewThread(gh, thread!.id, 'Done again')
    const [last] = await listReviewThreads(gh, repo, number)
    expect(last!.comments.map(c => c.body)).toEqual(['fix me', 'Done', 'Done again'])
  })

  it('surfaces GitHub’s refusal of an unknown thread', async () => {
    await expect(resolveReviewThread(gh, 'PRRT_nope')).rejects.toThrow(/PRRT_nope/)
  })
})
