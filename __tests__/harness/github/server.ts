// A fake GitHub on 127.0.0.1 for offline tests: REST checked against GitHub's OpenAPI
// description in both directions, GraphQL checked against GitHub's published schema,
// state kept in memory so what the product posts can be read back, and faults on demand.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { ApiError } from './errors.js'
import { parse, type GraphQLFormattedError } from 'graphql'
import { prepare } from './graphql.js'
import type { RenderContext } from './render.js'
import { routes, type RouteResult } from './routes.js'
import { loadSpec, type RouteMatch, type Spec, type SpecIssue } from './spec.js'
import {
  fakeSha,
  Store,
  type IssueCommentState,
  type IssueState,
  type Permission,
  type ReviewCommentState,
  type ReviewState,
  type SeedIssueOptions,
  type SeedPullRequestOptions,
  type SeedRepoOptions,
  type RepoState,
  type ThreadState
} from './state.js'

export interface FakeGitHubOptions {
  /** When set, every request must carry this token (or one of `tokens`); others get 401. */
  token?: string
  /** More accepted tokens, each acting as the given login. */
  tokens?: Record<string, string>
  /** Who `token` (or any token, when none is required) acts as. Default: github-actions[bot]. */
  actor?: string
  /** Base of html URLs, like GITHUB_SERVER_URL. Default: https://github.com. */
  serverUrl?: string
  /** GitHub refuses the diff media type above these; lower them to test the fallback cheaply. */
  maxDiffFiles?: number
  maxDiffLines?: number
}

export interface RecordedRequest {
  method: string
  /** Path with the query string. */
  path: string
  operationId?: string
  status: number
  body?: unknown
  response?: unknown
  token?: string
  accept?: string
  /** Time spent in the fake, routing and validation included. */
  durationMs: number
  graphql?: {
    operationName?: string
    query: string
    variables?: unknown
    /** Fields (or arguments) of GitHub's schema the request asked for that this fake lacks. */
    unimplemented?: string[]
  }
}

/**
 * Whether a recorded request could have changed anything: any method but GET, except a GraphQL
 * query. A GraphQL document holding a mutation (or one that does not parse) counts as a write.
 */
export function isWrite(request: RecordedRequest): boolean {
  if (request.method === 'GET') return false
  if (!request.path.endsWith('/graphql')) return true
  const body = request.body as { query?: unknown } | undefined
  if (typeof body?.query !== 'string') return true
  try {
    return parse(body.query).definitions.some(
      d => d.kind === 'OperationDefinition' && d.operation !== 'query'
    )
  } catch {
    return true
  }
}

export interface Violation {
  /** `crash`: the fake itself threw; a bug here, reported so that no test passes over it. */
  kind: 'route' | 'request' | 'response' | 'graphql' | 'crash'
  method: string
  path: string
  operationId?: string
  status?: number
  message: string
  errors: (SpecIssue | GraphQLFormattedError)[]
}

export interface Fault {
  status: number
  headers?: Record<string, string>
  body?: unknown
  /** How many calls in a row get the fault. Default 1. */
  count?: number
  /** Seconds, sent as `retry-after`. */
  retryAfter?: number
  /** With 403/429: the primary rate limit (x-ratelimit-remaining: 0) instead of the secondary one. */
  primary?: boolean
  /** Perform the operation first, then answer the fault: the request landed but the answer was lost. */
  landed?: boolean
  /** Hold the answer this long first (after the operation, with `landed`): a stalled connection. */
  stallMs?: number
}

export interface SeedBranchOptions {
  sha?: string
  diff?: string
}

export interface FakeGitHub {
  /** The REST base URL (GITHUB_API_URL). */
  readonly url: string
  /** The GraphQL endpoint (GITHUB_GRAPHQL_URL); `${url}/graphql` is what Octokit derives. */
  readonly graphqlUrl: string
  readonly state: Store
  readonly requests: RecordedRequest[]
  readonly violations: Violation[]
  readonly responseViolations: Violation[]
  /** Requests for operations GitHub has but this fake does not implement (answered 501). */
  readonly unimplemented: RecordedRequest[]
  /** Tokens seen in `authorization` headers, in order. */
  readonly tokensSeen: string[]
  seedRepo(options: SeedRepoOptions): RepoState
  seedPullRequest(options: SeedPullRequestOptions): IssueState
  seedIssue(options: SeedIssueOptions): IssueState
  /** A branch for `pulls.create` to find in a repository without a git directory. */
  seedBranch(fullName: string, branch: string, options?: SeedBranchOptions): void
  /** A push to the pull request's head: a new revision; threads on changed files become outdated. */
  pushToPullRequest(
    owner: string,
    repo: string,
    number: number,
    update: { headSha: string; diff: string; baseSha?: string }
  ): void
  setPermission(user: string, permission: Permission, fullName?: string): void
  /** Every write answers 403 "Resource not accessible by integration", as a fork PR's token does. */
  setReadOnly(readOnly: boolean): void
  /** The next call(s) of `operationId` (or 'graphql', or 'graphql:<operation name>') answer `fault`. */
  failNext(operationId: string, fault: Fault): void
  pullRequest(owner: string, repo: string, number: number): IssueState | undefined
  reviews(owner: string, repo: string, number: number): ReviewState[]
  reviewComments(owner: string, repo: string, number: number): ReviewCommentState[]
  issueComments(owner: string, repo: string, number: number): IssueCommentState[]
  threads(owner: string, repo: string, number: number): ThreadState[]
  labels(owner: string, repo: string, number: number): string[]
  /** Throws with a readable list when any violation or unimplemented call was recorded. */
  assertClean(): void
  /** Forget recorded requests and violations (state stays). */
  clearLog(): void
  /** Back to a fresh fake on the same port: no state, no log, no pending faults, writable. */
  reset(): void
  close(): Promise<void>
}

const JSON_TYPE = 'application/json; charset=utf-8'
const DOCS = 'https://docs.github.com/rest'
const SECONDARY_DOCS =
  'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits'

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function tokenOf(header: string | undefined): string | undefined {
  if (!header) return undefined
  const [scheme = '', value = ''] = header.split(/\s+/, 2)
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString()
    return decoded.slice(decoded.indexOf(':') + 1)
  }
  return /^(token|bearer)$/i.test(scheme) ? value : header
}

function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  for (const [key, value] of url.searchParams) {
    const seen = query[key]
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
  }
  return query
}

function faultBody(
  fault: Fault,
  requestId: string
): { body: unknown; headers: Record<string, string> } {
  const headers: Record<string, string> = {
    ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {})
  }
  if (fault.status === 403 || fault.status === 429) {
    if (fault.primary) {
      Object.assign(headers, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': '5000',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + (fault.retryAfter ?? 60))
      })
      return {
        headers,
        body: {
          message: 'API rate limit exceeded for installation ID 1.',
          documentation_url:
            'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
          status: String(fault.status)
        }
      }
    }
    return {
      headers,
      body: {
        message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
        documentation_url: SECONDARY_DOCS,
        status: String(fault.status)
      }
    }
  }
  const messages: Record<number, string> = {
    401: 'Bad credentials',
    404: 'Not Found',
    409: 'Conflict',
    422: 'Validation Failed',
    500: 'Server Error',
    502: 'Server Error',
    503: 'Service Unavailable',
    504: 'Gateway Timeout'
  }
  const body: Record<string, unknown> = {
    message: messages[fault.status] ?? 'Error',
    documentation_url: DOCS,
    status: String(fault.status)
  }
  if (fault.status === 422)
    body.errors = [{ resource: 'Fake', code: 'custom', message: 'injected failure' }]
  return { headers, body }
}

/** Starts a fake GitHub on 127.0.0.1 (random port). The OpenAPI description is shared per process. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const spec: Spec = await loadSpec()
  const store = new Store()
  const requests: RecordedRequest[] = []
  const violations: Violation[] = []
  const responseViolations: Violation[] = []
  const unimplemented: RecordedRequest[] = []
  const tokensSeen: string[] = []
  const faults = new Map<string, Fault[]>()
  const defaultActor = options.actor ?? 'github-actions[bot]'
  const limits = {
    diffFiles: options.maxDiffFiles ?? 300,
    diffLines: options.maxDiffLines ?? 20000
  }
  let readOnly = false
  let base = ''
  const render = (): RenderContext => ({
    store,
    api: base,
    server: (options.serverUrl ?? 'https://github.com').replace(/\/$/, '')
  })

  const takeFault = (key: string): Fault | undefined => {
    const queue = faults.get(key)
    const fault = queue?.[0]
    if (!queue || !fault) return undefined
    const left = (fault.count ?? 1) - 1
    if (left <= 0) queue.shift()
    else queue[0] = { ...fault, count: left }
    return fault
  }

  const actorFor = (token: string | undefined): string | undefined => {
    if (token !== undefined && options.tokens?.[token] !== undefined) return options.tokens[token]
    if (options.token === undefined && options.tokens === undefined) return defaultActor
    return token !== undefined && token === options.token ? defaultActor : undefined
  }

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
    requestId: string
  ): void => {
    const common = {
      'x-github-request-id': requestId,
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core'
    }
    if (status === 204 || body === undefined) {
      res.writeHead(status, { ...common, ...headers })
      res.end()
      return
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'content-type': JSON_TYPE, ...common, ...headers })
    res.end(text)
  }

  const withDocs = (body: unknown, status: number, match?: RouteMatch): unknown => {
    if (status < 400 || body === null || typeof body !== 'object' || Array.isArray(body))
      return body
    const docs = match?.docsUrl ?? DOCS
    return {
      ...(body as Record<string, unknown>),
      documentation_url: (body as Record<string, unknown>).documentation_url ?? docs,
      status: String(status)
    }
  }

  const handleGraphql = (
    entry: RecordedRequest,
    raw: unknown,
    actor: string,
    requestId: string
  ): { status: number; body: unknown; headers?: Record<string, string> } => {
    const request = (raw ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown }
    if (typeof request.query !== 'string') {
      return {
        status: 200,
        body: { errors: [{ message: 'A query attribute must be specified and must be a string.' }] }
      }
    }
    const variables = (request.variables ?? null) as Record<string, unknown> | null
    const prepared = prepare({
      query: request.query,
      variables,
      operationName: typeof request.operationName === 'string' ? request.operationName : undefined
    })
    const operationName = prepared.operationName
    const label = `GraphQL ${operationName ?? 'document'}`
    entry.graphql = { query: request.query, variables, operationName }
    const record = (
      kind: 'graphql' | 'crash',
      message: string,
      errors: GraphQLFormattedError[] = []
    ): void => {
      violations.push({
        kind,
        method: 'POST',
        path: '/graphql',
        operationId: 'graphql',
        status: 200,
        message,
        errors
      })
    }
    if (prepared.rejected.length > 0)
      record(
        'graphql',
        `${label} rejected: ${prepared.rejected.map(e => e.message).join('; ')}`,
        prepared.rejected
      )
    for (const message of prepared.deprecated)
      record('graphql', `${label}: ${message}`, [{ message }])
    const fault = takeFault('graphql') ?? takeFault(`graphql:${operationName}`)
    const faultAnswer = (): { status: number; body: unknown; headers: Record<string, string> } => {
      const { body, headers } = faultBody(fault!, requestId)
      return {
        status: fault!.status,
        body: fault!.body ?? body,
        headers: { ...headers, ...fault!.headers }
      }
    }
    if (fault && !fault.landed) return faultAnswer()
    const run = prepared.run({ store, server: render().server, viewer: actor, readOnly })
    if (run.unimplemented.length > 0) {
      entry.graphql.unimplemented = run.unimplemented
      unimplemented.push(entry)
    }
    for (const message of run.crashes) record('crash', `${label}: ${message}`)
    return fault ? faultAnswer() : { status: 200, body: run.body }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now()
    const requestId = randomUUID().toUpperCase().slice(0, 18)
    const url = new URL(req.url ?? '/', base)
    const method = (req.method ?? 'GET').toUpperCase()
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined)
        headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
    }
    const rawBody = await readBody(req)
    let body: unknown
    if (rawBody.length > 0) {
      const text = rawBody.toString('utf8')
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
    }
    const token = tokenOf(headers.authorization)
    if (token !== undefined) tokensSeen.push(token)
    const entry: RecordedRequest = {
      method,
      path: `${url.pathname}${url.search}`,
      status: 0,
      body,
      token,
      accept: headers.accept,
      durationMs: 0
    }
    requests.push(entry)
    const finish = (status: number, answer: unknown, extra: Record<string, string> = {}): void => {
      entry.status = status
      entry.response = answer
      entry.durationMs = performance.now() - started
      send(res, status, answer, extra, requestId)
    }

    const actor = actorFor(token)
    if (actor === undefined) {
      finish(401, {
        message: token === undefined ? 'Requires authentication' : 'Bad credentials',
        documentation_url: DOCS,
        status: '401'
      })
      return
    }

    if (method === 'POST' && (url.pathname === '/graphql' || url.pathname === '/api/graphql')) {
      entry.operationId = 'graphql'
      const answer = handleGraphql(entry, body, actor, requestId)
      finish(answer.status, answer.body, answer.headers)
      return
    }

    const query = queryOf(url)
    const { match, issues } = await spec.checkRequest({
      method,
      path: url.pathname,
      headers,
      query,
      body
    })
    if (!match) {
      violations.push({
        kind: 'route',
        method,
        path: entry.path,
        message: `${method} ${url.pathname} is not an operation in GitHub's REST API`,
        errors: []
      })
      finish(404, { message: 'Not Found', documentation_url: DOCS, status: '404' })
      return
    }
    entry.operationId = match.operationId
    if (issues.length > 0) {
      violations.push({
        kind: 'request',
        method,
        path: entry.path,
        operationId: match.operationId,
        status: 422,
        message: `${match.operationId}: ${issues.map(i => `${i.instancePath || '(root)'} ${i.message}`).join('; ')}`,
        errors: issues
      })
    }
    let fault = takeFault(match.operationId)
    if (fault && !fault.landed) {
      if (!(await stall(res, fault.stallMs))) return
      const { body: faultAnswer, headers: faultHeaders } = faultBody(fault, requestId)
      finish(fault.status, fault.body ?? faultAnswer, { ...faultHeaders, ...fault.headers })
      return
    }
    if (issues.length > 0) {
      finish(422, {
        message: 'Validation Failed',
        errors: issues.map(issue => ({
          resource: match.operationId,
          field: issue.instancePath
            .replace(/^\/(requestBody|query|path|header)\/?/, '')
            .replace(/\//g, '.'),
          code: issue.keyword === 'required' ? 'missing_field' : 'invalid',
          message: `${issue.instancePath || '(root)'} ${issue.message}`
        })),
        documentation_url: match.docsUrl ?? DOCS,
        status: '422'
      })
      return
    }

    const handler = routes[match.operationId]
    if (!handler) {
      unimplemented.push(entry)
      finish(501, {
        message: `The fake GitHub does not implement ${match.operationId}`,
        documentation_url: DOCS
      })
      return
    }
    let result: RouteResult
    try {
      result = handler({
        render: render(),
        params: match.params,
        query,
        body,
        headers,
        actor,
        readOnly,
        url,
        limits
      })
    } catch (error) {
      if (!(error instanceof ApiError)) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
        violations.push({
          kind: 'crash',
          method,
          path: entry.path,
          operationId: match.operationId,
          status: 500,
          message,
          errors: []
        })
        finish(500, { message: `fake GitHub: ${message}` })
        return
      }
      result = { status: error.status, body: error.body, headers: error.headers }
    }
    const answer = result.text ?? withDocs(result.body, result.status, match)
    if (result.text === undefined)
      await checkResponse(match, result.status, answer, method, entry.path)
    fault = fault && fault.landed ? fault : undefined
    if (fault) {
      if (!(await stall(res, fault.stallMs))) return
      const { body: faultAnswer, headers: faultHeaders } = faultBody(fault, requestId)
      finish(fault.status, fault.body ?? faultAnswer, { ...faultHeaders, ...fault.headers })
      return
    }
    finish(result.status, answer, result.headers)
  }

  const checkResponse = async (
    match: RouteMatch,
    status: number,
    body: unknown,
    method: string,
    path: string
  ): Promise<void> => {
    const declared = match.statuses
    if (status < 300 && !declared.includes(String(status)) && !declared.includes('default')) {
      responseViolations.push({
        kind: 'response',
        method,
        path,
        operationId: match.operationId,
        status,
        message: `${match.operationId} does not declare status ${status} (declares ${declared.join(', ')})`,
        errors: []
      })
      return
    }
    const problems = await spec.checkResponse(
      match.operationId,
      status,
      status === 204 ? null : body
    )
    if (problems.length === 0) return
    responseViolations.push({
      kind: 'response',
      method,
      path,
      operationId: match.operationId,
      status,
      message: `${match.operationId} ${status}: ${problems
        .slice(0, 5)
        .map(p => `${p.instancePath || '(root)'} ${p.message}`)
        .join('; ')}`,
      errors: problems
    })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': JSON_TYPE })
      res.end(JSON.stringify({ message: `fake GitHub crashed: ${String(error)}` }))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  base = `http://127.0.0.1:${port}`

  const clearLog = (): void => {
    requests.length = 0
    violations.length = 0
    responseViolations.length = 0
    unimplemented.length = 0
    tokensSeen.length = 0
  }

  const repoOrThrow = (owner: string, repo: string): RepoState => {
    const found = store.repo(owner, repo)
    if (!found) throw new Error(`fake GitHub: no repository ${owner}/${repo}`)
    return found
  }
  const ofPull = <T extends { repo: string; number: number }>(
    items: Iterable<T>,
    owner: string,
    repo: string,
    number: number
  ): T[] => {
    const fullName = repoOrThrow(owner, repo).fullName
    return [...items].filter(item => item.repo === fullName && item.number === number)
  }

  return {
    url: base,
    graphqlUrl: `${base}/graphql`,
    state: store,
    requests,
    violations,
    responseViolations,
    unimplemented,
    tokensSeen,
    seedRepo: seed => store.seedRepo(seed),
    seedPullRequest: seed => store.seedPullRequest(seed),
    seedIssue: seed => store.seedIssue(seed),
    seedBranch(fullName, branch, seed = {}) {
      const repo = store.ensureRepo(fullName)
      const diff = seed.diff ?? ''
      repo.branches.set(branch, {
        sha: seed.sha ?? fakeSha('branch', repo.fullName, branch, diff),
        diff
      })
    },
    pushToPullRequest(owner, repo, number, update) {
      const issue = repoOrThrow(owner, repo).issues.get(number)
      if (!issue?.pull)
        throw new Error(`fake GitHub: ${owner}/${repo}#${number} is not a pull request`)
      store.pushRevision(issue, {
        headSha: update.headSha,
        baseSha: update.baseSha ?? issue.pull.current.baseSha,
        diff: update.diff
      })
    },
    setPermission(user, permission, fullName) {
      if (fullName === undefined) store.permissions.set(user.toLowerCase(), permission)
      else store.ensureRepo(fullName).permissions.set(user.toLowerCase(), permission)
      store.user(user)
    },
    setReadOnly(value) {
      readOnly = value
    },
    failNext(operationId, fault) {
      faults.set(operationId, [...(faults.get(operationId) ?? []), fault])
    },
    pullRequest: (owner, repo, number) => repoOrThrow(owner, repo).issues.get(number),
    reviews: (owner, repo, number) => ofPull(store.reviews.values(), owner, repo, number),
    reviewComments: (owner, repo, number) =>
      ofPull(store.reviewComments.values(), owner, repo, number),
    issueComments: (owner, repo, number) =>
      ofPull(store.issueComments.values(), owner, repo, number),
    threads: (owner, repo, number) => ofPull(store.threads.values(), owner, repo, number),
    labels: (owner, repo, number) => [
      ...(repoOrThrow(owner, repo).issues.get(number)?.labels ?? [])
    ],
    assertClean() {
      const lines = [
        ...violations.map(v => `request: ${v.method} ${v.path}: ${v.message}`),
        ...responseViolations.map(v => `response: ${v.method} ${v.path}: ${v.message}`),
        ...unimplemented.map(
          r =>
            `unimplemented: ${r.method} ${r.path} (${r.graphql?.unimplemented?.join(', ') ?? r.operationId})`
        )
      ]
      if (lines.length > 0) throw new Error(`fake GitHub saw problems:\n${lines.join('\n')}`)
    },
    clearLog,
    reset() {
      clearLog()
      store.clear()
      faults.clear()
      readOnly = false
    },
    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close(error => (error ? reject(error) : resolve()))
        // Keep-alive sockets from undici would otherwise hold close() open.
        server.closeAllConnections()
      })
      await spec.release()
    }
  }
}

/** Waits `ms`; false when the client hung up meanwhile (nothing is left to answer). */
function stall(res: ServerResponse, ms: number | undefined): Promise<boolean> {
  if (!ms) return Promise.resolve(true)
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(!res.destroyed), ms)
    res.once('close', () => {
      clearTimeout(timer)
      resolve(false)
    })
  })
}
