import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  addressTrigger,
  hasFixCommand,
  hasReviewCommand,
  isAllowedBot,
  isForkPullRequest,
  readEvent,
  reviewTrigger,
  type Payload
} from '../../src/github/event.js'

interface Definition {
  name: string
  examples: Payload[]
}

const require = createRequire(import.meta.url)
const definitions = JSON.parse(
  readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')
) as Definition[]

/** A real payload from GitHub's examples, deep-copied so a test can change it freely. */
function example(name: string, action?: string): Payload {
  const found = definitions
    .find(d => d.name === name)
    ?.examples.find(e => action === undefined || e.action === action)
  if (!found) throw new Error(`no ${name} ${action ?? ''} example`)
  return structuredClone(found)
}

function obj(value: unknown): Payload {
  return value as Payload
}

/** The issue_comment example is on an issue; this puts it on a pull request. */
function prComment(body: string): Payload {
  const payload = example('issue_comment', 'created')
  const issue = obj(payload.issue)
  issue.pull_request = {
    url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1',
    html_url: 'https://github.com/Codertocat/Hello-World/pull/1',
    diff_url: 'https://github.com/Codertocat/Hello-World/pull/1.diff',
    patch_url: 'https://github.com/Codertocat/Hello-World/pull/1.patch'
  }
  obj(payload.comment).body = body
  return payload
}

describe('reviewTrigger: pull_request', () => {
  it('runs on synchronize', () => {
    const payload = example('pull_request', 'synchronize')
    expect(reviewTrigger('pull_request', payload)).toEqual({
      run: true,
      prNumber: payload.number,
      actor: obj(payload.sender).login,
      check: 'none'
    })
  })

  it('runs on opened, reopened and ready_for_review, and for pull_request_target', () => {
    for (const action of ['opened', 'reopened', 'ready_for_review']) {
      const payload = example('pull_request', action)
      obj(payload.pull_request).draft = false
      expect(reviewTrigger('pull_request_target', payload)).toMatchObject({ run: true })
    }
  })

  it('skips other actions, drafts and bots with a reason', () => {
    expect(reviewTrigger('pull_request', example('pull_request', 'labeled'))).toEqual({
      run: false,
      reason: expect.stringContaining("'labeled' does not start a review")
    })

    const draft = example('pull_request', 'synchronize')
    obj(draft.pull_request).draft = true
    expect(reviewTrigger('pull_request', draft)).toEqual({
      run: false,
      reason: `pull request #${draft.number} is a draft`
    })

    const bot = example('pull_request', 'synchronize')
    obj(bot.sender).login = 'github-actions[bot]'
    expect(reviewTrigger('pull_request', bot)).toMatchObject({
      run: false,
      reason: expect.stringContaining('bot')
    })
    const typed = example('pull_request', 'synchronize')
    obj(typed.sender).type = 'Bot'
    expect(reviewTrigger('pull_request', typed)).toMatchObject({ run: false })
  })

  it('lets the pr-number input name the pull request', () => {
    const payload = example('pull_request', 'synchronize')
    expect(reviewTrigger('pull_request', payload, { prNumberInput: 42 })).toMatchObject({
      run: true,
      prNumber: 42
    })
  })
})

describe('reviewTrigger: issue_comment', () => {
  it('runs on a /tandem review comment on a pull request, naming the comment and commenter', () => {
    const payload = prComment('Thanks!\n/tandem review\n')
    expect(reviewTrigger('issue_comment', payload)).toEqual({
      run: true,
      prNumber: obj(payload.issue).number,
      commentId: obj(payload.comment).id,
      actor: 'Codertocat',
      check: 'write'
    })
  })

  it('skips a comment on an issue', () => {
    const payload = example('issue_comment', 'created')
    obj(payload.comment).body = '/tandem review'
    expect(reviewTrigger('issue_comment', payload)).toEqual({
      run: false,
      reason: expect.stringContaining('is an issue, not a pull request')
    })
  })

  it('skips comments without the command, edits and deletions', () => {
    expect(reviewTrigger('issue_comment', prComment('please review'))).toMatchObject({
      run: false
    })
    const edited = prComment('/tandem review')
    edited.action = 'edited'
    expect(reviewTrigger('issue_comment', edited)).toMatchObject({ run: false })
  })

  it('skips Tandem’s own comments and any bot’s', () => {
    const own = prComment('<!-- tandem:summary -->\nRun /tandem review again\n/tandem review')
    expect(reviewTrigger('issue_comment', own)).toEqual({
      run: false,
      reason: 'the comment is one of Tandem’s own'
    })
    const bot = prComment('/tandem review')
    obj(bot.sender).login = 'tandem-app[bot]'
    obj(obj(bot.comment).user).login = 'tandem-app[bot]'
    expect(reviewTrigger('issue_comment', bot)).toMatchObject({ run: false })
  })

  it('skips a closed pull request', () => {
    const payload = prComment('/tandem review')
    obj(payload.issue).state = 'closed'
    expect(reviewTrigger('issue_comment', payload)).toMatchObject({
      run: false,
      reason: expect.stringContaining('closed')
    })
  })
})

describe('reviewTrigger: other events', () => {
  it('needs pr-number for workflow_dispatch', () => {
    const payload = example('workflow_dispatch')
    expect(reviewTrigger('workflow_dispatch', payload)).toEqual({
      run: false,
      reason: "workflow_dispatch needs the 'pr-number' input"
    })
    expect(reviewTrigger('workflow_dispatch', payload, { prNumberInput: 7 })).toEqual({
      run: true,
      prNumber: 7,
      actor: obj(payload.sender).login,
      check: 'none'
    })
  })

  it('skips an event that names no pull request, unless pr-number does', () => {
    const push = example('push')
    expect(reviewTrigger('push', push)).toMatchObject({
      run: false,
      reason: expect.stringContaining("event 'push'")
    })
    expect(reviewTrigger('push', push, { prNumberInput: 3 })).toMatchObject({
      run: true,
      prNumber: 3
    })
  })
})

describe('hasReviewCommand', () => {
  it.each([
    ['/tandem review', true],
    ['  /tandem review please', true],
    ['LGTM\r\n/tandem review\r\n', true],
    ['/Tandem Review', true],
    ['please /tandem review', false],
    ['> /tandem review', false],
    ['/tandem reviewer', false],
    ['/tandem', false],
    ['Use it like this:\n```\n/tandem review\n```\n', false],
    ['```\nexample\n```\n/tandem review', true]
  ])('%j → %s', (body, expected) => {
    expect(hasReviewCommand(body)).toBe(expected)
  })
})

describe('isForkPullRequest', () => {
  it('compares the head and base repositories', () => {
    const pr = obj(example('pull_request', 'synchronize').pull_request)
    expect(isForkPullRequest(pr)).toBe(false)
    obj(obj(pr.head).repo).full_name = 'mallory/Hello-World'
    expect(isForkPullRequest(pr)).toBe(true)
  })

  it('treats a deleted head repository as a fork', () => {
    const pr = obj(example('pull_request', 'synchronize').pull_request)
    obj(pr.head).repo = null
    expect(isForkPullRequest(pr)).toBe(true)
  })
})

describe('readEvent', () => {
  it('reads GITHUB_EVENT_NAME and the payload at GITHUB_EVENT_PATH', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tandem-event-'))
    const file = path.join(dir, 'event.json')
    const payload = example('pull_request', 'synchronize')
    writeFileSync(file, JSON.stringify(payload))
    expect(readEvent({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: file })).toEqual({
      eventName: 'pull_request',
      payload
    })
  })

  it('gives an empty payload without a path, and a clear error for a bad file', () => {
    expect(readEvent({ GITHUB_EVENT_NAME: 'push' })).toEqual({ eventName: 'push', payload: {} })
    const dir = mkdtempSync(path.join(tmpdir(), 'tandem-event-'))
    const file = path.join(dir, 'event.json')
    writeFileSync(file, '{not json')
    expect(() => readEvent({ GITHUB_EVENT_PATH: file })).toThrow(/is not JSON/)
    expect(() => readEvent({ GITHUB_EVENT_PATH: path.join(dir, 'missing.json') })).toThrow(
      /cannot be read/
    )
  })
})

/** A review Tandem's reviewer (a GitHub App) submitted. */
function botReview(body: string | null): Payload {
  const payload = example('pull_request_review', 'submitted')
  const bot = { login: 'tandem-app[bot]', type: 'Bot' }
  obj(payload.review).user = bot
  obj(payload.review).body = body
  payload.sender = bot
  return payload
}

describe('addressTrigger', () => {
  it("runs on a review with Tandem's marker in its trailer, if the bot proves to be Tandem", () => {
    const payload = botReview('### Tandem review\n\nTwo problems.\n\n<!-- tandem:review -->')
    expect(addressTrigger('pull_request_review', payload)).toEqual({
      run: true,
      prNumber: obj(payload.pull_request).number,
      actor: 'tandem-app[bot]',
      source: 'reviewer',
      // whyNotTrusted: the reviewer must be Tandem's own login.
      check: 'tandem'
    })
  })

  it("skips other bots' reviews, and the empty reviews GitHub makes for thread replies", () => {
    expect(addressTrigger('pull_request_review', botReview('LGTM'))).toMatchObject({
      run: false,
      reason: expect.stringContaining('the review was submitted by a bot (tandem-app[bot])')
    })
    expect(addressTrigger('pull_request_review', botReview(null))).toMatchObject({ run: false })
    const dismissed = botReview('<!-- tandem:review -->')
    dismissed.action = 'dismissed'
    expect(addressTrigger('pull_request_review', dismissed)).toMatchObject({ run: false })
    const closed = botReview('<!-- tandem:review -->')
    obj(closed.pull_request).state = 'closed'
    expect(addressTrigger('pull_request_review', closed)).toMatchObject({
      run: false,
      reason: expect.stringContaining('closed')
    })
  })

  it("runs on a person's review with /tandem fix, which needs a permission check", () => {
    const payload = example('pull_request_review', 'submitted')
    obj(payload.review).body = 'Please address these.\n/tandem fix'
    expect(addressTrigger('pull_request_review', payload)).toMatchObject({
      run: true,
      actor: 'Codertocat',
      source: 'command',
      check: 'write'
    })
    obj(payload.review).body = 'Looks fine'
    expect(addressTrigger('pull_request_review', payload)).toMatchObject({
      run: false,
      reason: 'the review by @Codertocat holds no /tandem fix command'
    })
  })

  it('runs on a /tandem fix comment, never on /tandem review, a bot or Tandem itself', () => {
    const payload = prComment('/tandem fix')
    expect(addressTrigger('issue_comment', payload)).toEqual({
      run: true,
      prNumber: obj(payload.issue).number,
      actor: 'Codertocat',
      source: 'command',
      check: 'write'
    })
    expect(addressTrigger('issue_comment', prComment('/tandem review'))).toMatchObject({
      run: false,
      reason: 'the comment holds no /tandem fix command'
    })
    const bot = prComment('/tandem fix')
    obj(bot.sender).login = 'tandem-app[bot]'
    obj(obj(bot.comment).user).login = 'tandem-app[bot]'
    expect(addressTrigger('issue_comment', bot)).toMatchObject({
      run: false,
      reason: expect.stringContaining('bot')
    })
    const own = prComment('<!-- tandem:summary -->\n/tandem fix')
    expect(addressTrigger('issue_comment', own)).toMatchObject({ run: false })
  })

  it('skips every other bot-caused event, even with pr-number', () => {
    const push = example('push')
    obj(push.sender).type = 'Bot'
    expect(addressTrigger('push', push, { prNumberInput: 3 })).toMatchObject({
      run: false,
      reason: expect.stringContaining('sent by a bot')
    })
  })

  it('runs on workflow_dispatch with pr-number, and on any event with it', () => {
    const dispatch = example('workflow_dispatch')
    expect(addressTrigger('workflow_dispatch', dispatch)).toEqual({
      run: false,
      reason: "workflow_dispatch needs the 'pr-number' input"
    })
    expect(addressTrigger('workflow_dispatch', dispatch, { prNumberInput: 7 })).toEqual({
      run: true,
      prNumber: 7,
      actor: obj(dispatch.sender).login,
      source: 'dispatch',
      check: 'none'
    })
    expect(addressTrigger('schedule', {}, { prNumberInput: 7 })).toMatchObject({ run: true })
    expect(addressTrigger('pull_request', example('pull_request', 'synchronize'))).toMatchObject({
      run: false,
      reason: expect.stringContaining("event 'pull_request' does not start address mode")
    })
  })
})

describe('hasFixCommand', () => {
  it.each([
    ['/tandem fix', true],
    ['LGTM but\n  /tandem fix please', true],
    ['/tandem fixes', false],
    ['/tandem review', false],
    ['```\n/tandem fix\n```', false]
  ])('%j → %s', (body, expected) => {
    expect(hasFixCommand(body)).toBe(expected)
  })
})

/** A bot that allowed-bots may list: a separate reviewer App, a dependency bot, … */
const RENOVATE = { login: 'renovate[bot]', type: 'Bot' }
const TANDEM_APP = { login: 'tandem-app[bot]', type: 'Bot' }
const MARKED =
  '### Tandem review\n\nFindings.\n\n<!-- tandem:review -->\n<!-- tandem:run id=abc -->'

function byBot(payload: Payload, bot: { login: string; type: string }): Payload {
  payload.sender = bot
  for (const key of ['comment', 'review']) {
    if (payload[key] !== undefined) obj(payload[key]).user = bot
  }
  return payload
}

describe('bots and allowed-bots', () => {
  const allowedBots = ['renovate[bot]']

  it.each([
    ['pull_request synchronize', 'pull_request', () => example('pull_request', 'synchronize')],
    ['a /tandem review comment', 'issue_comment', () => prComment('/tandem review')],
    ['workflow_dispatch', 'workflow_dispatch', () => example('workflow_dispatch')]
  ])('reviewTrigger: an unlisted bot’s %s starts nothing', (_what, eventName, make) => {
    for (const bot of [TANDEM_APP, { login: 'evil[bot]', type: 'Bot' }]) {
      expect(
        reviewTrigger(eventName, byBot(make(), bot), { prNumberInput: 5, allowedBots })
      ).toEqual({
        run: false,
        reason: expect.stringContaining(`a bot (${bot.login}) that allowed-bots does not list`)
      })
    }
  })

  it('reviewTrigger: a listed bot’s events run, with its permission still to check', () => {
    const push = byBot(example('pull_request', 'synchronize'), RENOVATE)
    expect(reviewTrigger('pull_request', push, { allowedBots })).toEqual({
      run: true,
      prNumber: push.number,
      actor: 'renovate[bot]',
      check: 'allowed-bot'
    })
    const comment = byBot(prComment('/tandem review'), RENOVATE)
    expect(reviewTrigger('issue_comment', comment, { allowedBots })).toMatchObject({
      run: true,
      actor: 'renovate[bot]',
      commentId: obj(comment.comment).id,
      check: 'allowed-bot'
    })
    // A listed bot still needs the command, and its comments with Tandem's marker are skipped.
    expect(
      reviewTrigger('issue_comment', byBot(prComment('hello'), RENOVATE), { allowedBots })
    ).toMatchObject({ run: false })
    expect(
      reviewTrigger(
        'issue_comment',
        byBot(prComment('<!-- tandem:x -->\n/tandem review'), RENOVATE),
        {
          allowedBots
        }
      )
    ).toMatchObject({ run: false })
  })

  it('matches allowed-bots without case or [bot] suffix, but only bots', () => {
    expect(isAllowedBot('Renovate[bot]', ['renovate'])).toBe(true)
    expect(isAllowedBot('renovate[bot]', ['RENOVATE[BOT]'])).toBe(true)
    expect(isAllowedBot('renovate-x[bot]', ['renovate'])).toBe(false)
    expect(isAllowedBot('renovate[bot]', [])).toBe(false)
    // A person named like a listed bot is a person: the usual checks apply to them.
    const person = prComment('/tandem review')
    obj(obj(person.comment).user).login = 'renovate'
    expect(reviewTrigger('issue_comment', person, { allowedBots })).toMatchObject({
      run: true,
      actor: 'renovate',
      check: 'write'
    })
  })

  it('a bot’s comment is judged by its author even when GitHub names a person as sender', () => {
    const payload = prComment('/tandem fix')
    obj(payload.comment).user = { login: 'evil[bot]', type: 'Bot' }
    expect(addressTrigger('issue_comment', payload, { allowedBots })).toMatchObject({
      run: false,
      reason: expect.stringContaining('evil[bot]')
    })
  })

  it('addressTrigger: an unlisted bot’s /tandem fix starts nothing, a listed one’s is checked', () => {
    expect(
      addressTrigger('issue_comment', byBot(prComment('/tandem fix'), TANDEM_APP), { allowedBots })
    ).toMatchObject({ run: false, reason: expect.stringContaining('allowed-bots does not list') })
    expect(
      addressTrigger('issue_comment', byBot(prComment('/tandem fix'), RENOVATE), { allowedBots })
    ).toMatchObject({ run: true, actor: 'renovate[bot]', source: 'command', check: 'allowed-bot' })
    const review = byBot(example('pull_request_review', 'submitted'), RENOVATE)
    obj(review.review).body = 'Bumped.\n/tandem fix'
    expect(addressTrigger('pull_request_review', review, { allowedBots })).toMatchObject({
      run: true,
      actor: 'renovate[bot]',
      source: 'command',
      check: 'allowed-bot'
    })
    obj(review.review).body = 'Bumped.'
    expect(addressTrigger('pull_request_review', review, { allowedBots })).toMatchObject({
      run: false,
      reason: 'the review by renovate[bot] holds no /tandem fix command'
    })
  })

  it('addressTrigger: the review hand-off needs the marker in the trailer, and Tandem', () => {
    const review = byBot(example('pull_request_review', 'submitted'), TANDEM_APP)
    obj(review.review).body = MARKED
    expect(addressTrigger('pull_request_review', review)).toMatchObject({
      run: true,
      source: 'reviewer',
      check: 'tandem'
    })
    // A listed bot may hand over too (a separate reviewer App), with its permission checked.
    const listed = byBot(example('pull_request_review', 'submitted'), RENOVATE)
    obj(listed.review).body = MARKED
    expect(addressTrigger('pull_request_review', listed, { allowedBots })).toMatchObject({
      run: true,
      actor: 'renovate[bot]',
      source: 'reviewer',
      check: 'tandem-or-allowed-bot'
    })
    // The marker anywhere but the trailer is not Tandem's: quoted, in a code block, mid-text.
    for (const body of [
      'see <!-- tandem:review --> above',
      '<!-- tandem:review -->\nLGTM',
      '```\n<!-- tandem:review -->\n```\nthanks',
      '<!-- tandem:review -->\n\nok'
    ]) {
      obj(review.review).body = body
      expect(addressTrigger('pull_request_review', review)).toMatchObject({ run: false })
    }
  })

  it("addressTrigger: a person's review with Tandem's marker is a person's review", () => {
    const payload = example('pull_request_review', 'submitted')
    obj(payload.review).body = MARKED
    expect(addressTrigger('pull_request_review', payload)).toMatchObject({
      run: false,
      reason: 'the review by @Codertocat holds no /tandem fix command'
    })
  })
})
