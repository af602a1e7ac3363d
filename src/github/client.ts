import * as core from '@actions/core'
import { getOctokit } from '@actions/github'
import { defaults as actionsDefaults } from '@actions/github/lib/utils'
import { retry } from '@octokit/plugin-retry'
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling'

/** The Octokit every GitHub call goes through: REST, pagination, GraphQL, retries, throttling. */
export type GitHub = ReturnType<typeof getOctokit>

export interface Repo {
  owner: string
  repo: string
}

export interface GitHubOptions {
  /** The REST API root. Default: GITHUB_API_URL as it is when this is called, else api.github.com. */
  baseUrl?: string
  /** How many times a rate-limited request is tried again. Default 2. */
  rateLimitRetries?: number
  /** How many times a request that failed with a 5xx or a network error is tried again. Default 3. */
  serverErrorRetries?: number
}

/** A rate limit longer than this fails the request: a job should not sleep for an hour. */
const MAX_RATE_LIMIT_WAIT_SECONDS = 15 * 60

/**
 * GitHub ends a request it has worked on for 10 s with a timeout (REST troubleshooting,
 * "Timeouts"); 15 s leaves room for the transfer. A request that has had no complete answer by
 * then is given up, so a stalled connection cannot hold the job until the runner kills it.
 */
export const REQUEST_TIMEOUT_MS = 15_000

/**
 * GitHub's pause between writes ("wait at least one second between each request" when making
 * a large number of them; the throttling plugin waits 3 s for writes that notify people). A
 * run makes a handful of writes, so pausing before each would only slow it; once GitHub has
 * answered a secondary rate limit, or more than BURST_WRITES went out within a minute (GitHub
 * allows about 80 content-creating requests a minute: BURST_WRITES, then one a second, stays
 * under it), every later write of this client waits its turn.
 */
const WRITE_SPACING_MS = 1000
const NOTIFYING_WRITE_SPACING_MS = 3000
const BURST_WRITES = 20
const BURST_WINDOW_MS = 60_000

/** The first back-off of @octokit/plugin-retry (it waits (n + 1)² × 1 s before retry n). */
const SERVER_ERROR_WAIT_MS = 1000

// 404 and 422 answers never change on a retry; 406 (diff too large) and 409 neither.
const DO_NOT_RETRY = [400, 401, 403, 404, 406, 409, 410, 422, 451]

// Both the URL template and an expanded path: the hooks see either, depending on the caller.
const CREATE_REVIEW = /^\/repos\/[^/]+\/[^/]+\/pulls\/[^/]+\/reviews\/?$/

interface RouteOptions {
  method?: string
  url?: string
}

/**
 * Creating a review is not idempotent: a 5xx or a secondary limit may come back after the
 * review landed, and a second POST would publish it twice. The caller lists reviews instead.
 */
export function isCreateReviewRequest(options: RouteOptions): boolean {
  if ((options.method ?? 'GET').toUpperCase() !== 'POST' || options.url === undefined) return false
  const pathname = new URL(options.url, 'http://github.invalid').pathname
  return CREATE_REVIEW.test(pathname.replace(/^\/api\/v3(?=\/)/, ''))
}

export function createGitHub(token: string, options: GitHubOptions = {}): GitHub {
  // Read now, not at import: tests and callers set GITHUB_API_URL after modules load.
  const baseUrl = (
    options.baseUrl ||
    process.env.GITHUB_API_URL?.trim() ||
    'https://api.github.com'
  )
    .trim()
    .replace(/\/+$/, '')
  const rateLimitRetries = options.rateLimitRetries ?? 2
  const serverErrorRetries = options.serverErrorRetries ?? 3

  const pace: Pace = { spaced: false, starts: [] }
  const onLimit =
    (kind: string) =>
    async (retryAfter: number, request: RouteOptions, _octokit: unknown, retryCount: number) => {
      const what = `${request.method ?? 'GET'} ${request.url ?? ''}`
      if (kind === 'secondary rate limit' && !pace.spaced) {
        pace.spaced = true
        core.info('From now on, writes to GitHub go out at most one a second')
      }
      if (isCreateReviewRequest(request)) {
        core.warning(`GitHub ${kind} on ${what}: not retried, the review may have been created`)
        return false
      }
      if (retryAfter > MAX_RATE_LIMIT_WAIT_SECONDS) {
        core.warning(
          `GitHub ${kind} on ${what}: it lifts in ${formatWait(retryAfter * 1000)}, too long to wait`
        )
        return false
      }
      if (retryCount >= rateLimitRetries) {
        core.warning(`GitHub ${kind} on ${what}: giving up after ${retryCount} retries`)
        return false
      }
      const waitMs = retryAfter * 1000
      core.warning(
        `GitHub ${kind} on ${what}: retrying in ${formatWait(waitMs)} (retry ${retryCount + 1} of ${rateLimitRetries})`
      )
      // The plugin multiplies retryAfter by retryAfterBaseValue (0 below): the wait is ours.
      await sleep(waitMs)
      return true
    }

  const throttle: ThrottlingOptions = {
    retryAfterBaseValue: 0,
    onRateLimit: onLimit('rate limit'),
    onSecondaryRateLimit: onLimit('secondary rate limit'),
    // The plugin sends every GraphQL request and every non-GET through `write`, and the
    // notifying ones through `notifications` as well: the burst is counted once, in `write`.
    write: pacedGroup(pace, WRITE_SPACING_MS, true),
    notifications: pacedGroup(pace, NOTIFYING_WRITE_SPACING_MS, false)
  }

  const gh = getOctokit(
    token,
    {
      baseUrl,
      // The proxy-aware fetch of @actions/github is bound to the URL it saw at import time.
      // The proxy-aware fetch of @actions/github is bound to the URL it saw at import time.
      request:
        baseUrl === actionsDefaults.baseUrl
          ? { ...actionsDefaults.request, fetch: withTimeout(actionsDefaults.request?.fetch) }
          : { fetch: withTimeout(globalThis.fetch) },
      log: {
        debug: (message: string) => core.debug(message),
        info: (message: string) => core.debug(message),
        warn: (message: string) => core.warning(message),
        error: (message: string) => core.error(message)
      },
      retry: { doNotRetry: DO_NOT_RETRY, retries: serverErrorRetries },
      throttle
    },
    retry,
    throttling
  )
  // A safety net for callers that forget `request: { retries: 0 }` on a review POST.
  gh.hook.before('request', request => {
    if (isCreateReviewRequest(request)) request.request = { ...request.request, retries: 0 }
  })
  return gh
}

/** The repository the workflow runs in, from GITHUB_REPOSITORY ("owner/repo"). */
export function repoFromEnv(env: NodeJS.ProcessEnv = process.env): Repo {
  const value = env.GITHUB_REPOSITORY?.trim() ?? ''
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value)
  if (!match) {
    throw new Error(
      `GITHUB_REPOSITORY is ${JSON.stringify(value)}: expected "owner/repo" (it is set on every GitHub Actions runner)`
    )
  }
  return { owner: match[1]!, repo: match[2]! }
}

/** The HTTP status of an Octokit error, if it carries one. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined
  const status = (error as { status: unknown }).status
  return typeof status === 'number' ? status : undefined
}

/**
 * A 5xx (Octokit reports a lost connection as 500 too): the write may have happened anyway,
 * so look before writing again.
 */
export function mayHaveLanded(error: unknown): boolean {
  const status = httpStatus(error)
  return status !== undefined && status >= 500
}

/** The parsed body of an Octokit error response, if any. */
export function errorBody(error: unknown): Record<string, unknown> | undefined {
  if (typeof error !== 'object' || error === null || !('response' in error)) return undefined
  const data = (error as { response?: { data?: unknown } }).response?.data
  return typeof data === 'object' && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : undefined
}

/** One entry of an error body's `errors`, as text (GitHub answers strings or objects). */
export function describeError(item: unknown): string {
  if (typeof item === 'string') return item
  if (typeof item !== 'object' || item === null) return String(item)
  const fields = item as Record<string, unknown>
  if (typeof fields.message === 'string') return fields.message
  return [fields.resource, fields.field, fields.code].filter(v => typeof v === 'string').join(' ')
}

/**
 * How long GitHub asks before a failed request is tried again, in ms, by the rules the
 * throttling plugin applies to every other request: `retry-after`, else the reset of an
 * exhausted primary limit, else a minute for a secondary limit; any other failure (5xx, lost
 * connection) waits the retry plugin's first back-off. Undefined: longer than a job should sleep.
 * For the writes that retry themselves because a blind retry could post twice (a review).
 */
export function retryWaitMs(error: unknown, now: number = Date.now()): number | undefined {
  const headers =
    (error as { response?: { headers?: Record<string, string | undefined> } } | null)?.response
      ?.headers ?? {}
  const status = httpStatus(error)
  const retryAfter = Number(headers['retry-after'])
  let seconds: number
  if (retryAfter > 0) seconds = retryAfter
  else if (headers['x-ratelimit-remaining'] === '0') {
    seconds = Math.max(0, Math.ceil((Number(headers['x-ratelimit-reset']) * 1000 - now) / 1000) + 1)
  } else if (
    (status === 403 || status === 429) &&
    /\bsecondary rate\b/i.test((error as Error).message ?? '')
  ) {
    seconds = 60
  } else return SERVER_ERROR_WAIT_MS
  return seconds > MAX_RATE_LIMIT_WAIT_SECONDS ? undefined : seconds * 1000
}

export function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  return ms < 120_000 ? `${Math.ceil(ms / 1000)} s` : `${Math.ceil(ms / 60_000)} min`
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

type Group = NonNullable<ThrottlingOptions['write']>

interface Pace {
  /** GitHub answered a secondary rate limit: every later write waits its turn. */
  spaced: boolean
  /** When the writes of the last minute went out, for the burst rule. */
  starts: number[]
}

/**
 * A stand-in for the plugin's Bottleneck group: writes go out one after another, `minTimeMs`
 * apart once `pace` says so. The plugin only calls `group.key(id).schedule(options, task)`.
 */
function pacedGroup(pace: Pace, minTimeMs: number, counts: boolean): Group {
  let last = -Infinity
  let queue: Promise<unknown> = Promise.resolve()
  const limiter = {
    schedule<T>(_options: unknown, task: () => T | Promise<T>): Promise<T> {
      const turn = queue.then(async () => {
        const now = Date.now()
        pace.starts = pace.starts.filter(at => now - at < BURST_WINDOW_MS)
        if (pace.spaced || pace.starts.length >= BURST_WRITES) {
          const wait = last + minTimeMs - now
          if (wait > 0) await sleep(wait)
        }
        last = Date.now()
        if (counts) pace.starts.push(last)
      })
      queue = turn
      return turn.then(task)
    }
  }
  return { key: () => limiter } as unknown as Group
}

/**
 * fetch with REQUEST_TIMEOUT_MS for the whole answer. The error is a plain one, which Octokit
 * reports as a 500 like any lost connection: GETs are retried, writes looked up before a retry.
 */
function withTimeout(fetchImpl: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    try {
      return await fetchImpl(input, { ...init, signal })
    } catch (error) {
      if (!timeout.aborted) throw error
      throw new Error(`GitHub did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`, {
        cause: error
      })
    }
  }
}
