// The part of GitHub's GraphQL schema that Tandem uses (review threads, their comments, and
// the mutations that resolve and answer them), with GitHub's names, types and nullability.
// A field outside this subset fails validation and is recorded as a violation: either the
// product asks for something GitHub does not have, or this subset needs the field added.
import { FieldError, type FieldDef, type Schema, type TypeDef } from './graphql.js'
import { ApiError } from './errors.js'
import { associationOf, type RenderContext } from './render.js'
import { reply } from './review.js'
import type {
  IssueState,
  RepoState,
  ReviewCommentState,
  ReviewState,
  Store,
  ThreadState,
  User
} from './state.js'

export interface GqlContext {
  render: RenderContext
  viewer: string
  readOnly: boolean
}

type Args = Record<string, unknown>
type Field = FieldDef<GqlContext>

const PAGE_ARGS = { first: 'Int', after: 'String', last: 'Int', before: 'String' }
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
function connection<T>(items: T[], args: Args, name: string): Record<string, unknown> {
  const first = args.first as number | null | undefined
  const last = args.last as number | null | undefined
  if ((first === undefined || first === null) && (last === undefined || last === null)) {
    throw new FieldError(
      `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`,
      'MISSING_PAGINATION_BOUNDARIES'
    )
  }
  for (const [key, value] of [
    ['first', first],
    ['last', last]
  ] as const) {
    if (value === undefined || value === null) continue
    if (value < 0)
      throw new FieldError(
        `\`${key}\` on the \`${name}\` connection cannot be less than zero.`,
        'INVALID_PAGINATION'
      )
    if (value > MAX_PAGE) {
      throw new FieldError(
        `Requesting ${value} records on the \`${name}\` connection exceeds the \`${key}\` limit of ${MAX_PAGE} records.`,
        'EXCESSIVE_PAGINATION'
      )
    }
  }
  let from = 0
  let to = items.length
  if (args.after !== undefined && args.after !== null) from = fromCursor(args.after) + 1
  if (args.before !== undefined && args.before !== null) to = Math.min(to, fromCursor(args.before))
  if (typeof first === 'number') to = Math.min(to, from + first)
  if (typeof last === 'number') from = Math.max(from, to - last)
  const edges = items.slice(from, to).map((node, i) => ({ node, cursor: cursor(from + i) }))
  return {
    nodes: edges.map(edge => edge.node),
    edges,
    totalCount: items.length,
    pageInfo: {
      hasNextPage: to < items.length,
      hasPreviousPage: from > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null
    }
  }
}

function connectionTypes(node: string): Record<string, TypeDef<GqlContext>> {
  return {
    [`${node}Connection`]: {
      kind: 'object',
      fields: {
        nodes: { type: `[${node}]` },
        edges: { type: `[${node}Edge]` },
        pageInfo: { type: 'PageInfo!' },
        totalCount: { type: 'Int!' }
      }
    },
    [`${node}Edge`]: {
      kind: 'object',
      fields: { node: { type: node }, cursor: { type: 'String!' } }
    }
  }
}

function repoOf(store: Store, fullName: string): RepoState {
  const [owner = '', name = ''] = fullName.split('/')
  const repo = store.repo(owner, name)
  if (!repo)
    throw new FieldError(
      `Could not resolve to a Repository with the name '${fullName}'.`,
      'NOT_FOUND'
    )
  return repo
}

function issueOf(store: Store, fullName: string, number: number): IssueState {
  const issue = repoOf(store, fullName).issues.get(number)
  if (!issue)
    throw new FieldError(
      `Could not resolve to a PullRequest with the number of ${number}.`,
      'NOT_FOUND'
    )
  return issue
}

// Node ids say nothing about their type in this fake; the type is remembered per object.
const kinds = new WeakMap<object, string>()
function tagged<T extends object>(type: string, value: T): T {
  kinds.set(value, type)
  return value
}

function actorType(value: unknown): string {
  const user = value as User
  return user.type === 'Bot' ? 'Bot' : user.type === 'Organization' ? 'Organization' : 'User'
}

function nodeType(value: unknown): string {
  return kinds.get(value as object) ?? actorType(value)
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

function mayWrite(ctx: GqlContext): void {
  if (ctx.readOnly) throw new FieldError('Resource not accessible by integration', 'FORBIDDEN')
}

function findThread(ctx: GqlContext, id: unknown): ThreadState {
  const thread = ctx.render.store.threads.get(String(id))
  if (!thread)
    throw new FieldError(
      `Could not resolve to a node with the global id of '${String(id)}'`,
      'NOT_FOUND'
    )
  return thread
}

function urlOf(ctx: GqlContext, path: string): string {
  return `${ctx.render.server}/${path}`
}

const actorFields: Record<string, Field> = {
  login: { type: 'String!' },
  url: {
    type: 'URI!',
    resolve: (user, _args, ctx) => {
      const u = user as User
      return u.type === 'Bot'
        ? urlOf(ctx, `apps/${u.login.replace(/\[bot\]$/, '')}`)
        : urlOf(ctx, u.login)
    }
  },
  avatarUrl: {
    type: 'URI!',
    args: { size: 'Int' },
    resolve: user => `https://avatars.githubusercontent.com/u/${(user as User).id}?v=4`
  },
  resourcePath: { type: 'URI!', resolve: user => `/${(user as User).login}` }
}

function userObject(type: 'User' | 'Bot' | 'Organization'): TypeDef<GqlContext> {
  return {
    kind: 'object',
    interfaces:
      type === 'Organization' ? ['Node', 'RepositoryOwner'] : ['Node', 'Actor', 'RepositoryOwner'],
    fields: {
      ...actorFields,
      id: {
        type: 'ID!',
        resolve: (user, _a, ctx) =>
          ctx.render.store.nodeId(
            type === 'Bot' ? 'BOT' : type === 'User' ? 'U' : 'O',
            (user as User).id
          )
      },
      databaseId: { type: 'Int', resolve: user => (user as User).id },
      ...(type === 'User' ? { name: { type: 'String', resolve: () => null } } : {})
    }
  }
}

function threadComments(store: Store, thread: ThreadState): ReviewCommentState[] {
  return thread.comments
    .map(id => store.reviewComments.get(id))
    .filter((c): c is ReviewCommentState => c !== undefined)
}

export function buildSchema(): Schema<GqlContext> {
  const types: Record<string, TypeDef<GqlContext>> = {
    DateTime: { kind: 'scalar' },
    URI: { kind: 'scalar' },
    HTML: { kind: 'scalar' },
    GitObjectID: { kind: 'scalar' },
    BigInt: { kind: 'scalar', coerce: value => String(value) },
    DiffSide: { kind: 'enum', values: ['LEFT', 'RIGHT'] },
    PullRequestState: { kind: 'enum', values: ['OPEN', 'CLOSED', 'MERGED'] },
    PullRequestReviewState: {
      kind: 'enum',
      values: ['PENDING', 'COMMENTED', 'APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']
    },
    PullRequestReviewCommentState: { kind: 'enum', values: ['PENDING', 'SUBMITTED'] },
    PullRequestReviewThreadSubjectType: { kind: 'enum', values: ['LINE', 'FILE'] },
    CommentAuthorAssociation: {
      kind: 'enum',
      values: [
        'COLLABORATOR',
        'CONTRIBUTOR',
        'FIRST_TIMER',
        'FIRST_TIME_CONTRIBUTOR',
        'MANNEQUIN',
        'MEMBER',
        'NONE',
        'OWNER'
      ]
    },
    Node: { kind: 'interface', fields: { id: { type: 'ID!' } }, resolveType: nodeType },
    Actor: { kind: 'interface', fields: { ...actorFields }, resolveType: actorType },
    RepositoryOwner: {
      kind: 'interface',
      fields: { id: { type: 'ID!' }, login: { type: 'String!' }, url: actorFields.url! },
      resolveType: actorType
    },
    User: userObject('User'),
    Bot: userObject('Bot'),
    Organization: userObject('Organization'),
    PageInfo: {
      kind: 'object',
      fields: {
        hasNextPage: { type: 'Boolean!' },
        hasPreviousPage: { type: 'Boolean!' },
        startCursor: { type: 'String' },
        endCursor: { type: 'String' }
      }
    },
    RateLimit: {
      kind: 'object',
      fields: {
        cost: { type: 'Int!' },
        limit: { type: 'Int!' },
        nodeCount: { type: 'Int!' },
        remaining: { type: 'Int!' },
        resetAt: { type: 'DateTime!' },
        used: { type: 'Int!' }
      }
    },
    Ref: {
      kind: 'object',
      fields: { name: { type: 'String!' }, prefix: { type: 'String!' }, id: { type: 'ID!' } }
    },
    Commit: {
      kind: 'object',
      interfaces: ['Node'],
      fields: {
        id: { type: 'ID!', resolve: commit => `C_${(commit as { oid: string }).oid}` },
        oid: { type: 'GitObjectID!' },
        abbreviatedOid: {
          type: 'String!',
          resolve: commit => (commit as { oid: string }).oid.slice(0, 7)
        }
      }
    },
    Label: {
      kind: 'object',
      interfaces: ['Node'],
      fields: {
        id: {
          type: 'ID!',
          resolve: (label, _a, ctx) => ctx.render.store.nodeId('LA', (label as { id: number }).id)
        },
        name: { type: 'String!' },
        color: { type: 'String!' },
        description: { type: 'String' }
      }
    },
    ...connectionTypes('Label'),
    Repository: {
      kind: 'object',
      interfaces: ['Node'],
      fields: {
        id: { type: 'ID!', resolve: repo => (repo as RepoState).nodeId },
        databaseId: { type: 'Int', resolve: repo => (repo as RepoState).id },
        name: { type: 'String!' },
        nameWithOwner: { type: 'String!', resolve: repo => (repo as RepoState).fullName },
        owner: {
          type: 'RepositoryOwner!',
          resolve: (repo, _a, ctx) => ctx.render.store.user((repo as RepoState).owner)
        },
        url: { type: 'URI!', resolve: (repo, _a, ctx) => urlOf(ctx, (repo as RepoState).fullName) },
        isPrivate: { type: 'Boolean!', resolve: repo => (repo as RepoState).private },
        isFork: { type: 'Boolean!', resolve: repo => (repo as RepoState).fork },
        defaultBranchRef: {
          type: 'Ref',
          resolve: repo => ({
            name: (repo as RepoState).defaultBranch,
            prefix: 'refs/heads/',
            id: `REF_${(repo as RepoState).id}`
          })
        },
        pullRequest: {
          type: 'PullRequest',
          args: { number: 'Int!' },
          resolve: (repo, args) => {
            const issue = (repo as RepoState).issues.get(args.number as number)
            if (!issue?.pull) {
              throw new FieldError(
                `Could not resolve to a PullRequest with the number of ${String(args.number)}.`,
                'NOT_FOUND'
              )
            }
            return tagged('PullRequest', issue)
          }
        }
      }
    },
    PullRequest: {
      kind: 'object',
      interfaces: ['Node'],
      fields: {
        id: { type: 'ID!', resolve: issue => (issue as IssueState).nodeId },
        databaseId: { type: 'Int', resolve: issue => (issue as IssueState).id },
        number: { type: 'Int!' },
        title: { type: 'String!' },
        body: { type: 'String!', resolve: issue => (issue as IssueState).body ?? '' },
        url: {
          type: 'URI!',
          resolve: (issue, _a, ctx) =>
            urlOf(ctx, `${(issue as IssueState).repo}/pull/${(issue as IssueState).number}`)
        },
        state: {
          type: 'PullRequestState!',
          resolve: issue =>
            (issue as IssueState).pull?.merged
              ? 'MERGED'
              : (issue as IssueState).state.toUpperCase()
        },
        closed: { type: 'Boolean!', resolve: issue => (issue as IssueState).state === 'closed' },
        merged: { type: 'Boolean!', resolve: issue => Boolean((issue as IssueState).pull?.merged) },
        isDraft: { type: 'Boolean!', resolve: issue => Boolean((issue as IssueState).pull?.draft) },
        isCrossRepository: {
          type: 'Boolean!',
          resolve: issue =>
            (issue as IssueState).pull?.headRepo.toLowerCase() !==
            (issue as IssueState).repo.toLowerCase()
        },
        headRefName: { type: 'String!', resolve: issue => (issue as IssueState).pull?.headRef },
        headRefOid: {
          type: 'GitObjectID!',
          resolve: issue => (issue as IssueState).pull?.current.headSha
        },
        baseRefName: { type: 'String!', resolve: issue => (issue as IssueState).pull?.baseRef },
        baseRefOid: {
          type: 'GitObjectID!',
          resolve: issue => (issue as IssueState).pull?.current.baseSha
        },
        author: {
          type: 'Actor',
          resolve: (issue, _a, ctx) => ctx.render.store.user((issue as IssueState).user)
        },
        authorAssociation: {
          type: 'CommentAuthorAssociation!',
          resolve: (issue, _a, ctx) =>
            associationOf(
              ctx.render,
              repoOf(ctx.render.store, (issue as IssueState).repo),
              (issue as IssueState).user
            )
        },
        createdAt: { type: 'DateTime!' },
        updatedAt: { type: 'DateTime!' },
        additions: {
          type: 'Int!',
          resolve: issue =>
            (issue as IssueState).pull?.current.files.reduce((n, f) => n + f.additions, 0)
        },
        deletions: {
          type: 'Int!',
          resolve: issue =>
            (issue as IssueState).pull?.current.files.reduce((n, f) => n + f.deletions, 0)
        },
        changedFiles: {
          type: 'Int!',
          resolve: issue => (issue as IssueState).pull?.current.files.length
        },
        repository: {
          type: 'Repository!',
          resolve: (issue, _a, ctx) => repoOf(ctx.render.store, (issue as IssueState).repo)
        },
        headRepository: {
          type: 'Repository',
          resolve: (issue, _a, ctx) =>
            ctx.render.store.ensureRepo((issue as IssueState).pull?.headRepo ?? '')
        },
        labels: {
          type: 'LabelConnection',
          args: PAGE_ARGS,
          resolve: (issue, args, ctx) => {
            const i = issue as IssueState
            const repo = repoOf(ctx.render.store, i.repo)
            return connection(
              i.labels.map(name => ctx.render.store.label(repo, name)),
              args,
              'labels'
            )
          }
        },
        reviewThreads: {
          type: 'PullRequestReviewThreadConnection!',
          args: PAGE_ARGS,
          resolve: (issue, args, ctx) => {
            const i = issue as IssueState
            const threads = ctx.render.store.pullThreads(
              repoOf(ctx.render.store, i.repo),
              i.number,
              ctx.viewer
            )
            return connection(
              threads.map(t => tagged('PullRequestReviewThread', t)),
              args,
              'reviewThreads'
            )
          }
        },
        reviews: {
          type: 'PullRequestReviewConnection',
          args: { ...PAGE_ARGS, states: '[PullRequestReviewState!]', author: 'String' },
          resolve: (issue, args, ctx) => {
            const i = issue as IssueState
            const states = args.states as string[] | null | undefined
            const reviews = [...ctx.render.store.reviews.values()].filter(
              r =>
                r.repo === i.repo &&
                r.number === i.number &&
                (r.state !== 'PENDING' || r.user === ctx.viewer) &&
                (!states || states.includes(r.state)) &&
                (typeof args.author !== 'string' ||
                  r.user.toLowerCase() === args.author.toLowerCase())
            )
            return connection(
              reviews.map(r => tagged('PullRequestReview', r)),
              args,
              'reviews'
            )
          }
        },
        comments: {
          type: 'IssueCommentConnection!',
          args: PAGE_ARGS,
          resolve: (issue, args, ctx) => {
            const i = issue as IssueState
            const comments = [...ctx.render.store.issueComments.values()].filter(
              c => c.repo === i.repo && c.number === i.number
            )
            return connection(
              comments.map(c => tagged('IssueComment', c)),
              args,
              'comments'
            )
          }
        }
      }
    },
    ...connectionTypes('PullRequestReviewThread'),
    PullRequestReviewThread: {
      kind: 'object',
      interfaces: ['Node'],
      fields: {
        id: { type: 'ID!' },
        isResolved: { type: 'Boolean!' },
        isOutdated: {
          type: 'Boolean!',
          resolve: (thread, _a, ctx) => ctx.render.store.isOutdated(thread as ThreadState)
        },
        isCollapsed: { type: 'Boolean!', resolve: thread => (thread as ThreadState).isResolved },
        path: { type: 'String!' },
        subjectType: {
          type: 'PullRequestReviewThreadSubjectType!',
          resolve: thread => (thread as ThreadState).subjectType.toUpperCase()
        },
        diffSide: { type: 'DiffSide!', resolve: thread => (thread as ThreadState).side },
        startDiffSide: {
          type: 'DiffSide',
          resolve: thread =>
            (thread as ThreadState).startLine === undefined
              ? null
              : ((thread as ThreadState).startSide ?? (thread as ThreadState).side)
        },
        line: {
          type: 'Int',
          resolve: (thread, _a, ctx) =>
            ctx.render.store.isOutdated(thread as ThreadState)
              ? null
              : ((thread as ThreadState).line ?? null)
        },
        originalLine: { type: 'Int', resolve: thread => (thread as ThreadState).line ?? null },
        startLine: {
          type: 'Int',
          resolve: (thread, _a, ctx) =>
            ctx.render.store.isOutdated(thread as ThreadState)
              ? null
              : ((thread as ThreadState).startLine ?? null)
        },
        originalStartLine: {
          type: 'Int',
          resolve: thread => (thread as ThreadState).startLine ?? null
        },
        resolvedBy: {
          type: 'User',
          resolve: (thread, _a, ctx) => {
            const login = (thread as ThreadState).resolvedBy
            return login === undefined ? null : ctx.render.store.user(login)
          }
        },
        viewerCanResolve: {
          type: 'Boolean!',
          resolve: (thread, _a, ctx) => !ctx.readOnly && !(thread as ThreadState).isResolved
        },
        viewerCanUnresolve: {
          type: 'Boolean!',
          resolve: (thread, _a, ctx) => !ctx.readOnly && (thread as ThreadState).isResolved
        },
        viewerCanReply: { type: 'Boolean!', resolve: (_t, _a, ctx) => !ctx.readOnly },
        comments: {
          type: 'PullRequestReviewCommentConnection!',
          args: { ...PAGE_ARGS, skip: 'Int' },
          resolve: (thread, args, ctx) => {
            const all = threadComments(ctx.render.store, thread as ThreadState).slice(
              (args.skip as number | undefined) ?? 0
            )
            return connection(
              all.map(c => tagged('PullRequestReviewComment', c)),
              args,
              'comments'
            )
          }
        },
        pullRequest: {
          type: 'PullRequest!',
          resolve: (thread, _a, ctx) =>
            tagged(
              'PullRequest',
              issueOf(
                ctx.render.store,
                (thread as ThreadState).repo,
                (thread as ThreadState).number
              )
            )
        },
        repository: {
          type: 'Repository!',
          resolve: (thread, _a, ctx) => repoOf(ctx.render.store, (thread as ThreadState).repo)
        }
      }
    },
    ...connectionTypes('PullRequestReviewComment'),
    PullRequestReviewComment: {
      kind: 'object',
      interfaces: ['Node'],
      fields: {
        id: { type: 'ID!', resolve: c => (c as ReviewCommentState).nodeId },
        databaseId: { type: 'Int', resolve: c => (c as ReviewCommentState).id },
        fullDatabaseId: { type: 'BigInt', resolve: c => (c as ReviewCommentState).id },
        body: { type: 'String!' },
        bodyText: { type: 'String!', resolve: c => (c as ReviewCommentState).body },
        bodyHTML: { type: 'HTML!', resolve: c => escapeHtml((c as ReviewCommentState).body) },
        author: {
          type: 'Actor',
          resolve: (c, _a, ctx) => ctx.render.store.user((c as ReviewCommentState).user)
        },
        authorAssociation: {
          type: 'CommentAuthorAssociation!',
          resolve: (c, _a, ctx) =>
            associationOf(
              ctx.render,
              repoOf(ctx.render.store, (c as ReviewCommentState).repo),
              (c as ReviewCommentState).user
            )
        },
        createdAt: { type: 'DateTime!' },
        updatedAt: { type: 'DateTime!' },
        publishedAt: { type: 'DateTime', resolve: c => (c as ReviewCommentState).createdAt },
        url: {
          type: 'URI!',
          resolve: (c, _a, ctx) => {
            const comment = c as ReviewCommentState
            return urlOf(ctx, `${comment.repo}/pull/${comment.number}#discussion_r${comment.id}`)
          }
        },
        path: { type: 'String!' },
        diffHunk: { type: 'String!' },
        line: {
          type: 'Int',
          resolve: (c, _a, ctx) => {
            const comment = c as ReviewCommentState
            const thread = ctx.render.store.threadOf(comment)
            return thread && ctx.render.store.isOutdated(thread) ? null : (comment.line ?? null)
          }
        },
        originalLine: { type: 'Int', resolve: c => (c as ReviewCommentState).line ?? null },
        startLine: { type: 'Int', resolve: c => (c as ReviewCommentState).startLine ?? null },
        originalStartLine: {
          type: 'Int',
          resolve: c => (c as ReviewCommentState).startLine ?? null
        },
        outdated: {
          type: 'Boolean!',
          resolve: (c, _a, ctx) => {
            const thread = ctx.render.store.threadOf(c as ReviewCommentState)
            return thread ? ctx.render.store.isOutdated(thread) : false
          }
        },
        isMinimized: { type: 'Boolean!', resolve: () => false },
        minimizedReason: { type: 'String', resolve: () => null },
        state: {
          type: 'PullRequestReviewCommentState!',
          resolve: (c, _a, ctx) =>
            ctx.render.store.reviews.get((c as ReviewCommentState).reviewId)?.state === 'PENDING'
              ? 'PENDING'
              : 'SUBMITTED'
        },
        viewerDidAuthor: {
          type: 'Boolean!',
          resolve: (c, _a, ctx) => (c as ReviewCommentState).user === ctx.viewer
        },
        replyTo: {
          type: 'PullRequestReviewComment',
          resolve: (c, _a, ctx) => {
            const id = (c as ReviewCommentState).inReplyTo
            const target = id === undefined ? undefined : ctx.render.store.reviewComments.get(id)
            return target ? tagged('PullRequestReviewComment', target) : null
          }
        },
        pullRequestReview: {
          type: 'PullRequestReview',
          resolve: (c, _a, ctx) => {
            const review = ctx.render.store.reviews.get((c as ReviewCommentState).reviewId)
            return review ? tagged('PullRequestReview', review) : null
          }
        },
        pullRequest: {
          type: 'PullRequest!',
          resolve: (c, _a, ctx) =>
            tagged(
              'PullRequest',
              issueOf(
                ctx.render.store,
                (c as ReviewCommentState).repo,
                (c as ReviewCommentState).number
              )
            )
        },
        commit: { type: 'Commit', resolve: c => ({ oid: (c as ReviewCommentState).commitId }) },
        originalCommit: {
          type: 'Commit',
          resolve: c => ({ oid: (c as ReviewCommentState).originalCommitId })
        }
      }
    },
    ...connectionTypes('PullRequestReview'),
    PullRequestReview: {
      kind: 'object',
      interfaces: ['Node'],
      fields: {
        id: { type: 'ID!', resolve: r => (r as ReviewState).nodeId },
        databaseId: { type: 'Int', resolve: r => (r as ReviewState).id },
        body: { type: 'String!' },
        state: { type: 'PullRequestReviewState!' },
        author: {
          type: 'Actor',
          resolve: (r, _a, ctx) => ctx.render.store.user((r as ReviewState).user)
        },
        url: {
          type: 'URI!',
          resolve: (r, _a, ctx) =>
            urlOf(
              ctx,
              `${(r as ReviewState).repo}/pull/${(r as ReviewState).number}#pullrequestreview-${(r as ReviewState).id}`
            )
        },
        submittedAt: { type: 'DateTime' },
        createdAt: {
          type: 'DateTime!',
          resolve: r => (r as ReviewState).submittedAt ?? new Date(0).toISOString()
        },
        commit: { type: 'Commit', resolve: r => ({ oid: (r as ReviewState).commitId }) },
        comments: {
          type: 'PullRequestReviewCommentConnection!',
          args: PAGE_ARGS,
          resolve: (r, args, ctx) => {
            const comments = [...ctx.render.store.reviewComments.values()].filter(
              c => c.reviewId === (r as ReviewState).id
            )
            return connection(
              comments.map(c => tagged('PullRequestReviewComment', c)),
              args,
              'comments'
            )
          }
        }
      }
    },
    ...connectionTypes('IssueComment'),
    IssueComment: {
      kind: 'object',
      interfaces: ['Node'],
      fields: {
        id: { type: 'ID!', resolve: c => (c as { nodeId: string }).nodeId },
        databaseId: { type: 'Int', resolve: c => (c as { id: number }).id },
        body: { type: 'String!' },
        author: {
          type: 'Actor',
          resolve: (c, _a, ctx) => ctx.render.store.user((c as { user: string }).user)
        },
        createdAt: { type: 'DateTime!' },
        updatedAt: { type: 'DateTime!' },
        isMinimized: { type: 'Boolean!', resolve: () => false },
        url: {
          type: 'URI!',
          resolve: (c, _a, ctx) => {
            const comment = c as { repo: string; number: number; id: number }
            return urlOf(ctx, `${comment.repo}/pull/${comment.number}#issuecomment-${comment.id}`)
          }
        }
      }
    },
    ResolveReviewThreadInput: {
      kind: 'input',
      fields: { threadId: 'ID!', clientMutationId: 'String' }
    },
    UnresolveReviewThreadInput: {
      kind: 'input',
      fields: { threadId: 'ID!', clientMutationId: 'String' }
    },
    AddPullRequestReviewThreadReplyInput: {
      kind: 'input',
      fields: {
        pullRequestReviewThreadId: 'ID!',
        body: 'String!',
        pullRequestReviewId: 'ID',
        clientMutationId: 'String'
      }
    },
    ResolveReviewThreadPayload: {
      kind: 'object',
      fields: { clientMutationId: { type: 'String' }, thread: { type: 'PullRequestReviewThread' } }
    },
    UnresolveReviewThreadPayload: {
      kind: 'object',
      fields: { clientMutationId: { type: 'String' }, thread: { type: 'PullRequestReviewThread' } }
    },
    AddPullRequestReviewThreadReplyPayload: {
      kind: 'object',
      fields: {
        clientMutationId: { type: 'String' },
        comment: { type: 'PullRequestReviewComment' }
      }
    },
    Query: {
      kind: 'object',
      fields: {
        repository: {
          type: 'Repository',
          args: { owner: 'String!', name: 'String!', followRenames: 'Boolean' },
          resolve: (_root, args, ctx) => {
            const repo = ctx.render.store.repo(String(args.owner), String(args.name))
            if (!repo) {
              throw new FieldError(
                `Could not resolve to a Repository with the name '${String(args.owner)}/${String(args.name)}'.`,
                'NOT_FOUND'
              )
            }
            return repo
          }
        },
        viewer: {
          type: 'User!',
          resolve: (_root, _args, ctx) => ctx.render.store.user(ctx.viewer)
        },
        node: {
          type: 'Node',
          args: { id: 'ID!' },
          resolve: (_root, args, ctx) => {
            const id = String(args.id)
            const store = ctx.render.store
            const thread = store.threads.get(id)
            if (thread) return tagged('PullRequestReviewThread', thread)
            const comment = [...store.reviewComments.values()].find(c => c.nodeId === id)
            if (comment) return tagged('PullRequestReviewComment', comment)
            const review = [...store.reviews.values()].find(r => r.nodeId === id)
            if (review) return tagged('PullRequestReview', review)
            for (const repo of store.repos.values()) {
              if (repo.nodeId === id) return tagged('Repository', repo)
              for (const issue of repo.issues.values())
                if (issue.nodeId === id && issue.pull) return tagged('PullRequest', issue)
            }
            throw new FieldError(
              `Could not resolve to a node with the global id of '${id}'`,
              'NOT_FOUND'
            )
          }
        },
        rateLimit: {
          type: 'RateLimit',
          args: { dryRun: 'Boolean' },
          resolve: () => ({
            cost: 1,
            limit: 5000,
            nodeCount: 0,
            remaining: 4999,
            used: 1,
            resetAt: new Date(Date.now() + 3600_000).toISOString()
          })
        }
      }
    },
    Mutation: {
      kind: 'object',
      fields: {
        resolveReviewThread: {
          type: 'ResolveReviewThreadPayload',
          args: { input: 'ResolveReviewThreadInput!' },
          resolve: (_root, args, ctx) => {
            const input = args.input as Args
            mayWrite(ctx)
            const thread = findThread(ctx, input.threadId)
            thread.isResolved = true
            thread.resolvedBy = ctx.viewer
            return {
              clientMutationId: input.clientMutationId ?? null,
              thread: tagged('PullRequestReviewThread', thread)
            }
          }
        },
        unresolveReviewThread: {
          type: 'UnresolveReviewThreadPayload',
          args: { input: 'UnresolveReviewThreadInput!' },
          resolve: (_root, args, ctx) => {
            const input = args.input as Args
            mayWrite(ctx)
            const thread = findThread(ctx, input.threadId)
            thread.isResolved = false
            thread.resolvedBy = undefined
            return {
              clientMutationId: input.clientMutationId ?? null,
              thread: tagged('PullRequestReviewThread', thread)
            }
          }
        },
        addPullRequestReviewThreadReply: {
          type: 'AddPullRequestReviewThreadReplyPayload',
          args: { input: 'AddPullRequestReviewThreadReplyInput!' },
          resolve: (_root, args, ctx) => {
            const input = args.input as Args
            mayWrite(ctx)
            const thread = findThread(ctx, input.pullRequestReviewThreadId)
            const store = ctx.render.store
            const repo = repoOf(store, thread.repo)
            const issue = issueOf(store, thread.repo, thread.number)
            const comment = asFieldError(() =>
              reply(store, repo, issue, thread, ctx.viewer, String(input.body))
            )
            return {
              clientMutationId: input.clientMutationId ?? null,
              comment: tagged('PullRequestReviewComment', comment)
            }
          }
        }
      }
    }
  }
  return { types, query: 'Query', mutation: 'Mutation' }
}

function escapeHtml(text: string): string {
  return `<p>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</p>`
}
