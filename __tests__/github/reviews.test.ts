import { describe, expect, it } from '@jest/globals'
import { MAX_BODY_CHARS } from '../../src/github/body.js'
import { getPullRequest } from '../../src/github/pulls.js'
import {
  ReviewRejectedError,
  createReview,
  listReviewComments,
  listReviews
} from '../../src/github/reviews.js'
import { OWNER, REPO, addedFile, calls, repo, useFakeGitHub } from './setup.js'

const env = useFakeGitHub()
const { seedPull } = env

describe('createReview', () => {
  it('posts one review with its inline comments', async () => {
    const number = seedPull()
    const pr = await getPullRequest(env.gh, repo, number)
    const posted = await createReview(env.gh, repo, number, {
      commitId: pr.headSha,
      event: 'COMMENT',
      body: 'Looks fine',
      comments: [
        { path: 'src/app.ts', line: 3, side: 'RIGHT', body: 'one' },
        { path: 'src/app.ts', line: 2, side: 'LEFT', body: 'two' },
        { path: 'src/app.ts', start_line: 21, line: 23, side: 'RIGHT', body: 'range' }
      ]
    })
    expect(posted.state).toBe('COMMENTED')
    expect(posted.htmlUrl).toContain(`/pull/${number}#pullrequestreview-${posted.id}`)
    const comments = env.fake.reviewComments(OWNER, REPO, number)
    expect(comments.map(c => [c.body, c.side, c.line, c.startLine])).toEqual([
      ['one', 'RIGHT', 3, undefined],
      ['two', 'LEFT', 2, undefined],
      ['range', 'RIGHT', 23, 21]
    ])
    const reviews = await listReviews(env.gh, repo, number)
    expect(reviews).toEqual([
      expect.objectContaining({ id: posted.id, body: 'Looks fine', state: 'COMMENTED' })
    ])
  })

  it('leaves the review pending without an event', async () => {
    const number = seedPull()
    const pr = await getPullRequest(env.gh, repo, number)
    const posted = await createReview(env.gh, repo, number, {
      commitId: pr.headSha,
      comments: [{ path: 'README.md', line: 1, side: 'RIGHT', body: 'probe' }]
    })
    expect(posted.state).toBe('PENDING')
  })

  it('turns a 422 into a ReviewRejectedError with GitHub’s reasons, and nothing lands', async () => {
    const number = seedPull()
    const pr = await getPullRequest(env.gh, repo, number)
    const attempt = createReview(env.gh, repo, number, {
      commitId: pr.headSha,
      event: 'COMMENT',
      body: 'x',
      comments: [
        { path: 'src/app.ts', line: 3, side: 'RIGHT', body: 'fine' },
        { path: 'src/app.ts', line: 12, side: 'RIGHT', body: 'outside every hunk' }
      ]
    })
    await expect(attempt).rejects.toBeInstanceOf(ReviewRejectedError)
    const error = (await attempt.catch((e: unknown) => e)) as ReviewRejectedError
    expect(error.status).toBe(422)
    expect(error.errors).toContain('Line could not be resolved')
    expect(error.message).toContain('Line could not be resolved')
    expect(env.fake.reviews(OWNER, REPO, number)).toEqual([])
  })

  it('does not retry a 502: the review may have landed, and the caller can see it did', async () => {
    const number = seedPull()
    const pr = await getPullRequest(env.gh, repo, number)
    env.fake.failNext('pulls/create-review', { status: 502, landed: true })
    const attempt = createReview(env.gh, repo, number, {
      commitId: pr.headSha,
      event: 'COMMENT',
      body: 'run marker <!-- tandem:run id=1 -->'
    })
    await expect(attempt).rejects.toMatchObject({ status: 502 })
    expect(calls(env.fake, 'pulls/create-review')).toBe(1)
    const landed = (await listReviews(env.gh, repo, number)).filter(r =>
      r.body.includes('tandem:run id=1')
    )
    expect(landed).toHaveLength(1)
  })

  it('does not retry a secondary rate limit on the review POST', async () => {
    const number = seedPull()
    const pr = await getPullRequest(env.gh, repo, number)
    env.fake.failNext('pulls/create-review', { status: 403, retryAfter: 1 })
    await expect(
      createReview(env.gh, repo, number, { commitId: pr.headSha, event: 'COMMENT', body: 'x' })
    ).rejects.toMatchObject({ status: 403 })
    expect(calls(env.fake, 'pulls/create-review')).toBe(1)
    expect(env.fake.reviews(OWNER, REPO, number)).toEqual([])
  })

  it('cuts a body over 65,536 characters and keeps its markers', async () => {
    const number = seedPull()
    const pr = await getPullRequest(env.gh, repo, number)
    const body = `${'x'.repeat(70_000)}\n<!-- tandem:finding fp=abcdef0123456789 -->`
    await createReview(env.gh, repo, number, { commitId: pr.headSha, event: 'COMMENT', body })
    const [review] = env.fake.reviews(OWNER, REPO, number)
    expect([...review!.body].length).toBeLessThanOrEqual(MAX_BODY_CHARS)
    expect(review!.body).toContain('<!-- tandem:finding fp=abcdef0123456789 -->')
  })
})

describe('listing comments and reviews', () => {
  it('reads every review comment past 100', async () => {
    const number = seedPull({ diff: addedFile('big.ts', 200) })
    const pr = await getPullRequest(env.gh, repo, number)
    const comments = Array.from({ length: 150 }, (_, i) => ({
      path: 'big.ts',
      line: i + 1,
      side: 'RIGHT' as const,
      body: `c${i + 1}`
    }))
    await createReview(env.gh, repo, number, { commitId: pr.headSha, event: 'COMMENT', comments })
    env.fake.clearLog()
    const listed = await listReviewComments(env.gh, repo, number)
    expect(listed).toHaveLength(150)
    expect(listed[149]).toMatchObject({
      body: 'c150',
      path: 'big.ts',
      line: 150,
      side: 'RIGHT',
      author: 'github-actions[bot]',
      authorIsBot: true,
      commitId: pr.headSha
    })
    expect(calls(env.fake, 'pulls/list-review-comments')).toBe(2)
  })
})
