import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  createGitHub,
  isCreateReviewRequest,
  repoFromEnv,
  type GitHub
} from '../../src/github/client.js'
import { getPullRequest } from '../../src/github/pulls.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { MIXED_DIFF, OWNER, REPO, calls, client, expectClean, repo } from './setup.js'

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
  it('retries a GET after a secondary rate limit, honouring retry-after up to the cap', async () => {
    fake.failNext('pulls/get', { status: 403, retryAfter: 60 })
    const started = Date.now()
    const pr = await getPullRequest(gh, repo, number)
    expect(pr.number).toBe(number)
    expect(calls(fake, 'pulls/get')).toBe(2)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('retries a 429 and a primary rate limit too', async () => {
    fake.failNext('pulls/get', { status: 429, retryAfter: 1 })
    fake.failNext('pulls/get', { status: 403, primary: true, retryAfter: 1 })
    await getPullRequest(gh, repo, number)
    expect(calls(fake, 'pulls/get')).toBe(3)
  })

  it('gives up after a bounded number of rate-limit retries', async () => {
    // Exactly as many faults as tries: none is left over for the next test.
    fake.failNext('pulls/get', { status: 403, retryAfter: 1, count: 3 })
    await expect(getPullRequest(gh, repo, number)).rejects.toMatchObject({ status: 403 })
    expect(calls(fake, 'pulls/get')).toBe(3)
  })

  it('does not sleep for an hour on a primary rate limit', async () => {
    fake.failNext('pulls/get', { status: 403, primary: true, retryAfter: 3600 })
    await expect(getPullRequest(gh, repo, number)).rejects.toMatchObject({ status: 403 })
    expect(calls(fake, 'pulls/get')).toBe(1)
  })

  it('retries a GET after a 502', async () => {
    fake.failNext('pulls/get', { status: 502 })
    await getPullRequest(gh, repo, number)
    expect(calls(fake, 'pulls/get')).toBe(2)
  })

  it('does not retry a 404', async () => {
    await expect(getPullRequest(gh, repo, 999)).rejects.toMatchObject({ status: 404 })
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

describe('createGitHub', () => {
  const saved = { ...process.env }
  afterEach(() => {
    process.env = { ...saved }
  })

  it('reads GITHUB_API_URL when called, not when imported', async () => {
    process.env.GITHUB_API_URL = fake.url
    process.env.TANDEM_RETRY_AFTER_CAP_MS = '5'
    const fromEnv = createGitHub('token')
    expect((await getPullRequest(fromEnv, repo, number)).number).toBe(number)
    expect(fake.tokensSeen).toContain('token')
  })

  it('caps back-offs with TANDEM_RETRY_AFTER_CAP_MS', async () => {
    process.env.TANDEM_RETRY_AFTER_CAP_MS = '10'
    const capped = createGitHub('token', { baseUrl: `${fake.url}/` })
    fake.failNext('pulls/get', { status: 403 })
    const started = Date.now()
    await getPullRequest(capped, repo, number)
    // Without a retry-after GitHub asks for at least 60 s.
    expect(Date.now() - started).toBeLessThan(2000)
    expect(calls(fake, 'pulls/get')).toBe(2)
  })

  it('refuses a cap that is not a number', () => {
    process.env.TANDEM_RETRY_AFTER_CAP_MS = 'soon'
    expect(() => createGitHub('token', { baseUrl: fake.url })).toThrow(/TANDEM_RETRY_AFTER_CAP_MS/)
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
