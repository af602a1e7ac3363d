import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { GitHub } from '../../src/github/client.js'
import {
  MAX_BODY_CHARS,
  ReviewRejectedError,
  createReview,
  filesToUnifiedDiff,
  fitBody,
  getPullRequest,
  getPullRequestDiff,
  listIssueComments,
  listPullRequestFiles,
  listReviewComments,
  listReviews,
  upsertStickyComment
} from '../../src/github/pulls.js'
import { getCollaboratorPermission, requireWritePermission } from '../../src/github/permissions.js'
import { parseUnifiedDiff, type ParsedDiff } from '../../src/review/diff.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { timestamp } from '../harness/github/state.js'
import { MIXED_DIFF, OWNER, REPO, addedFile, calls, client, expectClean, repo } from './setup.js'

let fake: FakeGitHub
let gh: GitHub

beforeAll(async () => {
  fake = await startFakeGitHub({ token: 'bot-token', tokens: { 'alice-token': 'alice' } })
  fake.seedRepo({ owner: OWNER, repo: REPO })
  gh = client(fake, 'bot-token')
})
afterAll(() => fake.close())
beforeEach(() => fake.clearLog())
afterEach(() => expectClean(fake))

function seedPull(options: { diff?: string; [key: string]: unknown } = {}): number {
  return fake.seedPullRequest({ owner: OWNER, repo: REPO, diff: MIXED_DIFF, ...options }).number
}

/** Writes comments straight into the fake's memory: a hundred POSTs would test nothing more. */
function seedIssueComments(number: number, count: number, user = 'octocat'): void {
  for (let i = 0; i < count; i++) {
    const id = fake.state.nextId()
    const now = timestamp()
    fake.state.issueComments.set(id, {
      id,
      nodeId: fake.state.nodeId('IC', id),
      repo: `${OWNER}/${REPO}`,
      number,
      user,
      body: `comment ${i + 1}`,
      createdAt: now,
      updatedAt: now
    })
  }
}

function summary(diff: ParsedDiff) {
  return diff.files.map(f => ({
    path: f.path,
    oldPath: f.oldPath,
    newPath: f.newPath,
    status: f.status,
    binary: f.binary,
    hunks: f.hunks.map(h => ({ old: h.oldStart, new: h.newStart, lines: h.lines }))
  }))
}

describe('getPullRequest', () => {
  it('reads the fields a review needs', async () => {
    const number = seedPull({
      title: 'Add things',
      body: null,
      author: 'alice',
      headRef: 'feat',
      headSha: 'a'.repeat(40),
      baseSha: 'b'.repeat(40)
    })
    const pr = await getPullRequest(gh, repo, number)
    expect(pr).toMatchObject({
      number,
      title: 'Add things',
      body: '',
      state: 'open',
      draft: false,
      merged: false,
      headSha: 'a'.repeat(40),
      headRef: 'feat',
      headRepoFullName: `${OWNER}/${REPO}`,
      baseSha: 'b'.repeat(40),
      baseRef: 'main',
      baseRepoFullName: `${OWNER}/${REPO}`,
      author: 'alice',
      isFork: false,
      htmlUrl: `https://github.com/${OWNER}/${REPO}/pull/${number}`
    })
  })

  it('knows a pull request from a fork', async () => {
    const number = seedPull({ headRepoFullName: 'mallory/app', draft: true })
    const pr = await getPullRequest(gh, repo, number)
    expect(pr.isFork).toBe(true)
    expect(pr.draft).toBe(true)
    expect(pr.headRepoFullName).toBe('mallory/app')
  })
})

describe('getPullRequestDiff', () => {
  it('returns the diff media type as text', async () => {
    const number = seedPull()
    expect(await getPullRequestDiff(gh, repo, number)).toBe(MIXED_DIFF)
  })

  it('returns undefined when GitHub refuses a diff that is too large (406), without retrying', async () => {
    const small = await startFakeGitHub({ maxDiffFiles: 3 })
    try {
      small.seedRepo({ owner: OWNER, repo: REPO })
      const { number } = small.seedPullRequest({ owner: OWNER, repo: REPO, diff: MIXED_DIFF })
      expect(await getPullRequestDiff(client(small), repo, number)).toBeUndefined()
      expect(calls(small, 'pulls/get')).toBe(1)
      expectClean(small)
    } finally {
      await small.close()
    }
  })
})

describe('listPullRequestFiles and filesToUnifiedDiff', () => {
  it('reads every page past 100 files', async () => {
    const diff = Array.from({ length: 250 }, (_, i) => addedFile(`src/f${i}.ts`, 2)).join('')
    const number = seedPull({ diff })
    const files = await listPullRequestFiles(gh, repo, number)
    expect(files).toHaveLength(250)
    expect(files[249]).toMatchObject({ filename: 'src/f249.ts', status: 'added', hasPatch: true })
    expect(calls(fake, 'pulls/list-files')).toBe(3)
  })

  it('flags files without a patch and rebuilds a diff the parser reads like the original', async () => {
    const number = seedPull({ noPatch: ['README.md'] })
    const files = await listPullRequestFiles(gh, repo, number)
    const byName = new Map(files.map(f => [f.filename, f]))
    expect(byName.get('logo.png')).toMatchObject({ hasPatch: false })
    expect(byName.get('logo.png')?.patch).toBeUndefined()
    expect(byName.get('README.md')).toMatchObject({ hasPatch: false, changes: 2 })
    expect(byName.get('lib/b.ts')).toMatchObject({
      status: 'renamed',
      previousFilename: 'lib/a.ts'
    })

    const rebuilt = parseUnifiedDiff(filesToUnifiedDiff(files))
    const original = parseUnifiedDiff(MIXED_DIFF)
    const expected = summary(original).map(f =>
      // Without its patch README.md is still in the pull request, but takes no comment.
      f.path === 'README.md' ? { ...f, binary: true, hunks: [] } : f
    )
    expect(summary(rebuilt)).toEqual(expected)
  })

  it('quotes names the way git does', () => {
    const text = filesToUnifiedDiff([
      {
        filename: 'a"b.txt',
        status: 'modified',
        additions: 1,
        deletions: 0,
        changes: 1,
        hasPatch: true,
        patch: '@@ -1 +1,2 @@\n x\n+y'
      }
    ])
    expect(text.split('\n')[0]).toBe('diff --git "a/a\\"b.txt" "b/a\\"b.txt"')
    expect(parseUnifiedDiff(text).files[0]?.path).toBe('a"b.txt')
  })
})

describe('createReview', () => {
  it('posts one review with its inline comments', async () => {
    const number = seedPull()
    const pr = await getPullRequest(gh, repo, number)
    const posted = await createReview(gh, repo, number, {
      commitId: pr.headSha,
      event: 'COMMENT',
      body: 'Looks fine',
      comments: [
        { path: 'src/app.ts', line: 3, side: 'RIGHT', body: 'one' },
        { path: 'src/app.ts', line: 2, side: 'LEFT', body: 'two' },
        { path: 'src/app.ts', start_line: 21, line: 23, side: 'RIGHT', body: 'range' }
      ]
    })
    expect(posted.state).toBe('COMMENTED')
    expect(posted.htmlUrl).toContain(`/pull/${number}#pullrequestreview-${posted.id}`)
    const comments = fake.reviewComments(OWNER, REPO, number)
    expect(comments.map(c => [c.body, c.side, c.line, c.startLine])).toEqual([
      ['one', 'RIGHT', 3, undefined],
      ['two', 'LEFT', 2, undefined],
      ['range', 'RIGHT', 23, 21]
    ])
    const reviews = await listReviews(gh, repo, number)
    expect(reviews).toEqual([
      expect.objectContaining({ id: posted.id, body: 'Looks fine', state: 'COMMENTED' })
    ])
  })

  it('leaves the review pending without an event', async () => {
    const number = seedPull()
    const pr = await getPullRequest(gh, repo, number)
    const posted = await createReview(gh, repo, number, {
      commitId: pr.headSha,
      comments: [{ path: 'README.md', line: 1, side: 'RIGHT', body: 'probe' }]
    })
    expect(posted.state).toBe('PENDING')
  })

  it('turns a 422 into a ReviewRejectedError with GitHub’s reasons, and nothing lands', async () => {
    const number = seedPull()
    const pr = await getPullRequest(gh, repo, number)
    const attempt = createReview(gh, repo, number, {
      commitId: pr.headSha,
      event: 'COMMENT',
      body: 'x',
      comments: [
        { path: 'src/app.ts', line: 3, side: 'RIGHT', body: 'fine' },
        { path: 'src/app.ts', line: 12, side: 'RIGHT', body: 'outside every hunk' }
      ]
    })
    await expect(attempt).rejects.toBeInstanceOf(ReviewRejectedError)
    const error = (await attempt.catch((e: unknown) => e)) as ReviewRejectedError
    expect(error.status).toBe(422)
    expect(error.errors).toContain('Line could not be resolved')
    expect(error.message).toContain('Line could not be resolved')
    expect(fake.reviews(OWNER, REPO, number)).toEqual([])
  })

  it('does not retry a 502: the review may have landed, and the caller can see it did', async () => {
    const number = seedPull()
    const pr = await getPullRequest(gh, repo, number)
    fake.failNext('pulls/create-review', { status: 502, landed: true })
    const attempt = createReview(gh, repo, number, {
      commitId: pr.headSha,
      event: 'COMMENT',
      body: 'run marker <!-- tandem:run id=1 -->'
    })
    await expect(attempt).rejects.toMatchObject({ status: 502 })
    expect(calls(fake, 'pulls/create-review')).toBe(1)
    const landed = (await listReviews(gh, repo, number)).filter(r =>
      r.body.includes('tandem:run id=1')
    )
    expect(landed).toHaveLength(1)
  })

  it('does not retry a secondary rate limit on the review POST', async () => {
    const number = seedPull()
    const pr = await getPullRequest(gh, repo, number)
    fake.failNext('pulls/create-review', { status: 403, retryAfter: 1 })
    await expect(
      createReview(gh, repo, number, { commitId: pr.headSha, event: 'COMMENT', body: 'x' })
    ).rejects.toMatchObject({ status: 403 })
    expect(calls(fake, 'pulls/create-review')).toBe(1)
    expect(fake.reviews(OWNER, REPO, number)).toEqual([])
  })

  it('cuts a body over 65,536 characters and keeps its markers', async () => {
    const number = seedPull()
    const pr = await getPullRequest(gh, repo, number)
    const body = `${'x'.repeat(70_000)}\n<!-- tandem:finding fp=abcdef0123456789 -->`
    await createReview(gh, repo, number, { commitId: pr.headSha, event: 'COMMENT', body })
    const [review] = fake.reviews(OWNER, REPO, number)
    expect([...review!.body].length).toBeLessThanOrEqual(MAX_BODY_CHARS)
    expect(review!.body).toContain('<!-- tandem:finding fp=abcdef0123456789 -->')
  })
})

describe('fitBody', () => {
  it('leaves a body within the limit alone', () => {
    expect(fitBody('short')).toBe('short')
  })

  it('never cuts inside an HTML comment', () => {
    const body = `${'y'.repeat(MAX_BODY_CHARS - 20)}<!-- tandem:summary -->${'z'.repeat(100)}`
    const fitted = fitBody(body)
    expect([...fitted].length).toBeLessThanOrEqual(MAX_BODY_CHARS)
    expect(fitted.endsWith('<!-- tandem:summary -->')).toBe(true)
    expect(fitted.lastIndexOf('<!--')).toBeLessThan(fitted.lastIndexOf('-->'))
  })

  it('counts characters, not UTF-16 units', () => {
    const body = '😀'.repeat(MAX_BODY_CHARS)
    expect(fitBody(body)).toBe(body)
  })
})

describe('listing comments and reviews', () => {
  it('reads every review comment past 100', async () => {
    const number = seedPull({ diff: addedFile('big.ts', 200) })
    const pr = await getPullRequest(gh, repo, number)
    const comments = Array.from({ length: 150 }, (_, i) => ({
      path: 'big.ts',
      line: i + 1,
      side: 'RIGHT' as const,
      body: `c${i + 1}`
    }))
    await createReview(gh, repo, number, { commitId: pr.headSha, event: 'COMMENT', comments })
    fake.clearLog()
    const listed = await listReviewComments(gh, repo, number)
    expect(listed).toHaveLength(150)
    expect(listed[149]).toMatchObject({
      body: 'c150',
      path: 'big.ts',
      line: 150,
      side: 'RIGHT',
      author: 'github-actions[bot]',
      authorIsBot: true,
      commitId: pr.headSha
    })
    expect(calls(fake, 'pulls/list-review-comments')).toBe(2)
  })

  it('reads every issue comment past 100', async () => {
    const number = seedPull()
    seedIssueComments(number, 130)
    const listed = await listIssueComments(gh, repo, number)
    expect(listed).toHaveLength(130)
    expect(listed[129]).toMatchObject({
      body: 'comment 130',
      author: 'octocat',
      authorIsBot: false
    })
    expect(calls(fake, 'issues/list-comments')).toBe(2)
  })
})

describe('upsertStickyComment', () => {
  const MARKER = '<!-- tandem:summary -->'

  it('creates, then updates, then leaves alone', async () => {
    const number = seedPull()
    seedIssueComments(number, 3)
    const first = await upsertStickyComment(gh, repo, number, MARKER, `${MARKER}\nround 1`)
    expect(first.operation).toBe('created')
    const second = await upsertStickyComment(gh, repo, number, MARKER, `${MARKER}\nround 2`)
    expect(second).toMatchObject({ id: first.id, operation: 'updated' })
    fake.clearLog()
    const third = await upsertStickyComment(gh, repo, number, MARKER, `${MARKER}\nround 2`)
    expect(third).toMatchObject({ id: first.id, operation: 'unchanged' })
    expect(calls(fake, 'issues/update-comment') + calls(fake, 'issues/create-comment')).toBe(0)

    const mine = fake.issueComments(OWNER, REPO, number).filter(c => c.body.includes(MARKER))
    expect(mine.map(c => c.body)).toEqual([`${MARKER}\nround 2`])
  })

  it('does not post a second summary when a 502 answered a comment that landed', async () => {
    const number = seedPull()
    fake.failNext('issues/create-comment', { status: 502, landed: true })
    const result = await upsertStickyComment(gh, repo, number, MARKER, `${MARKER}\nonce`)
    expect(result.operation).toBe('created')
    expect(calls(fake, 'issues/create-comment')).toBe(1)
    expect(fake.issueComments(OWNER, REPO, number).map(c => c.id)).toEqual([result.id])
  })

  it('tries once more when a 502 answered a comment that did not land', async () => {
    const number = seedPull()
    fake.failNext('issues/create-comment', { status: 502 })
    const result = await upsertStickyComment(gh, repo, number, MARKER, `${MARKER}\nonce`)
    expect(result.operation).toBe('created')
    expect(calls(fake, 'issues/create-comment')).toBe(2)
    expect(fake.issueComments(OWNER, REPO, number).map(c => c.id)).toEqual([result.id])
  })

  it('adds the marker when the body lacks it, so the next run finds the comment', async () => {
    const number = seedPull()
    const first = await upsertStickyComment(gh, repo, number, MARKER, 'no marker here')
    const again = await upsertStickyComment(gh, repo, number, MARKER, 'no marker here')
    expect(again).toMatchObject({ id: first.id, operation: 'unchanged' })
    expect(fake.issueComments(OWNER, REPO, number)[0]?.body).toBe(`${MARKER}\nno marker here`)
  })

  it('never takes over a person’s comment that carries the marker', async () => {
    const number = seedPull()
    const alice = client(fake, 'alice-token')
    await alice.rest.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: number,
      body: `quoting ${MARKER}`
    })
    const created = await upsertStickyComment(gh, repo, number, MARKER, `${MARKER}\nsummary`)
    // Alice's comment is left alone: a bot's summary of its own is created beside it.
    expect(created.operation).toBe('created')
    expect(fake.issueComments(OWNER, REPO, number).map(c => c.body)).toEqual([
      `quoting ${MARKER}`,
      `${MARKER}\nsummary`
    ])

    const other = seedPull()
    await alice.rest.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: other,
      body: `${MARKER} by hand`
    })
    const ours = await upsertStickyComment(gh, repo, other, MARKER, `${MARKER}\nv1`, {
      author: 'github-actions[bot]'
    })
    expect(ours.operation).toBe('created')
    const updated = await upsertStickyComment(gh, repo, other, MARKER, `${MARKER}\nv2`)
    expect(updated).toMatchObject({ id: ours.id, operation: 'updated' })
    expect(fake.issueComments(OWNER, REPO, other).map(c => c.body)).toEqual([
      `${MARKER} by hand`,
      `${MARKER}\nv2`
    ])
  })
})

describe('permissions', () => {
  it('reads the role, maintain and triage included', async () => {
    fake.setPermission('mia', 'maintain')
    fake.setPermission('tom', 'triage')
    fake.setPermission('wes', 'write')
    expect(await getCollaboratorPermission(gh, repo, OWNER)).toBe('admin')
    expect(await getCollaboratorPermission(gh, repo, 'mia')).toBe('maintain')
    expect(await getCollaboratorPermission(gh, repo, 'tom')).toBe('triage')
    expect(await getCollaboratorPermission(gh, repo, 'wes')).toBe('write')
    expect(await getCollaboratorPermission(gh, repo, 'stranger')).toBe('read')
  })

  it('answers none for a 404', async () => {
    expect(await getCollaboratorPermission(gh, { owner: 'nobody', repo: 'nothing' }, 'mia')).toBe(
      'none'
    )
  })

  it('requires write, maintain or admin', async () => {
    fake.setPermission('mia', 'maintain')
    fake.setPermission('tom', 'triage')
    fake.setPermission('wes', 'write')
    expect(await requireWritePermission(gh, repo, OWNER)).toBe(true)
    expect(await requireWritePermission(gh, repo, 'mia')).toBe(true)
    expect(await requireWritePermission(gh, repo, 'wes')).toBe(true)
    expect(await requireWritePermission(gh, repo, 'tom')).toBe(false)
    expect(await requireWritePermission(gh, repo, 'stranger')).toBe(false)
  })
})
