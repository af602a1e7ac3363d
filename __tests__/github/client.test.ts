import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest
} from '@jest/globals'
import {
  createGitHub,
  isCreateReviewRequest,
  repoFromEnv,
  REQUEST_TIMEOUT_MS,
  retryWaitMs,
  type GitHub
} from '../../src/github/client.js'
import { getPullRequest } from '../../src/github/pulls.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { MIXED_DIFF, OWNER, REPO, calls, client, expectClean, repo } from './setup.js'

/** What the action writes to stdout (its annotations) until `restore()` hands it back. */
function captureStdout(): { restore(): string } {
  let text = ''
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    text += String(chunk)
    return true
  })
  return {
    restore() {
      spy.mockRestore()
      return text
    }
  }
}

let fake: FakeGitHub
let gh: GitHub
let number: number

beforeAll(async () => {
  fake = await startFakeGitHub()
  fake.seedRepo({ owner: OWNER, repo: REPO })
  number = fake.seedPullRequest({ owner: OWNER, repo: REPO, diff: MIXED_DIFF }).number
  gh = client(fake)
})
afterAll(() => fake.close())
beforeEach(() => fake.clearLog())
afterEach(() => expectClean(fake))

describe('retries', () => {
  it('retries a GET after a secondary rate limit once retry-after has passed', async () => {
    fake.failNext('pulls/get', { status: 403, retryAfter: 1 })
    const started = Date.now()
    const pr = await getPullRequest(gh, repo, number)
    expect(pr.number).toBe(number)
    const [first, second] = fake.requests.filter(r => r.operationId === 'pulls/get')
    expect([first?.status, second?.status]).toEqual([403, 200])
    // GitHub sends whole seconds; the retry waits them out, and not much longer.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('retries a 429 and, after x-ratelimit-reset, a primary rate limit', async () => {
    fake.failNext('pulls/get', { status: 429, retryAfter: 1 })
    // Resets now: the plugin adds a second so that the retry comes after the reset.
    fake.failNext('pulls/get', { status: 403, primary: true, retryAfter: 0 })
    await getPullRequest(gh, repo, number)
    expect(calls(fake, 'pulls/get')).toBe(3)
  })

  it('gives up after a bounded number of rate-limit retries', async () => {
    // Exactly as many faults as tries: none is left over for the next test.
    fake.failNext('pulls/get', { status: 403, retryAfter: 1, count: 3 })
    await expect(getPullRequest(gh, repo, number)).rejects.toMatchObject({ status: 403 })
    expect(calls(fake, 'pulls/get')).toBe(3)
  })

  it('does not sleep for an hour on a rate limit, and says why it gives up', async () => {
    const said = captureStdout()
    fake.failNext('pulls/get', { status: 403, primary: true, retryAfter: 3600 })
    fake.failNext('issues/get', { status: 403, retryAfter: 3600 })
    const started = Date.now()
    await expect(getPullRequest(gh, repo, number)).rejects.toMatchObject({ status: 403 })
    await expect(
      gh.rest.issues.get({ owner: OWNER, repo: REPO, issue_number: number })
    ).rejects.toMatchObject({ status: 403 })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(calls(fake, 'pulls/get')).toBe(1)
    expect(calls(fake, 'issues/get')).toBe(1)
    expect(said.restore()).toMatch(
      /::warning::GitHub secondary rate limit on GET .*: it lifts in 60 min, too long to wait/
    )
  })

  it("retries a GET after a 502 with the retry plugin's first back-off", async () => {
    fake.failNext('pulls/get', { status: 502 })
    const started = Date.now()
    await getPullRequest(gh, repo, number)
    expect(calls(fake, 'pulls/get')).toBe(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
  })

  it('does not retry a 404', async () => {
    await expect(getPullRequest(gh, repo, 999)).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining(`Pull request #999 of ${OWNER}/${REPO} was not found`)
    })
    expect(calls(fake, 'pulls/get')).toBe(1)
  })

  it('never retries a review POST, even when the caller forgets to say so', async () => {
    const pr = await getPullRequest(gh, repo, number)
    fake.failNext('pulls/create-review', { status: 502 })
    await expect(
      gh.rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: number,
        commit_id: pr.headSha,
        event: 'COMMENT',
        body: 'x'
      })
    ).rejects.toMatchObject({ status: 502 })
    expect(calls(fake, 'pulls/create-review')).toBe(1)
  })

  it('retries a GraphQL query after a secondary rate limit', async () => {
    fake.failNext('graphql', { status: 403, retryAfter: 1 })
    const result = await gh.graphql<{ viewer: { login: string } }>('query { viewer { login } }')
    expect(result.viewer.login).toBe('github-actions[bot]')
    expect(calls(fake, 'graphql')).toBe(2)
  })
})

describe('write pacing', () => {
  /** Adds `count` labels at once; resolves to when each answer came, in order of arrival. */
  const labels = async (gh: GitHub, count: number): Promise<number[]> => {
    const done: number[] = []
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        gh.rest.issues
          .addLabels({ owner: OWNER, repo: REPO, issue_number: number, labels: [`l${i}`] })
          .then(() => done.push(Date.now()))
      )
    )
    return done
  }

  it('sends a few writes one after another without pausing', async () => {
    const started = Date.now()
    await labels(client(fake), 5)
    expect(calls(fake, 'issues/add-labels')).toBe(5)
    expect(Date.now() - started).toBeLessThan(900)
  })

  it('spaces writes a second apart once GitHub has answered a secondary rate limit', async () => {
    fake.failNext('issues/add-labels', { status: 403, retryAfter: 1 })
    const done = await labels(client(fake), 3)
    expect(calls(fake, 'issues/add-labels')).toBe(4)
    // The two writes queued behind the limited one go out a second apart, not together.
    expect(done[2]! - done[1]!).toBeGreaterThanOrEqual(900)
  })
})

describe('request timeout', () => {
  it('is a bounded constant: a stalled GitHub cannot hold a job for ever', () => {
    expect(REQUEST_TIMEOUT_MS).toBe(15_000)
  })
})

describe('createGitHub', () => {
  const saved = { ...process.env }
  afterEach(() => {
    process.env = { ...saved }
  })

  it('reads GITHUB_API_URL when called, not when imported', async () => {
    process.env.GITHUB_API_URL = fake.url
    const fromEnv = createGitHub('token')
    expect((await getPullRequest(fromEnv, repo, number)).number).toBe(number)
    expect(fake.tokensSeen).toContain('token')
  })
})

describe('retryWaitMs', () => {
  const failure = (status: number, headers: Record<string, string>, message = 'x') =>
    Object.assign(new Error(message), { status, response: { headers } })

  it('follows GitHub: retry-after, else the primary reset, else a minute for a secondary limit', () => {
    const now = 1_700_000_000_000
    expect(retryWaitMs(failure(403, { 'retry-after': '2' }), now)).toBe(2000)
    const reset = String(now / 1000 + 10)
    expect(
      retryWaitMs(failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), now)
    ).toBe(11_000)
    expect(retryWaitMs(failure(429, {}, 'You have exceeded a secondary rate limit'), now)).toBe(
      60_000
    )
    expect(retryWaitMs(failure(502, {}), now)).toBe(1000)
    expect(retryWaitMs(new Error('socket hang up'), now)).toBe(1000)
  })

  it('is undefined when the wait is longer than a job should sleep', () => {
    expect(retryWaitMs(failure(403, { 'retry-after': '3600' }))).toBeUndefined()
  })
})

describe('isCreateReviewRequest', () => {
  it('matches the review POST as a template and as a path', () => {
    const template = '/repos/{owner}/{repo}/pulls/{pull_number}/reviews'
    expect(isCreateReviewRequest({ method: 'POST', url: template })).toBe(true)
    expect(isCreateReviewRequest({ method: 'POST', url: '/repos/o/r/pulls/3/reviews' })).toBe(true)
    expect(
      isCreateReviewRequest({
        method: 'POST',
        url: 'https://ghe.example/api/v3/repos/o/r/pulls/3/reviews'
      })
    ).toBe(true)
  })

  it('leaves other requests alone', () => {
    expect(isCreateReviewRequest({ method: 'GET', url: '/repos/o/r/pulls/3/reviews' })).toBe(false)
    expect(
      isCreateReviewRequest({ method: 'POST', url: '/repos/o/r/pulls/3/reviews/9/events' })
    ).toBe(false)
    expect(isCreateReviewRequest({ method: 'POST', url: '/repos/o/r/pulls/3/comments' })).toBe(
      false
    )
  })
})

describe('repoFromEnv', () => {
  it('splits GITHUB_REPOSITORY', () => {
    expect(repoFromEnv({ GITHUB_REPOSITORY: 'octo/app' })).toEqual({ owner: 'octo', repo: 'app' })
  })

  it('names the variable when it is missing or malformed', () => {
    expect(() => repoFromEnv({})).toThrow(/GITHUB_REPOSITORY is "": expected "owner\/repo"/)
    expect(() => repoFromEnv({ GITHUB_REPOSITORY: 'octo' })).toThrow(/GITHUB_REPOSITORY/)
  })
})
