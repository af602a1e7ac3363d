import { readFileSync } from 'node:fs'
import { REVIEW_MARKER, hasTrailerMarker } from '../review/findings.js'
import { bareLogin } from './identity.js'
import type { TriggerCheck } from './permissions.js'

export {
  getCollaboratorPermission,
  requireWritePermission,
  whyNotTrusted,
  type TriggerCheck
} from './permissions.js'

export type Payload = Record<string, unknown>

export interface WorkflowEvent {
  eventName: string
  payload: Payload
}

/** The event that started the workflow, as the runner wrote it to GITHUB_EVENT_PATH. */
export function readEvent(env: NodeJS.ProcessEnv = process.env): WorkflowEvent {
  const eventName = env.GITHUB_EVENT_NAME?.trim() ?? ''
  const file = env.GITHUB_EVENT_PATH?.trim()
  if (!file) return { eventName, payload: {} }
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new Error(`GITHUB_EVENT_PATH ${file} cannot be read: ${(error as Error).message}`)
  }
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch (error) {
    throw new Error(`GITHUB_EVENT_PATH ${file} is not JSON: ${(error as Error).message}`)
  }
  return { eventName, payload: record(payload) ?? {} }
}

export type ReviewTrigger =
  | {
      run: true
      prNumber: number
      /** Who started the run: the PR event's sender or the commenter. */
      actor: string
      /** Set when a `/tandem review` comment started the run. */
      commentId?: number
      /** What the caller must check about `actor` before anything runs (whyNotTrusted). */
      check: TriggerCheck
    }
  | { run: false; reason: string }

export interface TriggerOptions {
  /** The `pr-number` input, if set. */
  prNumberInput?: number
  /**
   * The `allowed-bots` input: bots besides Tandem itself whose events may start a run (each
   * still needs write permission). Any other bot's event starts nothing.
   */
  allowedBots?: readonly string[]
}

/** Every comment Tandem writes carries one: a comment of Tandem's never starts a run. */
export const TANDEM_MARKER = '<!-- tandem:'

const PULL_REQUEST_ACTIONS = ['opened', 'synchronize', 'reopened', 'ready_for_review']

/**
 * Whether this event should start a review, and of which pull request. Pure: the caller reads
 * the event (readEvent), then checks the actor as `check` says (whyNotTrusted) before anything
 * runs.
 */
export function reviewTrigger(
  eventName: string,
  payload: unknown,
  options: TriggerOptions = {}
): ReviewTrigger {
  const event = record(payload) ?? {}
  // Tandem's own pushes and comments (and any bot's not in allowed-bots) never start a run; an
  // allowed bot's are checked like a command (and refused if the bot turns out to be Tandem).
  const bot = botBehind(event)
  if (bot !== undefined && !isAllowedBot(bot, options.allowedBots)) return notAllowed(bot)
  const decided = reviewDecision(eventName, event, options)
  if (!decided.run) return decided
  const check: TriggerCheck =
    bot !== undefined ? 'allowed-bot' : decided.commentId !== undefined ? 'write' : 'none'
  return { ...decided, ...(bot !== undefined ? { actor: bot } : {}), check }
}

type Decision<T> = T extends { run: true } ? Omit<T, 'check'> : T

function reviewDecision(
  eventName: string,
  event: Payload,
  options: TriggerOptions
): Decision<ReviewTrigger> {
  const senderLogin = text(record(event.sender)?.login)
  switch (eventName) {
    case 'pull_request':
    case 'pull_request_target':
      return pullRequestTrigger(eventName, event, options, senderLogin)
    case 'issue_comment':
      return commentTrigger(event, 'review')
    case 'workflow_dispatch':
      if (options.prNumberInput === undefined) {
        return { run: false, reason: "workflow_dispatch needs the 'pr-number' input" }
      }
      return { run: true, prNumber: options.prNumberInput, actor: senderLogin ?? '' }
    default:
      // An explicit pr-number is a clear request, whatever started the workflow.
      if (options.prNumberInput !== undefined) {
        return { run: true, prNumber: options.prNumberInput, actor: senderLogin ?? '' }
      }
      return {
        run: false,
        reason: `event '${eventName || 'unknown'}' does not name a pull request; set 'pr-number' to review one`
      }
  }
}

function pullRequestTrigger(
  eventName: string,
  event: Payload,
  options: TriggerOptions,
  senderLogin: string | undefined
): Decision<ReviewTrigger> {
  const action = text(event.action) ?? ''
  if (!PULL_REQUEST_ACTIONS.includes(action)) {
    return {
      run: false,
      reason: `${eventName} '${action}' does not start a review (only ${PULL_REQUEST_ACTIONS.join(', ')})`
    }
  }
  const pr = record(event.pull_request)
  const prNumber = options.prNumberInput ?? whole(event.number) ?? whole(pr?.number)
  if (prNumber === undefined) {
    return { run: false, reason: `the ${eventName} payload carries no pull request number` }
  }
  if (pr?.draft === true) {
    return { run: false, reason: `pull request #${prNumber} is a draft` }
  }
  if (pr?.state === 'closed') {
    return { run: false, reason: `pull request #${prNumber} is closed` }
  }
  return { run: true, prNumber, actor: senderLogin ?? text(record(pr?.user)?.login) ?? '' }
}

type Command = 'review' | 'fix'

const COMMAND_STARTS: Record<Command, string> = { review: 'a review', fix: 'address mode' }

function commentTrigger(event: Payload, command: Command): Decision<ReviewTrigger> {
  const action = text(event.action) ?? ''
  if (action !== 'created') {
    return {
      run: false,
      reason: `issue_comment '${action}' does not start ${COMMAND_STARTS[command]}`
    }
  }
  const issue = record(event.issue)
  const comment = record(event.comment)
  if (issue === undefined || comment === undefined) {
    return { run: false, reason: 'the issue_comment payload has no issue or comment' }
  }
  if (record(issue.pull_request) === undefined) {
    return { run: false, reason: `#${whole(issue.number) ?? '?'} is an issue, not a pull request` }
  }
  // A bot's comment got here only if allowed-bots lists it (see botBehind).
  const author = record(comment.user)
  const body = text(comment.body) ?? ''
  if (body.includes(TANDEM_MARKER)) {
    return { run: false, reason: 'the comment is one of Tandem’s own' }
  }
  if (!hasCommand(body, command)) {
    return { run: false, reason: `the comment holds no /tandem ${command} command` }
  }
  const prNumber = whole(issue.number)
  if (prNumber === undefined) {
    return { run: false, reason: 'the issue_comment payload carries no pull request number' }
  }
  if (issue.state === 'closed') {
    return { run: false, reason: `pull request #${prNumber} is closed` }
  }
  const actor = text(author?.login) ?? text(record(event.sender)?.login) ?? ''
  const commentId = whole(comment.id)
  return commentId === undefined
    ? { run: true, prNumber, actor }
    : { run: true, prNumber, actor, commentId }
}

/**
 * `/tandem review` as a command: at the start of a line (indent allowed), not quoted, not inside
 * a fenced code block where someone shows how to use it.
 */
export function hasReviewCommand(body: string): boolean {
  return hasCommand(body, 'review')
}

/** `/tandem fix`, by the same rules as `/tandem review`. */
export function hasFixCommand(body: string): boolean {
  return hasCommand(body, 'fix')
}

function hasCommand(body: string, command: Command): boolean {
  const prose = body.replace(/^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[ \t]*$/gm, '')
  return new RegExp(`^[ \\t]*\\/tandem[ \\t]+${command}(?=\\s|$)`, 'im').test(prose)
}

export type AddressTrigger =
  | {
      run: true
      prNumber: number
      /** Who started the run: the reviewer (a bot), the commenter, or the dispatcher. */
      actor: string
      /**
       * `reviewer`: a review carrying Tandem's review marker (Tandem's reviewer, or an allowed
       * bot's); such runs chain (review → fix → push → review) and must be bounded. `command`:
       * a `/tandem fix`. `dispatch`: an explicit `pr-number`.
       */
      source: 'reviewer' | 'command' | 'dispatch'
      /** What the caller must check about `actor` before anything runs (whyNotTrusted). */
      check: TriggerCheck
    }
  | { run: false; reason: string }

/**
 * Whether this event should start address mode, and on which pull request. Pure, like
 * reviewTrigger. The one event of Tandem's own that may start a run is a review whose trailer
 * carries Tandem's review marker, submitted by Tandem's own login (checked by whyNotTrusted):
 * Tandem's reviewer asking its writer to address its findings. Reviews posted with GITHUB_TOKEN
 * start no workflow at all, so this only chains with an App's token.
 */
export function addressTrigger(
  eventName: string,
  payload: unknown,
  options: TriggerOptions = {}
): AddressTrigger {
  const event = record(payload) ?? {}
  if (eventName === 'pull_request_review') return reviewSubmittedTrigger(event, options)
  const bot = botBehind(event)
  if (bot !== undefined && !isAllowedBot(bot, options.allowedBots)) return notAllowed(bot)
  const decided = addressDecision(eventName, event, options)
  if (!decided.run) return decided
  const check: TriggerCheck =
    bot !== undefined ? 'allowed-bot' : decided.source === 'command' ? 'write' : 'none'
  return { ...decided, ...(bot !== undefined ? { actor: bot } : {}), check }
}

function addressDecision(
  eventName: string,
  event: Payload,
  options: TriggerOptions
): Decision<AddressTrigger> {
  const senderLogin = text(record(event.sender)?.login)
  switch (eventName) {
    case 'issue_comment': {
      const trigger = commentTrigger(event, 'fix')
      return trigger.run
        ? { run: true, prNumber: trigger.prNumber, actor: trigger.actor, source: 'command' }
        : trigger
    }
    case 'workflow_dispatch':
      if (options.prNumberInput === undefined) {
        return { run: false, reason: "workflow_dispatch needs the 'pr-number' input" }
      }
      return {
        run: true,
        prNumber: options.prNumberInput,
        actor: senderLogin ?? '',
        source: 'dispatch'
      }
    default:
      if (options.prNumberInput !== undefined) {
        return {
          run: true,
          prNumber: options.prNumberInput,
          actor: senderLogin ?? '',
          source: 'dispatch'
        }
      }
      return {
        run: false,
        reason: `event '${eventName || 'unknown'}' does not start address mode; it runs on Tandem's reviews, /tandem fix comments, or with 'pr-number'`
      }
  }
}

function reviewSubmittedTrigger(event: Payload, options: TriggerOptions): AddressTrigger {
  const action = text(event.action) ?? ''
  if (action !== 'submitted') {
    return { run: false, reason: `pull_request_review '${action}' does not start address mode` }
  }
  const review = record(event.review)
  const pr = record(event.pull_request)
  const login = text(record(review?.user)?.login) ?? text(record(event.sender)?.login) ?? ''
  const prNumber = whole(pr?.number)
  if (review === undefined || prNumber === undefined) {
    return { run: false, reason: 'the pull_request_review payload has no review or pull request' }
  }
  if (pr?.state === 'closed') return { run: false, reason: `pull request #${prNumber} is closed` }
  const body = text(review.body) ?? ''
  const bot = botBehind(event)
  if (bot !== undefined) {
    const allowed = isAllowedBot(bot, options.allowedBots)
    // Tandem's reviewer handing its findings to the writer: the marker ends every review body
    // Tandem posts, but any bot can write it, so whyNotTrusted checks the login is Tandem's.
    if (hasTrailerMarker(body, REVIEW_MARKER)) {
      const check = allowed ? 'tandem-or-allowed-bot' : 'tandem'
      return { run: true, prNumber, actor: bot, source: 'reviewer', check }
    }
    // Tandem's writer replies (empty reviews) and every other bot's reviews start nothing.
    if (!allowed) return notAllowed(bot, 'the review was submitted by')
    if (!hasCommand(body, 'fix')) {
      return { run: false, reason: `the review by ${bot} holds no /tandem fix command` }
    }
    return { run: true, prNumber, actor: bot, source: 'command', check: 'allowed-bot' }
  }
  if (!hasCommand(body, 'fix')) {
    return { run: false, reason: `the review by @${login} holds no /tandem fix command` }
  }
  return { run: true, prNumber, actor: login, source: 'command', check: 'write' }
}

/**
 * The bot behind an event, if a bot caused it: the author of the comment or review it carries,
 * else its sender.
 */
function botBehind(event: Payload): string | undefined {
  const author = record(record(event.comment)?.user) ?? record(record(event.review)?.user)
  for (const user of [author, record(event.sender)]) {
    if (user !== undefined && isBot(user)) return text(user.login) ?? 'unknown[bot]'
  }
  return undefined
}

/** Whether `allowed-bots` lists this bot (case and the `[bot]` suffix do not matter). */
export function isAllowedBot(login: string, allowedBots: readonly string[] = []): boolean {
  const bare = bareLogin(login)
  return bare !== '' && allowedBots.some(entry => bareLogin(entry) === bare)
}

function notAllowed(bot: string, what = 'the event was sent by'): { run: false; reason: string } {
  return {
    run: false,
    reason: `${what} a bot (${bot}) that allowed-bots does not list; Tandem's own events and other bots' never start a run`
  }
}

export function isBot(user: { login?: unknown; type?: unknown }): boolean {
  const login = typeof user.login === 'string' ? user.login : ''
  return user.type === 'Bot' || login.endsWith('[bot]')
}

/** The bot that sent this event, if a bot did: such events (Tandem's own above all) never start work. */
export function botSender(payload: unknown): string | undefined {
  const sender = record(record(payload)?.sender)
  if (sender === undefined || !isBot(sender)) return undefined
  return text(sender.login) ?? 'a bot'
}

/**
 * A pull request whose head lives in another repository: its code is untrusted, and its
 * workflow token is read-only. A head repository that is gone (a deleted fork) counts too.
 */
export function isForkPullRequest(pr: unknown): boolean {
  const pull = record(pr)
  const base = text(record(record(pull?.base)?.repo)?.full_name)
  const head = text(record(record(pull?.head)?.repo)?.full_name)
  if (head === undefined || base === undefined) return true
  return head.toLowerCase() !== base.toLowerCase()
}

function record(value: unknown): Payload | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Payload)
    : undefined
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function whole(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined
}
