import { mayHaveLanded, type GitHub, type Repo } from './client.js'
import { fitBody } from './body.js'

export interface ThreadComment {
  /** GraphQL node id. */
  id: string
  /** REST id (`in_reply_to`, `pulls/comments/{id}`). */
  databaseId: number | null
  body: string
  /** Undefined for a deleted account. Bots are named without the `[bot]` suffix here. */
  author: string | undefined
  authorIsBot: boolean
  createdAt: string
  url: string
}

export interface ReviewThread {
  /** GraphQL node id, what resolveReviewThread and replyToReviewThread take. */
  id: string
  isResolved: boolean
  /** The lines it was placed on changed since: GitHub no longer shows it on the diff. */
  isOutdated: boolean
  path: string
  /** Null once outdated; originalLine still says where it was placed. */
  line: number | null
  startLine: number | null
  originalLine: number | null
  originalStartLine: number | null
  diffSide: 'LEFT' | 'RIGHT'
  subjectType: 'LINE' | 'FILE'
  /** Oldest first: the first comment opened the thread. */
  comments: ThreadComment[]
}

interface PageInfo {
  hasNextPage: boolean
  endCursor: string | null
}

interface CommentNode {
  id: string
  fullDatabaseId: string | null
  body: string
  author: { __typename: string; login: string } | null
  createdAt: string
  url: string
}

interface CommentConnection {
  pageInfo: PageInfo
  nodes: (CommentNode | null)[] | null
}

interface ThreadNode {
  id: string
  isResolved: boolean
  isOutdated: boolean
  path: string
  line: number | null
  startLine: number | null
  originalLine: number | null
  originalStartLine: number | null
  diffSide: 'LEFT' | 'RIGHT'
  subjectType: 'LINE' | 'FILE'
  comments: CommentConnection
}

const COMMENT_FIELDS = `
  pageInfo { hasNextPage endCursor }
  nodes { id fullDatabaseId body author { __typename login } createdAt url }`

const THREADS_QUERY = `
  query TandemReviewThreads($owner: String!, $name: String!, $number: Int!, $cursor: String) {
    repository(owner: $owner, name: $name) {
      pullRequest(number: $number) {
        reviewThreads(first: 100, after: $cursor) {
          pageInfo { hasNextPage endCursor }
          nodes {
            id isResolved isOutdated path line startLine originalLine originalStartLine
            diffSide subjectType
            comments(first: 100) { ${COMMENT_FIELDS} }
          }
        }
      }
    }
  }`

const THREAD_COMMENTS_QUERY = `
  query TandemThreadComments($id: ID!, $cursor: String) {
    node(id: $id) {
      ... on PullRequestReviewThread {
        comments(first: 100, after: $cursor) { ${COMMENT_FIELDS} }
      }
    }
  }`

interface ThreadsPage {
  repository: {
    pullRequest: {
      reviewThreads: { pageInfo: PageInfo; nodes: (ThreadNode | null)[] | null }
    } | null
  } | null
}

/** Every review thread of the pull request with every comment, resolved and outdated included. */
export async function listReviewThreads(
  gh: GitHub,
  repo: Repo,
  number: number
): Promise<ReviewThread[]> {
  const threads: ReviewThread[] = []
  let cursor: string | null = null
  do {
    const page: ThreadsPage = await gh.graphql<ThreadsPage>(THREADS_QUERY, {
      owner: repo.owner,
      name: repo.repo,
      number,
      cursor
    })
    const connection = page.repository?.pullRequest?.reviewThreads
    if (!connection) {
      throw new Error(`${repo.owner}/${repo.repo}#${number} is not a pull request GitHub can see`)
    }
    for (const node of connection.nodes ?? []) {
      if (!node) continue
      const comments = toComments(node.comments)
      // A thread longer than one page (100 comments) is rare; read the rest on its own.
      if (node.comments.pageInfo.hasNextPage) {
        comments.push(...(await moreComments(gh, node.id, node.comments.pageInfo.endCursor)))
      }
      threads.push({
        id: node.id,
        isResolved: node.isResolved,
        isOutdated: node.isOutdated,
        path: node.path,
        line: node.line,
        startLine: node.startLine,
        originalLine: node.originalLine,
        originalStartLine: node.originalStartLine,
        diffSide: node.diffSide,
        subjectType: node.subjectType,
        comments
      })
    }
    cursor = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null
  } while (cursor !== null)
  return threads
}

async function moreComments(
  gh: GitHub,
  threadId: string,
  after: string | null
): Promise<ThreadComment[]> {
  const comments: ThreadComment[] = []
  let cursor = after
  while (cursor !== null) {
    const page: { node: { comments?: CommentConnection } | null } = await gh.graphql(
      THREAD_COMMENTS_QUERY,
      { id: threadId, cursor }
    )
    const connection = page.node?.comments
    if (!connection) break
    comments.push(...toComments(connection))
    cursor = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null
  }
  return comments
}

function toComments(connection: CommentConnection): ThreadComment[] {
  return (connection.nodes ?? [])
    .filter((node): node is CommentNode => node !== null)
    .map(node => ({
      id: node.id,
      databaseId: restId(node.fullDatabaseId),
      body: node.body,
      author: node.author?.login,
      authorIsBot: node.author?.__typename === 'Bot',
      createdAt: node.createdAt,
      url: node.url
    }))
}

const RESOLVE_MUTATION = `
  mutation TandemResolveThread($id: ID!) {
    resolveReviewThread(input: { threadId: $id }) { thread { id isResolved } }
  }`

/** Marks the thread resolved; resolving a resolved thread is not an error. */
export async function resolveReviewThread(
  gh: GitHub,
  threadId: string
): Promise<{ isResolved: boolean }> {
  const result = await gh.graphql<{
    resolveReviewThread: { thread: { id: string; isResolved: boolean } | null } | null
  }>(RESOLVE_MUTATION, { id: threadId })
  return { isResolved: result.resolveReviewThread?.thread?.isResolved ?? false }
}

const REPLY_MUTATION = `
  mutation TandemReplyToThread($id: ID!, $body: String!) {
    addPullRequestReviewThreadReply(input: { pullRequestReviewThreadId: $id, body: $body }) {
      comment { id fullDatabaseId url }
    }
  }`

const LAST_COMMENT_QUERY = `
  query TandemLastThreadComment($id: ID!) {
    node(id: $id) {
      ... on PullRequestReviewThread {
        comments(last: 1) { nodes { id fullDatabaseId body url } }
      }
    }
  }`

export interface PostedReply {
  id: string
  databaseId: number | null
  url: string
}

/**
 * A reply at the end of the thread, as its own comment (not part of a pending review). Not
 * retried blindly: after a 5xx the thread is read, and the reply sent again only if it is not
 * there.
 */
export async function replyToReviewThread(
  gh: GitHub,
  threadId: string,
  body: string
): Promise<PostedReply> {
  const text = fitBody(body)
  try {
    return await addReply(gh, threadId, text)
  } catch (error) {
    if (!mayHaveLanded(error)) throw error
    const page: {
      node: { comments?: { nodes: ((PostedNode & { body: string }) | null)[] | null } } | null
    } = await gh.graphql(LAST_COMMENT_QUERY, { id: threadId })
    const last = page.node?.comments?.nodes?.at(-1)
    if (last && last.body === text) return posted(last)
    return await addReply(gh, threadId, text)
  }
}

async function addReply(gh: GitHub, threadId: string, body: string): Promise<PostedReply> {
  const result = await gh.graphql<{
    addPullRequestReviewThreadReply: { comment: PostedNode | null } | null
  }>(REPLY_MUTATION, { id: threadId, body, request: { retries: 0 } })
  const comment = result.addPullRequestReviewThreadReply?.comment
  if (!comment) throw new Error(`GitHub did not add the reply to review thread ${threadId}`)
  return posted(comment)
}

interface PostedNode {
  id: string
  fullDatabaseId: string | null
  url: string
}

function posted(node: PostedNode): PostedReply {
  return { id: node.id, databaseId: restId(node.fullDatabaseId), url: node.url }
}

/**
 * The REST id of a comment. GraphQL's `databaseId` is an Int (32 bits) that GitHub has
 * deprecated because ids outgrow it; `fullDatabaseId` is a BigInt, sent as a string.
 */
function restId(value: string | null): number | null {
  if (value === null) return null
  const id = Number(value)
  return Number.isSafeInteger(id) && id > 0 ? id : null
}
