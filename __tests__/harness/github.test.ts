import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getOctokit } from '@actions/github'
import { createGitHub } from '../../src/github/client.js'
import { tandemLogin } from '../../src/github/identity.js'
import {
  listReviewThreads,
  replyToReviewThread,
  resolveReviewThread
} from '../../src/github/threads.js'
import { githubSchema } from './github/graphql.js'
import { reply } from './github/review.js'
import { startFakeGitHub, type FakeGitHub } from './github/server.js'

type Octokit = ReturnType<typeof getOctokit>

const OWNER = 'octo'
const REPO = 'app'
const HEAD = 'a'.repeat(40)
const BASE = 'b'.repeat(40)

// Commentable: src/app.ts RIGHT 1-6 (hunk 1) and 21-24 (hunk 2); LEFT 1-5 and 20-22.
const DIFF = `diff --git a/src/app.ts b/src/app.ts
index 1111111..2222222 100644
--- a/src/app.ts
+++ b/src/app.ts
@@ -1,5 +1,6 @@
 line1
-line2
+line2 changed
+line2b
 line3
 line4
 line5
@@ -20,3 +21,4 @@ function x() {
 a
 b
+c
 d
diff --git a/README.md b/README.md
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/README.md
@@ -0,0 +1,2 @@
+# Title
+text
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..4444444
Binary files /dev/null and b/logo.png differ
`

const THREADS = `
  query Threads($owner: String!, $name: String!, $number: Int!, $after: String) {
    repository(owner: $owner, name: $name) {
      pullRequest(number: $number) {
        reviewThreads(first: 100, after: $after) {
          nodes {
            id
            isResolved
            isOutdated
            path
            line
            startLine
            diffSide
            comments(first: 50) {
              nodes { id fullDatabaseId body author { login } createdAt url }
            }
          }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }`

interface ThreadsResult {
  repository: {
    pullRequest: {
      reviewThreads: {
        nodes: {
          id: string
          isResolved: boolean
          isOutdated: boolean
          path: string
          line: number | null
          startLine: number | null
          diffSide: string
          comments: {
            nodes: { id: string; fullDatabaseId: string; body: string; author: { login: string } }[]
          }
        }[]
        pageInfo: { hasNextPage: boolean; endCursor: string | null }
      }
    }
  }
}

function fileDiff(path: string, lines: number): string {
  const added = Array.from({ length: lines }, (_, i) => `+line ${i + 1}`).join('\n')
  return `diff --git a/${path} b/${path}\nnew file mode 100644\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines} @@\n${added}\n`
}

async function status(
  promise: Promise<unknown>
): Promise<{ status: number; data: unknown; headers: Record<string, unknown> }> {
  try {
    await promise
    return { status: 200, data: undefined, headers: {} }
  } catch (error) {
    const e = error as {
      status: number
      response?: { data: unknown; headers: Record<string, unknown> }
    }
    return { status: e.status, data: e.response?.data, headers: e.response?.headers ?? {} }
  }
}

/** What a GraphQL call that GitHub answers with `errors` leaves in Octokit's error. */
async function graphqlFailure(
  promise: Promise<unknown>
): Promise<{ data: unknown; errors: unknown }> {
  try {
    await promise
  } catch (error) {
    const e = error as { data?: unknown; errors?: unknown }
    return { data: e.data, errors: e.errors }
  }
  throw new Error('expected the GraphQL call to fail')
}

describe('fake GitHub', () => {
  let gh: FakeGitHub
  let octokit: Octokit
  let startupMs = 0

  beforeAll(async () => {
    const started = performance.now()
    gh = await startFakeGitHub()
    startupMs = performance.now() - started
    octokit = getOctokit('test-token', { baseUrl: gh.url })
    gh.seedRepo({ owner: OWNER, repo: REPO })
    gh.seedPullRequest({
      owner: OWNER,
      repo: REPO,
      number: 7,
      diff: DIFF,
      headSha: HEAD,
      baseSha: BASE,
      author: 'alice',
      headRef: 'feature'
    })
  })

  afterAll(async () => {
    await gh.close()
  })

  it('starts fast and a second instance reuses the prepared description', async () => {
    const again = performance.now()
    const second = await startFakeGitHub()
    const secondMs = performance.now() - again
    await second.close()
    console.log(
      `fake GitHub startup: first ${startupMs.toFixed(0)} ms, second ${secondMs.toFixed(1)} ms`
    )
    expect(startupMs).toBeLessThan(5000)
    expect(secondMs).toBeLessThan(200)
  })

  it('serves a pull request whose shape GitHub documents', async () => {
    const { data } = await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 7 })
    expect(data.head.sha).toBe(HEAD)
    expect(data.base.sha).toBe(BASE)
    expect(data.head.ref).toBe('feature')
    expect(data.head.repo?.full_name).toBe(`${OWNER}/${REPO}`)
    expect(data.user.login).toBe('alice')
    expect(data.changed_files).toBe(3)
    expect(data.html_url).toBe(`https://github.com/${OWNER}/${REPO}/pull/7`)
    expect(gh.tokensSeen).toContain('test-token')
    expect(gh.violations).toEqual([])
    expect(gh.responseViolations).toEqual([])
  })

  it('accepts a review anchored on the diff and gives it back over REST and GraphQL', async () => {
    const { data: review } = await octokit.rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: 7,
      commit_id: HEAD,
      event: 'COMMENT',
      body: 'Summary',
      comments: [
        { path: 'src/app.ts', line: 3, side: 'RIGHT', body: 'added line' },
        { path: 'src/app.ts', start_line: 21, line: 23, side: 'RIGHT', body: 'range' },
        { path: 'src/app.ts', line: 2, side: 'LEFT', body: 'deleted line' },
        { path: 'src/app.ts', line: 5, body: 'context line, default side' }
      ]
    })
    expect(review.state).toBe('COMMENTED')
    expect(review.commit_id).toBe(HEAD)

    const { data: reviews } = await octokit.rest.pulls.listReviews({
      owner: OWNER,
      repo: REPO,
      pull_number: 7
    })
    expect(reviews.map(r => r.id)).toContain(review.id)

    const { data: comments } = await octokit.rest.pulls.listReviewComments({
      owner: OWNER,
      repo: REPO,
      pull_number: 7
    })
    expect(
      comments.map(c => [c.path, c.line, c.start_line, c.side, c.pull_request_review_id])
    ).toEqual([
      ['src/app.ts', 3, null, 'RIGHT', review.id],
      ['src/app.ts', 23, 21, 'RIGHT', review.id],
      ['src/app.ts', 2, null, 'LEFT', review.id],
      ['src/app.ts', 5, null, 'RIGHT', review.id]
    ])
    expect(comments[0]?.diff_hunk).toBe('@@ -1,5 +1,6 @@\n line1\n-line2\n+line2 changed\n+line2b')

    const result = await octokit.graphql<ThreadsResult>(THREADS, {
      owner: OWNER,
      name: REPO,
      number: 7
    })
    const threads = result.repository.pullRequest.reviewThreads
    expect(threads.pageInfo.hasNextPage).toBe(false)
    expect(
      threads.nodes.map(t => [t.path, t.line, t.startLine, t.diffSide, t.isResolved, t.isOutdated])
    ).toEqual([
      ['src/app.ts', 3, null, 'RIGHT', false, false],
      ['src/app.ts', 23, 21, 'RIGHT', false, false],
      ['src/app.ts', 2, null, 'LEFT', false, false],
      ['src/app.ts', 5, null, 'RIGHT', false, false]
    ])
    expect(threads.nodes.map(t => t.comments.nodes[0]?.fullDatabaseId)).toEqual(
      comments.map(c => String(c.id))
    )
    expect(threads.nodes[0]?.comments.nodes[0]?.author.login).toBe('github-actions[bot]')
    expect(gh.threads(OWNER, REPO, 7)).toHaveLength(4)
    expect(gh.violations).toEqual([])
    expect(gh.responseViolations).toEqual([])
  })

  it('fails the whole review when one comment does not anchor, and stores nothing', async () => {
    const { number } = gh.seedPullRequest({
      owner: OWNER,
      repo: REPO,
      number: 40,
      diff: DIFF,
      headSha: HEAD,
      baseSha: BASE
    })
    const fine = { path: 'src/app.ts', line: 3, body: 'fine' }
    const review = (comment: {
      path: string
      line: number
      start_line?: number
      side?: 'LEFT' | 'RIGHT'
      body: string
    }) =>
      status(
        octokit.rest.pulls.createReview({
          owner: OWNER,
          repo: REPO,
          pull_number: number,
          event: 'COMMENT',
          body: 'x',
          comments: [fine, comment]
        })
      )
    const cases = [
      [{ path: 'src/app.ts', line: 12, body: 'between hunks' }, 'Line could not be resolved'],
      [
        { path: 'src/app.ts', line: 6, side: 'LEFT', body: 'old file has no line 6 in a hunk' },
        'Line could not be resolved'
      ],
      [
        { path: 'src/app.ts', start_line: 3, line: 22, body: 'across hunks' },
        'Pull request review thread start line must be part of the same hunk as the line.'
      ],
      [
        { path: 'src/app.ts', start_line: 4, line: 4, body: 'empty range' },
        'Pull request review thread start line must precede the end line.'
      ],
      [{ path: 'nope.ts', line: 1, body: 'not in the diff' }, 'Path could not be resolved'],
      [{ path: 'logo.png', line: 1, body: 'binary' }, 'Line could not be resolved']
    ] as const
    for (const [comment, message] of cases) {
      const answer = await review(comment)
      expect(answer.status).toBe(422)
      expect(answer.data).toMatchObject({
        message: 'Unprocessable Entity',
        errors: [message],
        status: '422'
      })
    }
    expect(gh.reviews(OWNER, REPO, number)).toEqual([])
    expect(gh.reviewComments(OWNER, REPO, number)).toEqual([])
    // The same request with an anchor that fits is taken whole: the refusals were the bad comment's.
    const valid = await review({ path: 'src/app.ts', line: 2, side: 'RIGHT', body: 'ok' })
    expect(valid.status).toBe(200)
    expect(gh.reviews(OWNER, REPO, number)).toHaveLength(1)
    expect(
      gh.reviewComments(OWNER, REPO, number).map(c => [c.path, c.line, c.side, c.body])
    ).toEqual([
      ['src/app.ts', 3, 'RIGHT', 'fine'],
      ['src/app.ts', 2, 'RIGHT', 'ok']
    ])
    // These are GitHub's own refusals, not schema violations: nothing recorded as one.
    expect(gh.violations).toEqual([])
    expect(gh.responseViolations).toEqual([])
  })

  it('refuses a body over 65,536 characters', async () => {
    const answer = await status(
      octokit.rest.issues.createComment({
        owner: OWNER,
        repo: REPO,
        issue_number: 7,
        body: 'x'.repeat(65537)
      })
    )
    expect(answer.status).toBe(422)
    expect(answer.data).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'IssueComment', field: 'body' }]
    })
    expect(gh.issueComments(OWNER, REPO, 7)).toHaveLength(0)
  })

  it('answers a schema-violating request with 422 and records the violation', async () => {
    const answer = await status(
      octokit.rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: 7,
        event: 'BOGUS' as 'COMMENT',
        body: 'x'
      })
    )
    expect(answer.status).toBe(422)
    expect(answer.data).toMatchObject({ message: 'Validation Failed' })
    expect(gh.violations).toHaveLength(1)
    expect(gh.violations[0]).toMatchObject({ kind: 'request', operationId: 'pulls/create-review' })
    expect(gh.violations[0]?.message).toContain('/requestBody/event')

    const unknown = await status(
      octokit.request('GET /repos/{owner}/{repo}/not-a-thing', { owner: OWNER, repo: REPO })
    )
    expect(unknown.status).toBe(404)
    expect(gh.violations[1]).toMatchObject({ kind: 'route' })
    expect(() => gh.assertClean()).toThrow(/pulls\/create-review/)
    gh.violations.length = 0
  })

  it('serves the diff media type, and 406 when GitHub would refuse it', async () => {
    const { data } = await octokit.rest.pulls.get({
      owner: OWNER,
      repo: REPO,
      pull_number: 7,
      mediaType: { format: 'diff' }
    })
    expect(data as unknown as string).toBe(DIFF)

    const many = Array.from({ length: 301 }, (_, i) => fileDiff(`f${i}.txt`, 1)).join('')
    gh.seedPullRequest({ owner: OWNER, repo: REPO, number: 8, diff: many })
    const tooManyFiles = await status(
      octokit.rest.pulls.get({
        owner: OWNER,
        repo: REPO,
        pull_number: 8,
        mediaType: { format: 'diff' }
      })
    )
    expect(tooManyFiles.status).toBe(406)
    expect(tooManyFiles.data).toMatchObject({
      message: expect.stringContaining('maximum number of files (300)')
    })

    gh.seedPullRequest({ owner: OWNER, repo: REPO, number: 9, diff: fileDiff('big.txt', 20001) })
    const tooManyLines = await status(
      octokit.rest.pulls.get({
        owner: OWNER,
        repo: REPO,
        pull_number: 9,
        mediaType: { format: 'diff' }
      })
    )
    expect(tooManyLines.status).toBe(406)
    // The JSON form and the files API still work for a big pull request.
    const { data: pull } = await octokit.rest.pulls.get({
      owner: OWNER,
      repo: REPO,
      pull_number: 8
    })
    expect(pull.changed_files).toBe(301)
    expect(gh.responseViolations).toEqual([])
  })

  it('paginates with Link headers that Octokit follows', async () => {
    const first = await octokit.rest.pulls.listFiles({
      owner: OWNER,
      repo: REPO,
      pull_number: 8,
      per_page: 100
    })
    expect(first.data).toHaveLength(100)
    expect(first.headers.link).toMatch(
      /<http:\/\/127\.0\.0\.1:\d+\/repos\/octo\/app\/pulls\/8\/files\?per_page=100&page=2>; rel="next"/
    )
    expect(first.headers.link).toMatch(/page=4>; rel="last"/)
    const all = await octokit.paginate(octokit.rest.pulls.listFiles, {
      owner: OWNER,
      repo: REPO,
      pull_number: 8,
      per_page: 100
    })
    expect(all).toHaveLength(301)
    expect(all[300]?.filename).toBe('f300.txt')
    const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
      owner: OWNER,
      repo: REPO,
      pull_number: 7,
      per_page: 2
    })
    expect(files.map(f => [f.filename, f.status, f.patch === undefined])).toEqual([
      ['src/app.ts', 'modified', false],
      ['README.md', 'added', false],
      ['logo.png', 'added', true]
    ])
    expect(gh.violations).toEqual([])
    expect(gh.responseViolations).toEqual([])
  })

  it('injects faults: a secondary rate limit, then a write that landed but answered 502', async () => {
    const before = gh.reviews(OWNER, REPO, 7).length
    gh.failNext('pulls/create-review', { status: 403, retryAfter: 3 })
    const limited = await status(
      octokit.rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: 7,
        event: 'COMMENT',
        body: 'x'
      })
    )
    expect(limited.status).toBe(403)
    expect(limited.headers['retry-after']).toBe('3')
    expect(limited.data).toMatchObject({ message: expect.stringMatching(/secondary rate limit/) })
    expect(gh.reviews(OWNER, REPO, 7)).toHaveLength(before)

    gh.failNext('pulls/create-review', { status: 502, landed: true })
    const lost = await status(
      octokit.rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: 7,
        event: 'COMMENT',
        body: 'landed'
      })
    )
    expect(lost.status).toBe(502)
    expect(gh.reviews(OWNER, REPO, 7)).toHaveLength(before + 1)

    const fine = await octokit.rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: 7,
      event: 'COMMENT',
      body: 'ok'
    })
    expect(fine.status).toBe(200)
    expect(
      gh.requests
        .filter(r => r.operationId === 'pulls/create-review')
        .map(r => r.status)
        .slice(-3)
    ).toEqual([403, 502, 200])
  })

  it('resolves threads and replies to them over GraphQL; REST sees the replies', async () => {
    const threads = (
      await octokit.graphql<ThreadsResult>(THREADS, { owner: OWNER, name: REPO, number: 7 })
    ).repository.pullRequest.reviewThreads.nodes
    const target = threads[0]!
    const resolved = await octokit.graphql<{
      resolveReviewThread: { thread: { id: string; isResolved: boolean } }
    }>(
      `mutation($id: ID!) { resolveReviewThread(input: { threadId: $id }) { thread { id isResolved } } }`,
      { id: target.id }
    )
    expect(resolved.resolveReviewThread.thread).toEqual({ id: target.id, isResolved: true })

    const replied = await octokit.graphql<{
      addPullRequestReviewThreadReply: { comment: { fullDatabaseId: string; body: string } }
    }>(
      `mutation Reply($thread: ID!, $body: String!) {
        addPullRequestReviewThreadReply(input: { pullRequestReviewThreadId: $thread, body: $body }) {
          comment { fullDatabaseId body }
        }
      }`,
      { thread: threads[1]!.id, body: 'Fixed in abc' }
    )
    expect(replied.addPullRequestReviewThreadReply.comment.body).toBe('Fixed in abc')

    const rest = await octokit.rest.pulls.createReplyForReviewComment({
      owner: OWNER,
      repo: REPO,
      pull_number: 7,
      comment_id: Number(threads[2]!.comments.nodes[0]!.fullDatabaseId),
      body: 'REST reply'
    })
    expect(String(rest.data.in_reply_to_id)).toBe(threads[2]!.comments.nodes[0]!.fullDatabaseId)

    const after = (
      await octokit.graphql<ThreadsResult>(THREADS, { owner: OWNER, name: REPO, number: 7 })
    ).repository.pullRequest.reviewThreads.nodes
    expect(after.map(t => t.isResolved)).toEqual([true, false, false, false])
    expect(after[1]!.comments.nodes.map(c => c.body)).toEqual(['range', 'Fixed in abc'])
    expect(after[2]!.comments.nodes.map(c => c.body)).toEqual(['deleted line', 'REST reply'])
    const { data: comments } = await octokit.rest.pulls.listReviewComments({
      owner: OWNER,
      repo: REPO,
      pull_number: 7
    })
    const reply = comments.find(
      c => String(c.id) === replied.addPullRequestReviewThreadReply.comment.fullDatabaseId
    )
    expect(String(reply?.in_reply_to_id)).toBe(threads[1]!.comments.nodes[0]!.fullDatabaseId)
    expect(gh.threads(OWNER, REPO, 7)[0]?.isResolved).toBe(true)
    expect(gh.violations).toEqual([])
    expect(gh.responseViolations).toEqual([])
  })

  it("refuses a document or variables that GitHub's schema refuses, and records them", async () => {
    const { schema, buildMs } = githubSchema()
    console.log(
      `GitHub GraphQL schema: ${Object.keys(schema.getTypeMap()).length} types, built in ${buildMs.toFixed(0)} ms`
    )
    const refused = [
      // A field GitHub does not have (the old hand-written schema's kind of blind spot).
      [`{ repository(owner: "octo", name: "app") { nope } }`, {}, /"nope" on type "Repository"/],
      // An argument of the wrong type.
      [
        `{ repository(owner: "octo", name: "app") { pullRequest(number: "7") { id } } }`,
        {},
        /Int cannot represent non-integer value: "7"/
      ],
      // A required variable left out.
      [THREADS, { owner: OWNER, name: REPO }, /"\$number" of required type "Int!" was not provided/]
    ] as const
    for (const [query, variables, message] of refused) {
      gh.clearLog()
      const answer = await graphqlFailure(octokit.graphql(query, variables))
      expect(gh.requests.at(-1)?.status).toBe(200)
      expect(answer).toMatchObject({
        data: undefined,
        errors: [{ message: expect.stringMatching(message) }]
      })
      expect(gh.violations).toMatchObject([
        { kind: 'graphql', errors: [{ message: expect.stringMatching(message) }] }
      ])
      expect(() => gh.assertClean()).toThrow(message)
    }
    gh.clearLog()
  })

  it('fails loudly on what GitHub has but the fake does not implement', async () => {
    const title = await graphqlFailure(
      octokit.graphql(
        `{ repository(owner: "octo", name: "app") { pullRequest(number: 7) { title } } }`
      )
    )
    expect(title).toMatchObject({
      data: { repository: { pullRequest: null } },
      errors: [
        {
          message: 'The fake GitHub does not implement PullRequest.title',
          path: ['repository', 'pullRequest', 'title']
        }
      ]
    })
    const thread = gh.threads(OWNER, REPO, 7)[0]!
    const skipped = await graphqlFailure(
      octokit.graphql(
        `query($id: ID!) { node(id: $id) { ... on PullRequestReviewThread { comments(first: 1, skip: 1) { nodes { body } } } } }`,
        { id: thread.id }
      )
    )
    expect(skipped.errors).toMatchObject([
      { message: 'The fake GitHub does not implement PullRequestReviewThread.comments(skip)' }
    ])
    // Both documents fit GitHub's schema: not violations, but unimplemented, which fails a test.
    expect(gh.violations).toEqual([])
    expect(gh.unimplemented.map(r => r.graphql?.unimplemented)).toEqual([
      ['PullRequest.title'],
      ['PullRequestReviewThread.comments(skip)']
    ])
    expect(() => gh.assertClean()).toThrow(/PullRequest\.title/)
    gh.clearLog()
  })

  it('answers a deprecated field as GitHub does, and records it', async () => {
    const answer = await octokit.graphql<ThreadsResult>(
      THREADS.replace('fullDatabaseId', 'databaseId'),
      { owner: OWNER, name: REPO, number: 7 }
    )
    const first = answer.repository.pullRequest.reviewThreads.nodes[0]!.comments.nodes[0]!
    expect((first as unknown as { databaseId: number }).databaseId).toBe(
      gh.reviewComments(OWNER, REPO, 7)[0]!.id
    )
    expect(gh.violations).toMatchObject([
      {
        kind: 'graphql',
        message: expect.stringContaining('PullRequestReviewComment.databaseId is deprecated')
      }
    ])
    expect(() => gh.assertClean()).toThrow(/deprecated/)
    gh.clearLog()
  })

  it("answers GitHub's own refusals at run time without recording them", async () => {
    const unbounded = await graphqlFailure(
      octokit.graphql(
        `{ repository(owner: "octo", name: "app") { pullRequest(number: 7) { reviewThreads { pageInfo { hasNextPage } } } } }`
      )
    )
    expect(unbounded.errors).toMatchObject([
      {
        type: 'MISSING_PAGINATION_BOUNDARIES',
        path: ['repository', 'pullRequest', 'reviewThreads']
      }
    ])
    const missing = await graphqlFailure(
      octokit.graphql(
        `{ repository(owner: "octo", name: "nope") { pullRequest(number: 1) { id } } }`
      )
    )
    expect(missing).toMatchObject({ data: { repository: null }, errors: [{ type: 'NOT_FOUND' }] })
    gh.assertClean()
  })

  it("answers every query and mutation Tandem sends, each inside GitHub's schema", async () => {
    const product = createGitHub('test-token', { baseUrl: gh.url })
    const { number } = gh.seedPullRequest({ owner: OWNER, repo: REPO, number: 41, diff: DIFF })
    await octokit.rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: number,
      event: 'COMMENT',
      comments: [
        { path: 'src/app.ts', line: 3, body: 'long thread' },
        { path: 'src/app.ts', line: 5, body: 'short thread' }
      ]
    })
    // A thread past one page of comments, so that its remaining comments are read on their own.
    const [long, short] = gh.threads(OWNER, REPO, number)
    const issue = gh.pullRequest(OWNER, REPO, number)!
    const repoState = gh.state.repo(OWNER, REPO)!
    for (let i = 0; i < 100; i++) reply(gh.state, repoState, issue, long!, 'alice', `r${i + 1}`)
    gh.clearLog()

    expect(await tandemLogin(product)).toBe('github-actions[bot]')
    const threads = await listReviewThreads(product, { owner: OWNER, repo: REPO }, number)
    expect(threads.map(t => t.comments.length)).toEqual([101, 1])
    expect(threads[0]!.comments.at(-1)).toMatchObject({ body: 'r100', author: 'alice' })
    expect(await resolveReviewThread(product, short!.id)).toEqual({ isResolved: true })
    // The reply lands but its answer is lost: the product reads the thread's last comment.
    gh.failNext('graphql:TandemReplyToThread', { status: 502, landed: true })
    const posted = await replyToReviewThread(product, short!.id, 'Fixed')
    expect(gh.reviewComments(OWNER, REPO, number).find(c => c.id === posted.databaseId)?.body).toBe(
      'Fixed'
    )
    expect(
      gh.requests.filter(r => r.operationId === 'graphql').map(r => r.graphql?.operationName)
    ).toEqual([
      'TandemViewer',
      'TandemReviewThreads',
      'TandemThreadComments',
      'TandemResolveThread',
      'TandemReplyToThread',
      'TandemLastThreadComment'
    ])
    gh.assertClean()
  })

  it('keeps one sticky issue comment editable in place', async () => {
    const { data: created } = await octokit.rest.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: 7,
      body: '<!-- tandem:summary -->\nv1'
    })
    await octokit.rest.issues.updateComment({
      owner: OWNER,
      repo: REPO,
      comment_id: created.id,
      body: '<!-- tandem:summary -->\nv2'
    })
    const listed = await octokit.paginate(octokit.rest.issues.listComments, {
      owner: OWNER,
      repo: REPO,
      issue_number: 7
    })
    expect(listed.map(c => [c.id, c.body])).toEqual([[created.id, '<!-- tandem:summary -->\nv2']])
    expect(created.html_url).toBe(
      `https://github.com/${OWNER}/${REPO}/pull/7#issuecomment-${created.id}`
    )
    expect(gh.responseViolations).toEqual([])
  })

  it('creates pull requests once per head, finds them by head, labels them', async () => {
    gh.seedBranch(`${OWNER}/${REPO}`, 'tandem/task', { diff: fileDiff('new.txt', 2) })
    const { data: pull } = await octokit.rest.pulls.create({
      owner: OWNER,
      repo: REPO,
      head: 'tandem/task',
      base: 'main',
      title: 'Task',
      body: 'Body'
    })
    expect(pull.user.login).toBe('github-actions[bot]')
    expect(pull.changed_files).toBe(1)
    const again = await status(
      octokit.rest.pulls.create({
        owner: OWNER,
        repo: REPO,
        head: 'tandem/task',
        base: 'main',
        title: 'Task'
      })
    )
    expect(again.status).toBe(422)
    expect(again.data).toMatchObject({
      errors: [{ message: `A pull request already exists for ${OWNER}:tandem/task.` }]
    })

    const { data: found } = await octokit.rest.pulls.list({
      owner: OWNER,
      repo: REPO,
      head: `${OWNER}:tandem/task`,
      state: 'open'
    })
    expect(found.map(p => p.number)).toEqual([pull.number])
    const { data: updated } = await octokit.rest.pulls.update({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
      body: 'New body'
    })
    expect(updated.body).toBe('New body')
    const { data: labels } = await octokit.rest.issues.addLabels({
      owner: OWNER,
      repo: REPO,
      issue_number: pull.number,
      labels: ['tandem', 'bot']
    })
    expect(labels.map(l => l.name)).toEqual(['tandem', 'bot'])
    expect(gh.labels(OWNER, REPO, pull.number)).toEqual(['tandem', 'bot'])

    // The reviewer may not request changes on a pull request its own token opened.
    const own = await status(
      octokit.rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: pull.number,
        event: 'REQUEST_CHANGES',
        body: 'no'
      })
    )
    expect(own.data).toMatchObject({ errors: ['Can not request changes on your own pull request'] })
    expect(gh.violations).toEqual([])
    expect(gh.responseViolations).toEqual([])
  })

  it('answers permissions, the repository, and refuses /user to an installation token', async () => {
    gh.setPermission('bob', 'write')
    const { data: bob } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: OWNER,
      repo: REPO,
      username: 'bob'
    })
    expect(bob.permission).toBe('write')
    const { data: stranger } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      owner: OWNER,
      repo: REPO,
      username: 'eve'
    })
    expect(stranger.permission).toBe('read')
    const { data: repo } = await octokit.rest.repos.get({ owner: OWNER, repo: REPO })
    expect(repo.default_branch).toBe('main')
    expect((await status(octokit.rest.users.getAuthenticated())).status).toBe(403)
    expect(gh.responseViolations).toEqual([])
  })

  it('gives a read-only token 403 on writes, REST and GraphQL', async () => {
    gh.setReadOnly(true)
    try {
      const rest = await status(
        octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: 7, body: 'x' })
      )
      expect(rest.status).toBe(403)
      const thread = gh.threads(OWNER, REPO, 7)[1]!
      const gql = await graphqlFailure(
        octokit.graphql(
          `mutation($id: ID!) { resolveReviewThread(input: { threadId: $id }) { thread { isResolved } } }`,
          { id: thread.id }
        )
      )
      expect(gql).toMatchObject({
        data: { resolveReviewThread: null },
        errors: [{ type: 'FORBIDDEN' }]
      })
      expect(thread.isResolved).toBe(false)
    } finally {
      gh.setReadOnly(false)
    }
  })

  it('marks threads outdated after a push that changes their file', async () => {
    gh.pushToPullRequest(OWNER, REPO, 7, {
      headSha: 'c'.repeat(40),
      diff: DIFF.replace('+line2b', '+line2c')
    })
    const nodes = (
      await octokit.graphql<ThreadsResult>(THREADS, { owner: OWNER, name: REPO, number: 7 })
    ).repository.pullRequest.reviewThreads.nodes
    expect(nodes.every(t => t.isOutdated && t.line === null)).toBe(true)
    const { data: comments } = await octokit.rest.pulls.listReviewComments({
      owner: OWNER,
      repo: REPO,
      pull_number: 7
    })
    expect(comments[0]?.original_line).toBe(3)
    expect(comments[0]?.line).toBeUndefined()
    // A review pinned to the old head still validates against that head's diff.
    const { data: late } = await octokit.rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: 7,
      commit_id: HEAD,
      event: 'COMMENT',
      comments: [{ path: 'src/app.ts', line: 3, body: 'on the old head' }]
    })
    expect(late.commit_id).toBe(HEAD)
    expect(gh.responseViolations).toEqual([])
  })

  it('records a response GitHub would never send', async () => {
    const pull = gh.pullRequest(OWNER, REPO, 7)!
    const title = pull.title
    pull.title = null as unknown as string
    try {
      await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 7 })
      expect(gh.responseViolations).toHaveLength(1)
      expect(gh.responseViolations[0]?.message).toContain('/title must be string')
    } finally {
      pull.title = title
      gh.responseViolations.length = 0
    }
  })

  it('answers a single misplaced review comment in the structured form', async () => {
    const answer = await status(
      octokit.rest.pulls.createReviewComment({
        owner: OWNER,
        repo: REPO,
        pull_number: 7,
        commit_id: gh.pullRequest(OWNER, REPO, 7)!.pull!.current.headSha,
        path: 'src/app.ts',
        line: 12,
        body: 'x'
      })
    )
    expect(answer.status).toBe(422)
    expect(answer.data).toMatchObject({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'PullRequestReviewComment',
          field: 'pull_request_review_thread.line',
          code: 'custom'
        },
        { resource: 'PullRequestReviewComment', field: 'pull_request_review_thread.diff_hunk' }
      ]
    })
    expect(gh.responseViolations).toEqual([])
  })

  it('keeps a pending review out of sight until it is submitted', async () => {
    gh.seedPullRequest({
      owner: OWNER,
      repo: REPO,
      number: 20,
      diff: DIFF,
      headSha: HEAD,
      author: 'alice'
    })
    const { data: pending } = await octokit.rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: 20,
      comments: [{ path: 'README.md', line: 1, body: 'title?' }]
    })
    expect(pending.state).toBe('PENDING')
    const second = await status(
      octokit.rest.pulls.createReview({ owner: OWNER, repo: REPO, pull_number: 20 })
    )
    expect(second.data).toMatchObject({
      errors: ['User can only have one pending review per pull request']
    })
    const { data: submitted } = await octokit.rest.pulls.submitReview({
      owner: OWNER,
      repo: REPO,
      pull_number: 20,
      review_id: pending.id,
      event: 'REQUEST_CHANGES',
      body: 'Please fix'
    })
    expect(submitted.state).toBe('CHANGES_REQUESTED')
    const { data: comments } = await octokit.rest.pulls.listReviewComments({
      owner: OWNER,
      repo: REPO,
      pull_number: 20
    })
    expect(comments.map(c => c.body)).toEqual(['title?'])
    expect(gh.violations).toEqual([])
    expect(gh.responseViolations).toEqual([])
  })

  it('follows the branches of a repository backed by a git directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-github-git-'))
    try {
      const env = {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.com',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.com'
      }
      const git = (cwd: string, ...args: string[]): string =>
        execFileSync('git', args, {
          cwd,
          env,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe']
        }).trim()
      const remote = join(dir, 'remote.git')
      const work = join(dir, 'work')
      git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', remote)
      git(dir, 'clone', '--quiet', remote, work)
      writeFileSync(join(work, 'a.txt'), 'one\ntwo\nthree\n')
      git(work, 'add', '.')
      git(work, 'commit', '--quiet', '-m', 'base')
      git(work, 'push', '--quiet', 'origin', 'HEAD:main')
      git(work, 'checkout', '--quiet', '-b', 'feature')
      writeFileSync(join(work, 'a.txt'), 'one\nTWO\nthree\n')
      git(work, 'commit', '--quiet', '-am', 'change')
      git(work, 'push', '--quiet', 'origin', 'feature')

      gh.seedRepo({ owner: 'octo', repo: 'gitbacked', gitDir: remote })
      const same = await status(
        octokit.rest.pulls.create({
          owner: 'octo',
          repo: 'gitbacked',
          head: 'main',
          base: 'main',
          title: 'x'
        })
      )
      expect(same.data).toMatchObject({ errors: [{ message: 'No commits between main and main' }] })
      const { data: pull } = await octokit.rest.pulls.create({
        owner: 'octo',
        repo: 'gitbacked',
        head: 'feature',
        base: 'main',
        title: 'x'
      })
      expect(pull.head.sha).toBe(git(work, 'rev-parse', 'HEAD'))
      await octokit.rest.pulls.createReview({
        owner: 'octo',
        repo: 'gitbacked',
        pull_number: pull.number,
        event: 'COMMENT',
        comments: [{ path: 'a.txt', line: 2, body: 'shout?' }]
      })

      writeFileSync(join(work, 'a.txt'), 'one\nTwo\nthree\n')
      git(work, 'commit', '--quiet', '-am', 'fix')
      git(work, 'push', '--quiet', 'origin', 'feature')
      const { data: diff } = await octokit.rest.pulls.get({
        owner: 'octo',
        repo: 'gitbacked',
        pull_number: pull.number,
        mediaType: { format: 'diff' }
      })
      expect(diff as unknown as string).toContain('+Two')
      const [thread] = gh.threads('octo', 'gitbacked', pull.number)
      expect(gh.state.isOutdated(thread!)).toBe(true)
      expect(gh.violations).toEqual([])
      expect(gh.responseViolations).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('resets to a fresh fake on the same address', async () => {
    const other = await startFakeGitHub()
    try {
      other.seedPullRequest({ owner: OWNER, repo: REPO, number: 1, diff: DIFF })
      other.failNext('pulls/get', { status: 500 })
      other.reset()
      expect(other.state.repos.size).toBe(0)
      other.seedPullRequest({ owner: OWNER, repo: REPO, number: 1, diff: DIFF })
      const client = getOctokit('t', { baseUrl: other.url })
      const { data } = await client.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 1 })
      expect(data.number).toBe(1)
      expect(other.requests).toHaveLength(1)
    } finally {
      await other.close()
    }
  })

  it('requires the configured token', async () => {
    const strict = await startFakeGitHub({ token: 'right' })
    try {
      strict.seedRepo({ owner: OWNER, repo: REPO })
      const wrong = await status(
        getOctokit('wrong', { baseUrl: strict.url }).rest.repos.get({ owner: OWNER, repo: REPO })
      )
      expect(wrong.status).toBe(401)
      const right = await getOctokit('right', { baseUrl: strict.url }).rest.repos.get({
        owner: OWNER,
        repo: REPO
      })
      expect(right.status).toBe(200)
    } finally {
      await strict.close()
    }
  })

  it('adds little time per request once an operation is warm', async () => {
    for (let i = 0; i < 3; i++)
      await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: 7 })
    const from = gh.requests.length
    const started = performance.now()
    for (let i = 0; i < 50; i++)
      await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: 7 })
    const wall = (performance.now() - started) / 50
    const inFake = gh.requests.slice(from).reduce((sum, r) => sum + r.durationMs, 0) / 50
    console.log(
      `per request: ${wall.toFixed(2)} ms round trip, ${inFake.toFixed(2)} ms inside the fake`
    )
    expect(inFake).toBeLessThan(20)

    // GraphQL: the threads query, checked against GitHub's schema, then run over the state.
    const variables = { owner: OWNER, name: REPO, number: 7 }
    for (let i = 0; i < 3; i++) await octokit.graphql(THREADS, variables)
    const gqlFrom = gh.requests.length
    const gqlStarted = performance.now()
    for (let i = 0; i < 50; i++) await octokit.graphql(THREADS, variables)
    const gqlWall = (performance.now() - gqlStarted) / 50
    const gqlInFake = gh.requests.slice(gqlFrom).reduce((sum, r) => sum + r.durationMs, 0) / 50
    console.log(
      `per GraphQL request: ${gqlWall.toFixed(2)} ms round trip, ${gqlInFake.toFixed(2)} ms inside the fake`
    )
    expect(gqlInFake).toBeLessThan(20)
    gh.assertClean()
  })
})
