// whyNotTrusted against the fake GitHub: what each kind of actor must prove before a run starts,
// and the whole decision (trigger, then check) on GitHub's own webhook examples.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { GitHub } from '../../src/github/client.js'
import {
  addressTrigger,
  reviewTrigger,
  whyNotTrusted,
  type Payload,
  type TriggerOptions
} from '../../src/github/event.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { OWNER, REPO, calls, client, expectClean, repo } from './setup.js'

const require = createRequire(import.meta.url)
const definitions = JSON.parse(
  readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')
) as { name: string; examples: Payload[] }[]

function example(name: string, action?: string): Payload {
  const found = definitions
    .find(d => d.name === name)
    ?.examples.find(e => action === undefined || e.action === action)
  if (!found) throw new Error(`no ${name} ${action ?? ''} example`)
  return structuredClone(found)
}

const obj = (value: unknown) => value as Payload

// The token of these tests is Tandem's: a GitHub App's installation token.
const TANDEM = { login: 'tandem-app[bot]', type: 'Bot' }
const RENOVATE = { login: 'renovate[bot]', type: 'Bot' }
const EVIL = { login: 'evil-app[bot]', type: 'Bot' }
const MARKED =
  '### Tandem review\n\nFindings.\n\n<!-- tandem:review -->\n<!-- tandem:run id=abc -->'

let fake: FakeGitHub
let gh: GitHub

beforeAll(async () => {
  fake = await startFakeGitHub({ token: 'app-token', actor: TANDEM.login })
  fake.seedRepo({ owner: OWNER, repo: REPO })
  fake.setPermission('wes', 'write')
  fake.setPermission('tom', 'triage')
  fake.setPermission('renovate[bot]', 'write')
  gh = client(fake, 'app-token')
})
afterAll(() => fake.close())
beforeEach(() => fake.clearLog())
afterEach(() => expectClean(fake))

const where = `${OWNER}/${REPO}`

describe('whyNotTrusted', () => {
  it('asks nothing for a trigger that needs no check', async () => {
    expect(await whyNotTrusted(gh, repo, { actor: 'anyone', check: 'none' })).toBeUndefined()
    expect(fake.requests).toEqual([])
  })

  it("checks a person's write permission", async () => {
    expect(await whyNotTrusted(gh, repo, { actor: 'wes', check: 'write' })).toBeUndefined()
    expect(await whyNotTrusted(gh, repo, { actor: 'tom', check: 'write' })).toBe(
      `@tom does not have write permission on ${where}`
    )
    expect(await whyNotTrusted(gh, repo, { actor: '', check: 'write' })).toBe(
      `@unknown does not have write permission on ${where}`
    )
    expect(calls(fake, 'repos/get-collaborator-permission-level')).toBe(2)
  })

  it("takes Tandem's own review at its word without asking the permission API", async () => {
    expect(
      await whyNotTrusted(gh, repo, { actor: 'Tandem-App[bot]', check: 'tandem' })
    ).toBeUndefined()
    expect(
      await whyNotTrusted(gh, repo, { actor: 'tandem-app[bot]', check: 'tandem-or-allowed-bot' })
    ).toBeUndefined()
    expect(calls(fake, 'repos/get-collaborator-permission-level')).toBe(0)
    expect(calls(fake, 'graphql')).toBe(1)
  })

  it("refuses another bot's review that carries Tandem's marker", async () => {
    expect(await whyNotTrusted(gh, repo, { actor: EVIL.login, check: 'tandem' })).toBe(
      "the review carries Tandem's marker but was submitted by evil-app[bot], not by Tandem " +
        '(tandem-app[bot]); a bot must be listed in allowed-bots to start a run'
    )
    // Listed or not, a bot without write permission is refused.
    expect(
      await whyNotTrusted(gh, repo, { actor: EVIL.login, check: 'tandem-or-allowed-bot' })
    ).toBe(`evil-app[bot] (listed in allowed-bots) does not have write permission on ${where}`)
  })

  it("lets an allowed bot with write permission in, and never Tandem's own events", async () => {
    expect(
      await whyNotTrusted(gh, repo, { actor: RENOVATE.login, check: 'allowed-bot' })
    ).toBeUndefined()
    expect(await whyNotTrusted(gh, repo, { actor: EVIL.login, check: 'allowed-bot' })).toBe(
      `evil-app[bot] (listed in allowed-bots) does not have write permission on ${where}`
    )
    expect(await whyNotTrusted(gh, repo, { actor: TANDEM.login, check: 'allowed-bot' })).toBe(
      'the event was sent by Tandem itself (tandem-app[bot]): its own events never start a run'
    )
  })

  it('fails, rather than guessing, when Tandem cannot tell who it is', async () => {
    fake.failNext('graphql:TandemViewer', { status: 404 })
    const fresh = client(fake, 'app-token')
    await expect(
      whyNotTrusted(fresh, repo, { actor: EVIL.login, check: 'tandem' })
    ).rejects.toThrow(/Cannot tell which account 'github-token' belongs to/)
  })
})

/** A person's `/tandem …` comment on a pull request, from GitHub's issue_comment example. */
function prComment(body: string, user?: { login: string; type: string }): Payload {
  const payload = example('issue_comment', 'created')
  obj(payload.issue).pull_request = { url: 'https://api.github.com/repos/o/r/pulls/1' }
  obj(payload.comment).body = body
  if (user) {
    obj(payload.comment).user = user
    payload.sender = user
  }
  return payload
}

function review(body: string, user?: { login: string; type: string }): Payload {
  const payload = example('pull_request_review', 'submitted')
  obj(payload.review).body = body
  if (user) {
    obj(payload.review).user = user
    payload.sender = user
  }
  return payload
}

function push(user?: { login: string; type: string }): Payload {
  const payload = example('pull_request', 'synchronize')
  if (user) payload.sender = user
  return payload
}

/** The whole decision a mode makes before anything runs: trigger, then whyNotTrusted. */
async function decide(
  trigger: typeof reviewTrigger | typeof addressTrigger,
  eventName: string,
  payload: Payload,
  options: TriggerOptions = {}
): Promise<string> {
  const decided = trigger(eventName, payload, options)
  if (!decided.run) return `skip: ${decided.reason}`
  const refusal = await whyNotTrusted(gh, repo, decided)
  return refusal === undefined ? `run as ${decided.actor}` : `skip: ${refusal}`
}

describe('who may start a run, end to end', () => {
  const listed: TriggerOptions = { allowedBots: ['renovate', 'tandem-app'] }

  it('a person: pull request events run; commands need write permission', async () => {
    expect(await decide(reviewTrigger, 'pull_request', push())).toBe('run as Codertocat')
    const wes = { login: 'wes', type: 'User' }
    const tom = { login: 'tom', type: 'User' }
    expect(await decide(reviewTrigger, 'issue_comment', prComment('/tandem review', wes))).toBe(
      'run as wes'
    )
    expect(await decide(addressTrigger, 'issue_comment', prComment('/tandem fix', tom))).toBe(
      `skip: @tom does not have write permission on ${where}`
    )
    expect(await decide(addressTrigger, 'pull_request_review', review('/tandem fix', wes))).toBe(
      'run as wes'
    )
  })

  it('Tandem: its review hands over to address mode; nothing else of its own starts a run', async () => {
    expect(await decide(addressTrigger, 'pull_request_review', review(MARKED, TANDEM))).toBe(
      'run as tandem-app[bot]'
    )
    // Its pushes, summaries, replies and marker-less reviews: skipped, listed or not.
    for (const options of [{}, listed]) {
      expect(await decide(reviewTrigger, 'pull_request', push(TANDEM), options)).toMatch(/^skip: /)
      expect(
        await decide(reviewTrigger, 'issue_comment', prComment('/tandem review', TANDEM), options)
      ).toMatch(/^skip: /)
      expect(
        await decide(addressTrigger, 'issue_comment', prComment('/tandem fix', TANDEM), options)
      ).toMatch(/^skip: /)
      expect(
        await decide(addressTrigger, 'pull_request_review', review('/tandem fix', TANDEM), options)
      ).toMatch(/^skip: /)
      expect(
        await decide(addressTrigger, 'pull_request_review', review('', TANDEM), options)
      ).toMatch(/^skip: /)
    }
    expect(await decide(reviewTrigger, 'pull_request', push(TANDEM), listed)).toBe(
      'skip: the event was sent by Tandem itself (tandem-app[bot]): its own events never start a run'
    )
  })

  it("another bot: nothing, not even a review that forges Tandem's marker", async () => {
    expect(await decide(addressTrigger, 'pull_request_review', review(MARKED, EVIL))).toMatch(
      /^skip: the review carries Tandem's marker but was submitted by evil-app\[bot\]/
    )
    expect(await decide(addressTrigger, 'issue_comment', prComment('/tandem fix', EVIL))).toMatch(
      /^skip: the event was sent by a bot \(evil-app\[bot\]\) that allowed-bots does not list/
    )
    expect(await decide(reviewTrigger, 'pull_request', push(EVIL))).toMatch(/^skip: /)
    expect(calls(fake, 'repos/get-collaborator-permission-level')).toBe(0)
  })

  it('an allowed bot: runs when it has write permission', async () => {
    expect(await decide(reviewTrigger, 'pull_request', push(RENOVATE), listed)).toBe(
      'run as renovate[bot]'
    )
    expect(
      await decide(addressTrigger, 'issue_comment', prComment('/tandem fix', RENOVATE), listed)
    ).toBe('run as renovate[bot]')
    expect(
      await decide(addressTrigger, 'pull_request_review', review(MARKED, RENOVATE), listed)
    ).toBe('run as renovate[bot]')
    const evilListed = { allowedBots: ['evil-app'] }
    expect(
      await decide(addressTrigger, 'issue_comment', prComment('/tandem fix', EVIL), evilListed)
    ).toBe(
      `skip: evil-app[bot] (listed in allowed-bots) does not have write permission on ${where}`
    )
  })
})
