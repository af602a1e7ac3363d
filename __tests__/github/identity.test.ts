import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { bareLogin, isAuthoredBy, isBotLogin, tandemLogin } from '../../src/github/identity.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { OWNER, REPO, calls, client, expectClean } from './setup.js'

let fake: FakeGitHub

beforeAll(async () => {
  // bot-token acts as the fake's default, github-actions[bot] (GITHUB_TOKEN); the others as
  // a GitHub App's bot and as a person (a PAT).
  fake = await startFakeGitHub({
    token: 'bot-token',
    tokens: { 'app-token': 'tandem-app[bot]', 'pat-token': 'Alice' }
  })
  fake.seedRepo({ owner: OWNER, repo: REPO })
})
afterAll(() => fake.close())
beforeEach(() => fake.clearLog())
afterEach(() => expectClean(fake))

describe('tandemLogin', () => {
  it('asks GraphQL who the token is, also for an installation token, once per client', async () => {
    const gh = client(fake, 'bot-token')
    expect(await tandemLogin(gh)).toBe('github-actions[bot]')
    expect(await tandemLogin(gh)).toBe('github-actions[bot]')
    expect(calls(fake, 'graphql')).toBe(1)
    // GET /user refuses installation tokens: it was never needed.
    expect(calls(fake, 'users/get-authenticated')).toBe(0)
    expect(fake.requests.find(r => r.operationId === 'graphql')?.graphql?.query).toContain(
      'viewer { login }'
    )
  })

  it('caches per client: another client (another token) asks again', async () => {
    expect(await tandemLogin(client(fake, 'app-token'))).toBe('tandem-app[bot]')
    expect(await tandemLogin(client(fake, 'pat-token'))).toBe('Alice')
    expect(calls(fake, 'graphql')).toBe(2)
  })

  it('falls back to GET /user when GraphQL fails', async () => {
    fake.failNext('graphql:TandemViewer', { status: 404 })
    const gh = client(fake, 'pat-token')
    expect(await tandemLogin(gh)).toBe('Alice')
    expect(calls(fake, 'users/get-authenticated')).toBe(1)
  })

  it('throws a clear error when neither answers, and asks again on the next call', async () => {
    fake.failNext('graphql:TandemViewer', { status: 404 })
    const gh = client(fake, 'bot-token')
    // An installation token: GraphQL failed and GET /user refuses it. No guess is made.
    await expect(tandemLogin(gh)).rejects.toThrow(
      /^Cannot tell which account 'github-token' belongs to: GraphQL `viewer` failed \(.+\) and GET \/user failed \(.+\)/
    )
    expect(calls(fake, 'users/get-authenticated')).toBe(1)
    // The failure is not remembered: once GraphQL answers again, so does tandemLogin.
    expect(await tandemLogin(gh)).toBe('github-actions[bot]')
  })
})

describe('isAuthoredBy', () => {
  const ME = 'github-actions[bot]'

  it('matches the REST and the GraphQL spelling of the same bot, in any case', () => {
    expect(isAuthoredBy({ login: 'github-actions[bot]', isBot: true }, ME)).toBe(true)
    expect(isAuthoredBy({ login: 'github-actions[bot]' }, ME)).toBe(true)
    // GraphQL names a bot without the suffix, with __typename Bot.
    expect(isAuthoredBy({ login: 'github-actions', isBot: true }, ME)).toBe(true)
    expect(isAuthoredBy({ login: 'GitHub-Actions[BOT]', isBot: true }, ME)).toBe(true)
  })

  it('never matches another bot, a person named like the bot, or nobody', () => {
    expect(isAuthoredBy({ login: 'evil-app[bot]', isBot: true }, ME)).toBe(false)
    expect(isAuthoredBy({ login: 'github-actions', isBot: false }, ME)).toBe(false)
    expect(isAuthoredBy({ login: 'github-actions-x[bot]', isBot: true }, ME)).toBe(false)
    expect(isAuthoredBy({ login: undefined, isBot: true }, ME)).toBe(false)
    expect(isAuthoredBy({ login: '', isBot: true }, '')).toBe(false)
  })

  it("matches a person's own login when Tandem runs with a PAT, and no bot of that name", () => {
    expect(isAuthoredBy({ login: 'alice', isBot: false }, 'Alice')).toBe(true)
    expect(isAuthoredBy({ login: 'alice', isBot: true }, 'Alice')).toBe(false)
    expect(isAuthoredBy({ login: 'alice[bot]' }, 'Alice')).toBe(false)
  })

  it('normalizes logins', () => {
    expect(bareLogin(' Renovate[bot] ')).toBe('renovate')
    expect(isBotLogin('renovate[BOT]')).toBe(true)
    expect(isBotLogin('renovate')).toBe(false)
  })
})
