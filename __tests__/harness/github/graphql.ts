// GraphQL as GitHub answers it, checked against GitHub's published schema
// (@octokit/graphql-schema) with graphql-js: a document or variables that GitHub would refuse
// are refused here too. Execution goes through resolvers over the fake's state for exactly the
// fields Tandem asks for; any other field of GitHub's schema, or an argument a resolver does not
// honour, answers an error and is recorded as unimplemented instead of coming back null. A
// deprecated field is answered, as GitHub does, and recorded.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import {
  buildClientSchema,
  executeSync,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  NoDeprecatedCustomRule,
  parse,
  validate,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type GraphQLTypeResolver,
  type IntrospectionQuery
} from 'graphql'
import { ApiError } from './errors.js'
import { reply } from './review.js'
import type { RepoState, ReviewCommentState, Store, ThreadState, User } from './state.js'

export interface GqlContext {
  store: Store
  /** Base of html URLs (GITHUB_SERVER_URL). */
  server: string
  viewer: string
  readOnly: boolean
}

export interface Prepared {
  operationName?: string
  /** Why GitHub would refuse the document or its variables; empty when it fits the schema. */
  rejected: GraphQLFormattedError[]
  /**
   * Deprecated fields and arguments the document uses. GitHub still answers them, so the fake
   * does too, but each is a removal GitHub has announced: recorded, so that no test passes on one.
   */
  deprecated: string[]
  run(ctx: GqlContext): Executed
}

export interface Executed {
  body: { data?: unknown; errors?: unknown[] }
  /** `Type.field` (or `Type.field(argument)`) asked for but not implemented by this fake. */
  unimplemented: string[]
  /** Resolvers that threw something other than a GitHub-shaped error: bugs in the fake. */
  crashes: string[]
}

// ---------------------------------------------------------------------------------------
// The schema, built once per process (per Jest test file), on the first GraphQL request.

let built: { schema: GraphQLSchema; buildMs: number } | undefined

export function githubSchema(): { schema: GraphQLSchema; buildMs: number } {
  if (built) return built
  const started = performance.now()
  // The package entry parses this file on import as well; read it once, here.
  const json = JSON.parse(readFileSync(schemaFile(), 'utf8')) as { data?: IntrospectionQuery }
  const schema = buildClientSchema(json.data ?? (json as IntrospectionQuery))
  built = { schema, buildMs: performance.now() - started }
  return built
}

function schemaFile(): string {
  // The package exports only its entry, so the file is found beside it, not through resolve().
  const require = createRequire(import.meta.url)
  for (const dir of require.resolve.paths('@octokit/graphql-schema') ?? []) {
    const file = join(dir, '@octokit', 'graphql-schema', 'schema.json')
    if (existsSync(file)) return file
  }
  throw new Error('fake GitHub: @octokit/graphql-schema is not installed')
}

interface Checked {
  document?: DocumentNode
  errors: readonly GraphQLError[]
  deprecated: string[]
}

// The product sends a handful of documents over and over; validation (~1.3 ms) is done once each.
const checkedDocuments = new Map<string, Checked>()

function checkDocument(schema: GraphQLSchema, query: string): Checked {
  const known = checkedDocuments.get(query)
  if (known) return known
  let checked: Checked
  try {
    const document = parse(query)
    const errors = validate(schema, document)
    const deprecated =
      errors.length > 0
        ? []
        : validate(schema, document, [NoDeprecatedCustomRule]).map(e => e.message)
    checked = { document, errors, deprecated }
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error
    checked = { errors: [error], deprecated: [] }
  }
  if (checkedDocuments.size > 1000) checkedDocuments.clear()
  checkedDocuments.set(query, checked)
  return checked
}

export function prepare(request: {
  query: string
  variables?: Record<string, unknown> | null
  operationName?: string
}): Prepared {
  const { schema } = githubSchema()
  const { document, errors, deprecated } = checkDocument(schema, request.query)
  const refuse = (rejected: readonly GraphQLError[], operationName?: string): Prepared => ({
    operationName,
    rejected: rejected.map(e => e.toJSON()),
    deprecated,
    run: () => ({ body: { errors: rejected.map(e => e.toJSON()) }, unimplemented: [], crashes: [] })
  })
  if (!document) return refuse(errors)
  const operation = getOperationAST(document, request.operationName)
  const operationName = operation?.name?.value ?? request.operationName
  if (errors.length > 0) return refuse(errors, operationName)
  if (!operation) {
    const message = request.operationName
      ? `Unknown operation named "${request.operationName}".`
      : 'An operation name is required when the document has several operations.'
    return refuse([new GraphQLError(message)], operationName)
  }
  const variables = request.variables ?? {}
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables)
  if (coerced.errors) return refuse(coerced.errors, operationName)
  return {
    operationName,
    rejected: [],
    deprecated,
    run: ctx => {
      const run: Run = { ...ctx, unimplemented: [], crashes: [] }
      const result = executeSync({
        schema,
        document,
        operationName: request.operationName,
        variableValues: variables,
        contextValue: run,
        fieldResolver,
        typeResolver
      })
      const fieldErrors = (result.errors ?? []).map(error => {
        const original = error.originalError
        if (original instanceof FieldError) return { type: original.type, ...error.toJSON() }
        if (original && !(original instanceof Unimplemented))
          run.crashes.push(original.stack ?? original.message)
        return error.toJSON()
      })
      const body =
        fieldErrors.length > 0 ? { data: result.data, errors: fieldErrors } : { data: result.data }
      return { body, unimplemented: run.unimplemented, crashes: run.crashes }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Execution

interface Run extends GqlContext {
  unimplemented: string[]
  crashes: string[]
}

type Args = Record<string, unknown>
type Resolve<S> = (source: S, args: Args, ctx: Run) => unknown

/** A refusal GitHub itself would answer: the field becomes null beside an error with this `type`. */
class FieldError extends Error {
  constructor(
    message: string,
    readonly type: string
  ) {
    super(message)
  }
}

class Unimplemented extends Error {}

const fieldResolver: GraphQLFieldResolver<unknown, Run> = (source, args, ctx, info) => {
  const key = `${info.parentType.name}.${info.fieldName}`
  const resolve = RESOLVERS[info.parentType.name]?.[info.fieldName]
  const allowed = ARGUMENTS[key] ?? []
  const given = Object.entries(args).flatMap(([name, value]) =>
    name === 'input' && value !== null && typeof value === 'object'
      ? Object.keys(value).map(field => `input.${field}`)
      : [name]
  )
  const unhandled = given.filter(name => !allowed.includes(name))
  if (!resolve || unhandled.length > 0) {
    const what = resolve ? `${key}(${unhandled.join(', ')})` : key
    ctx.unimplemented.push(what)
    throw new Unimplemented(`The fake GitHub does not implement ${what}`)
  }
  return resolve(source, args, ctx)
}

// The fake's objects say nothing of their GraphQL type: it is remembered as they are handed out.
const kinds = new WeakMap<object, string>()
function tagged<T extends object>(type: string, value: T): T {
  kinds.set(value, type)
  return value
}

const typeResolver: GraphQLTypeResolver<unknown, Run> = (value, _ctx, _info, abstractType) => {
  if (abstractType.name === 'Actor') return (value as User).type
  const kind = kinds.get(value as object)
  if (kind) return kind
  throw new Error(`fake GitHub: no GraphQL type known for a value of ${abstractType.name}`)
}

const MAX_PAGE = 100

function cursor(index: number): string {
  return Buffer.from(`cursor:v2:${index}`).toString('base64')
}

function fromCursor(value: unknown): number {
  const text = typeof value === 'string' ? Buffer.from(value, 'base64').toString() : ''
  const found = /^cursor:v2:(\d+)$/.exec(text)
  if (!found)
    throw new FieldError(
      `\`${String(value)}\` does not appear to be a valid cursor.`,
      'INVALID_CURSOR_ARGUMENTS'
    )
  return Number(found[1])
}

/** GitHub's connection rules: `first` or `last` is required, and at most 100 per page. */
function connection<T>(items: T[], args: Args, name: string): unknown {
  const { first, last, after, before } = args as Record<string, number | string | null | undefined>
  if (typeof first !== 'number' && typeof last !== 'number') {
    throw new FieldError(
      `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`,
      'MISSING_PAGINATION_BOUNDARIES'
    )
  }
  for (const [key, value] of Object.entries({ first, last })) {
    if (typeof value !== 'number') continue
    if (value < 0)
      throw new FieldError(
        `\`${key}\` on the \`${name}\` connection cannot be less than zero.`,
        'INVALID_PAGINATION'
      )
    if (value > MAX_PAGE)
      throw new FieldError(
        `Requesting ${value} records on the \`${name}\` connection exceeds the \`${key}\` limit of ${MAX_PAGE} records.`,
        'EXCESSIVE_PAGINATION'
      )
  }
  let from = after === undefined || after === null ? 0 : fromCursor(after) + 1
  let to = before === undefined || before === null ? items.length : fromCursor(before)
  to = Math.min(to, items.length)
  if (typeof first === 'number') to = Math.min(to, from + first)
  if (typeof last === 'number') from = Math.max(from, to - last)
  return {
    nodes: items.slice(from, to),
    pageInfo: {
      hasNextPage: to < items.length,
      endCursor: to > from ? cursor(to - 1) : null
    }
  }
}

function notFound(message: string): FieldError {
  return new FieldError(message, 'NOT_FOUND')
}

function repoOf(store: Store, fullName: string): RepoState {
  const [owner = '', name = ''] = fullName.split('/')
  const repo = store.repo(owner, name)
  if (!repo) throw notFound(`Could not resolve to a Repository with the name '${fullName}'.`)
  return repo
}

function threadOf(ctx: Run, id: unknown): ThreadState {
  const thread = ctx.store.threads.get(String(id))
  if (!thread) throw notFound(`Could not resolve to a node with the global id of '${String(id)}'`)
  return thread
}

function mayWrite(ctx: Run): void {
  if (ctx.readOnly) throw new FieldError('Resource not accessible by integration', 'FORBIDDEN')
}

/** Any object the fake hands out by node id, tagged with its type. */
function nodeOf(store: Store, id: string): object {
  const thread = store.threads.get(id)
  if (thread) return tagged('PullRequestReviewThread', thread)
  const comment = [...store.reviewComments.values()].find(c => c.nodeId === id)
  if (comment) return tagged('PullRequestReviewComment', comment)
  const review = [...store.reviews.values()].find(r => r.nodeId === id)
  if (review) return tagged('PullRequestReview', review)
  for (const repo of store.repos.values()) {
    if (repo.nodeId === id) return tagged('Repository', repo)
    for (const issue of repo.issues.values())
      if (issue.nodeId === id) return tagged(issue.pull ? 'PullRequest' : 'Issue', issue)
  }
  throw notFound(`Could not resolve to a node with the global id of '${id}'`)
}

/** The REST-side refusals (a body too long…) become GraphQL field errors. */
function asFieldError<T>(action: () => T): T {
  try {
    return action()
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    const first = (error.body.errors as { message?: string }[] | string[] | undefined)?.[0]
    const text = typeof first === 'string' ? first : (first?.message ?? error.message)
    throw new FieldError(text.charAt(0).toUpperCase() + text.slice(1), 'UNPROCESSABLE')
  }
}

function on<S>(fields: Record<string, Resolve<S>>): Record<string, Resolve<unknown>> {
  return fields as unknown as Record<string, Resolve<unknown>>
}

const PAGE = ['first', 'after', 'last', 'before']

/** Arguments each resolver honours (`input.x`: a field of a mutation's input). */
const ARGUMENTS: Record<string, string[]> = {
  // followRenames defaults to true; the fake has no renamed repositories to follow.
  'Query.repository': ['owner', 'name', 'followRenames'],
  'Query.node': ['id'],
  'Repository.pullRequest': ['number'],
  'PullRequest.reviewThreads': PAGE,
  'PullRequestReviewThread.comments': PAGE,
  'Mutation.resolveReviewThread': ['input.threadId'],
  'Mutation.addPullRequestReviewThreadReply': ['input.pullRequestReviewThreadId', 'input.body']
}

const login = on<User>({ login: user => user.login })
const page = on<Record<string, unknown>>({ nodes: c => c.nodes, pageInfo: c => c.pageInfo })

const RESOLVERS: Record<string, Record<string, Resolve<unknown>>> = {
  Query: on<null>({
    viewer: (_root, _args, ctx) => ctx.store.user(ctx.viewer),
    repository: (_root, args, ctx) =>
      repoOf(ctx.store, `${String(args.owner)}/${String(args.name)}`),
    node: (_root, args, ctx) => nodeOf(ctx.store, String(args.id))
  }),
  Mutation: on<null>({
    resolveReviewThread: (_root, args, ctx) => {
      mayWrite(ctx)
      const thread = threadOf(ctx, (args.input as Args).threadId)
      thread.isResolved = true
      thread.resolvedBy = ctx.viewer
      return { thread }
    },
    addPullRequestReviewThreadReply: (_root, args, ctx) => {
      const input = args.input as Args
      mayWrite(ctx)
      const thread = threadOf(ctx, input.pullRequestReviewThreadId)
      const repo = repoOf(ctx.store, thread.repo)
      const issue = repo.issues.get(thread.number)!
      const comment = asFieldError(() =>
        reply(ctx.store, repo, issue, thread, ctx.viewer, String(input.body))
      )
      return { comment }
    }
  }),
  ResolveReviewThreadPayload: on<{ thread: ThreadState }>({ thread: p => p.thread }),
  AddPullRequestReviewThreadReplyPayload: on<{ comment: ReviewCommentState }>({
    comment: p => p.comment
  }),
  User: login,
  Bot: login,
  Organization: login,
  Repository: on<RepoState>({
    pullRequest: (repo, args) => {
      const issue = repo.issues.get(args.number as number)
      if (!issue?.pull)
        throw notFound(
          `Could not resolve to a PullRequest with the number of ${String(args.number)}.`
        )
      return issue
    }
  }),
  PullRequest: on<{ repo: string; number: number }>({
    reviewThreads: (issue, args, ctx) => {
      const repo = repoOf(ctx.store, issue.repo)
      return connection(
        ctx.store.pullThreads(repo, issue.number, ctx.viewer),
        args,
        'reviewThreads'
      )
    }
  }),
  PullRequestReviewThreadConnection: page,
  PullRequestReviewCommentConnection: page,
  PageInfo: on<Record<string, unknown>>({
    hasNextPage: p => p.hasNextPage,
    endCursor: p => p.endCursor
  }),
  PullRequestReviewThread: on<ThreadState>({
    id: t => t.id,
    isResolved: t => t.isResolved,
    isOutdated: (t, _a, ctx) => ctx.store.isOutdated(t),
    path: t => t.path,
    // An outdated thread no longer has a place on the current diff; the original one stays.
    line: (t, _a, ctx) => (ctx.store.isOutdated(t) ? null : (t.line ?? null)),
    startLine: (t, _a, ctx) => (ctx.store.isOutdated(t) ? null : (t.startLine ?? null)),
    originalLine: t => t.line ?? null,
    originalStartLine: t => t.startLine ?? null,
    diffSide: t => t.side,
    subjectType: t => t.subjectType.toUpperCase(),
    comments: (t, args, ctx) => {
      const comments = t.comments
        .map(id => ctx.store.reviewComments.get(id))
        .filter((c): c is ReviewCommentState => c !== undefined)
      return connection(comments, args, 'comments')
    }
  }),
  PullRequestReviewComment: on<ReviewCommentState>({
    id: c => c.nodeId,
    fullDatabaseId: c => String(c.id),
    // Deprecated: answered as GitHub still does, and recorded as a violation all the same.
    databaseId: c => c.id,
    body: c => c.body,
    author: (c, _a, ctx) => ctx.store.user(c.user),
    createdAt: c => c.createdAt,
    url: (c, _a, ctx) => `${ctx.server}/${c.repo}/pull/${c.number}#discussion_r${c.id}`
  })
}
