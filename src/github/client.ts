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
  /**
   * No single wait before a retry (or between two writes) is longer than this. Default:
   * TANDEM_RETRY_AFTER_CAP_MS, else no cap. Tests set it so that back-offs take milliseconds.
   */
  retryWaitCapMs?: number
  /** How many times a rate-limited request is tried again. Default 2. */
  rateLimitRetries?: number
  /** How many times a request that failed with a 5xx or a network error is tried again. Default 3. */
  serverErrorRetries?: number
}

/** A rate limit longer than this fails the request: a job should not sleep for an hour. */
const MAX_RATE_LIMIT_WAIT_SECONDS = 15 * 60

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
  const cap = options.retryWaitCapMs ?? retryWaitCap()
  const rateLimitRetries = options.rateLimitRetries ?? 2
  const serverErrorRetries = options.serverErrorRetries ?? 3

  const onLimit =
    (kind: string) =>
    async (retryAfter: number, request: RouteOptions, _octokit: unknown, retryCount: number) => {
      const what = `${request.method ?? 'GET'} ${request.url ?? ''}`
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
      const waitMs = Math.min(retryAfter * 1000, cap ?? Infinity)
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
    onSecondaryRateLimit: onLimit('secondary rate limit')
  }
  if (cap !== undefined) {
    // GitHub asks for a second between writes (the plugin waits 1 s, 3 s for notifying ones).
    throttle.write = spacedGroup(Math.min(1000, cap))
    throttle.notifications = spacedGroup(Math.min(3000, cap))
  }
  // Back-offs of the retry plugin are (n + 1)² × base; keep the longest under the cap.
  const retryBase =
    cap === undefined
      ? 1000
      : Math.min(1000, Math.floor(cap / Math.max(1, serverErrorRetries) ** 2))

  const gh = getOctokit(
    token,
    {
      baseUrl,
      // The proxy-aware fetch of @actions/github is bound to the URL it saw at import time.
      ...(baseUrl === actionsDefaults.baseUrl ? {} : { request: { fetch: globalThis.fetch } }),
      log: {
        debug: (message: string) => core.debug(message),
        info: (message: string) => core.debug(message),
        warn: (message: string) => core.warning(message),
        error: (message: string) => core.error(message)
      },
      retry: {
        doNotRetry: DO_NOT_RETRY,
        retries: serverErrorRetries,
        retryAfterBaseValue: retryBase
      },
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

/** The longest single wait before a retry (TANDEM_RETRY_AFTER_CAP_MS), or undefined: no cap. */
export function retryWaitCap(
  raw: string | undefined = process.env.TANDEM_RETRY_AFTER_CAP_MS
): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(
      `TANDEM_RETRY_AFTER_CAP_MS is ${JSON.stringify(raw)}: expected a number of milliseconds ≥ 0`
    )
  }
  return value
}

function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  return ms < 120_000 ? `${Math.ceil(ms / 1000)} s` : `${Math.ceil(ms / 60_000)} min`
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

type Group = NonNullable<ThrottlingOptions['write']>

/**
 * A stand-in for the plugin's Bottleneck group that keeps writes `minTimeMs` apart. The plugin
 * only calls `group.key(id).schedule(options, task)`, so that is all this implements.
 */
function spacedGroup(minTimeMs: number): Group {
  let next = 0
  let queue: Promise<unknown> = Promise.resolve()
  const limiter = {
    schedule<T>(_options: unknown, task: () => T | Promise<T>): Promise<T> {
      const turn = queue.then(async () => {
        const wait = next - Date.now()
        if (wait > 0) await sleep(wait)
        next = Date.now() + minTimeMs
      })
      queue = turn
      return turn.then(task)
    }
  }
  return { key: () => limiter } as unknown as Group
}
