// Faults of GitHub in review mode, through dist/index.js: rate limits, a review POST whose answer
// was lost, a refused comment, a missing PR, a read-only token, no server at all, a stall.
// Each case checks the exit status, the message, and exactly what landed on the PR.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createServer } from 'node:net'
import {
  errorsOf,
  FINDINGS,
  OWNER,
  PR,
  REPO,
  reviewFixture,
  transcriptOf,
  type ReviewFixture
} from './faults-fixture.js'

let fx: ReviewFixture

beforeEach(async () => {
  fx = await reviewFixture()
})

afterEach(async () => {
  fx.gh.assertClean()
  await fx.close()
})

const reviews = () => fx.gh.reviews(OWNER, REPO, PR)
const inline = () => fx.gh.reviewComments(OWNER, REPO, PR)
const summaries = () =>
  fx.gh.issueComments(OWNER, REPO, PR).filter(c => c.body.includes('tandem:summary'))
const posts = (operationId: string) =>
  fx.gh.requests.filter(r => r.operationId === operationId && r.method === 'POST').length
/** The review requests in the order GitHub received them. */
const reviewCalls = () =>
  fx.gh.requests
    .map(r => r.operationId ?? '')
    .filter(id => id.startsWith('pulls/') && /review/.test(id))

function oneReviewWithEverything(): void {
  expect(reviews()).toHaveLength(1)
  expect(reviews()[0]).toMatchObject({ commitId: fx.headSha, state: 'CHANGES_REQUESTED' })
  expect(inline()).toHaveLength(FINDINGS.length)
  expect(summaries()).toHaveLength(1)
}

describe('GitHub faults in review mode', () => {
  it('403 secondary rate limit with retry-after on the summary comment: retried, one of each', async () => {
    fx.gh.failNext('issues/create-comment', { status: 403, retryAfter: 1 })
    const { run } = await fx.review()
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(/::warning::GitHub secondary rate limit on POST .*retrying in 1 s/)
    oneReviewWithEverything()
    expect(posts('issues/create-comment')).toBe(2)
  })

  it('403 secondary rate limit on the review POST: not retried blindly; looked up, posted once', async () => {
    fx.gh.failNext('pulls/create-review', { status: 403, retryAfter: 1 })
    const { run } = await fx.review()
    expect(run.exitCode).toBe(0)
    oneReviewWithEverything()
    // The second POST only after two lookups (at once, and after the wait) found none.
    expect(reviewCalls()).toEqual([
      'pulls/create-review',
      'pulls/list-reviews',
      'pulls/list-reviews',
      'pulls/create-review'
    ])
  })

  it('502 on the review POST that landed: found by the lookup, never posted twice', async () => {
    fx.gh.failNext('pulls/create-review', { status: 502, landed: true })
    const { run } = await fx.review()
    expect(run.exitCode).toBe(0)
    expect(run.outputs['review-id']).toBe(String(reviews()[0]?.id))
    oneReviewWithEverything()
    expect(posts('pulls/create-review')).toBe(1)
  })

  it('502 on the review POST that did not land: the lookup finds none, posted once more', async () => {
    fx.gh.failNext('pulls/create-review', { status: 502 })
    const { run } = await fx.review()
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(/::warning::Posting the review failed .*trying once more in 1 s/)
    oneReviewWithEverything()
    expect(reviewCalls()).toEqual([
      'pulls/create-review',
      'pulls/list-reviews',
      'pulls/list-reviews',
      'pulls/create-review'
    ])
  })

  it('422 for one comment: it moves to the review body and the summary, nothing lost', async () => {
    // The reviewer's second finding is on a file the fake has no patch for, so GitHub refuses it.
    fx.gh.pushToPullRequest(OWNER, REPO, PR, {
      headSha: fx.headSha,
      diff: fx.repo
        .diff(`${fx.headSha}~1`, fx.headSha)
        .replace(
          /diff --git a\/src\/new\.ts[\s\S]*$/,
          'diff --git a/src/new.ts b/src/new.ts\nnew file mode 100644\nindex 0000000..1111111\nBinary files /dev/null and b/src/new.ts differ\n'
        )
    })
    const { run } = await fx.review()
    expect(run.exitCode).toBe(0)
    // What GitHub answered each review request, with the paths each POST commented on: the whole
    // review refused, an empty pending review accepted (and deleted), the search halving down to
    // the refused comment on src/new.ts, then the review with the accepted one.
    const answered = fx.gh.requests
      .filter(r => r.operationId?.startsWith('pulls/') && /review/.test(r.operationId))
      .map(r => {
        const comments = (r.body as { comments?: Array<{ path: string }> } | undefined)?.comments
        return [r.method, r.status, (comments ?? []).map(c => c.path).join(' ')].join(' ').trim()
      })
    expect(answered).toEqual([
      'POST 422 src/calc.ts src/new.ts',
      'POST 200',
      'DELETE 200',
      'POST 422 src/calc.ts src/new.ts',
      'POST 200 src/calc.ts',
      'DELETE 200',
      'POST 422 src/new.ts',
      'POST 200 src/calc.ts'
    ])
    expect(reviews()).toHaveLength(1)
    expect(inline().map(c => c.path)).toEqual(['src/calc.ts'])
    expect(reviews()[0]!.body).toContain('Name the constant')
    expect(summaries()).toHaveLength(1)
    expect(summaries()[0]!.body).toContain('Name the constant')
  })

  it('404 pull request: fails clearly before any model request, nothing posted', async () => {
    const { run, api } = await fx.review({ inputs: { 'pr-number': '999' } })
    expect(run.exitCode).toBe(1)
    expect(errorsOf(run).join('\n')).toContain(
      `Pull request #999 of ${OWNER}/${REPO} was not found`
    )
    expect(api.mainRequests()).toHaveLength(0)
    expect(reviews()).toHaveLength(0)
    expect(fx.gh.issueComments(OWNER, REPO, PR)).toHaveLength(0)
  })

  it('a read-only token: nothing posted, the review in the job summary, exit 0', async () => {
    fx.gh.setReadOnly(true)
    const { run } = await fx.review()
    expect(run.exitCode).toBe(0)
    expect(reviews()).toHaveLength(0)
    expect(fx.gh.issueComments(OWNER, REPO, PR)).toHaveLength(0)
    for (const finding of FINDINGS) expect(run.summary).toContain(finding.title)
    expect(transcriptOf(run).some(line => line.type === 'result')).toBe(true)
  })

  it('connection refused: fails with the reason, before any model request', async () => {
    // A port that was free a moment ago and has nobody listening now.
    const port = await new Promise<number>(resolve => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number }
        server.close(() => resolve(port))
      })
    })
    const started = Date.now()
    const { run, api } = await fx.review({
      env: {
        GITHUB_API_URL: `http://127.0.0.1:${port}`,
        GITHUB_GRAPHQL_URL: `http://127.0.0.1:${port}/graphql`
      }
    })
    expect(run.exitCode).toBe(1)
    expect(errorsOf(run).join('\n')).toMatch(/ECONNREFUSED|connect|fetch failed/i)
    expect(api.mainRequests()).toHaveLength(0)
    // Three retries with the retry plugin's back-off (1 + 4 + 9 s) at most, not a hang.
    expect(Date.now() - started).toBeLessThan(30_000)
  })

  it('a stalled review POST that landed: given up after the request timeout, found, posted once', async () => {
    fx.gh.failNext('pulls/create-review', { status: 502, landed: true, stallMs: 40_000 })
    const started = Date.now()
    const { run } = await fx.review()
    expect(run.exitCode).toBe(0)
    oneReviewWithEverything()
    // One POST, never answered (the client hung up at REQUEST_TIMEOUT_MS), then the lookup.
    const created = fx.gh.requests.filter(r => r.operationId === 'pulls/create-review')
    expect(created.map(r => r.status)).toEqual([0])
    expect(Date.now() - started).toBeLessThan(35_000)
  }, 60_000)
})
