import { describe, expect, it } from '@jest/globals'
import {
  filesToUnifiedDiff,
  getPullRequest,
  getPullRequestDiff,
  listPullRequestFiles
} from '../../src/github/pulls.js'
import { getCollaboratorPermission, requireWritePermission } from '../../src/github/permissions.js'
import { startFakeGitHub } from '../harness/github/server.js'
import { parseUnifiedDiff, type ParsedDiff } from '../../src/review/diff.js'
import {
  MIXED_DIFF,
  OWNER,
  REPO,
  addedFile,
  calls,
  client,
  expectClean,
  repo,
  useFakeGitHub
} from './setup.js'

const env = useFakeGitHub()
const { seedPull } = env

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
    const pr = await getPullRequest(env.gh, repo, number)
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
    const pr = await getPullRequest(env.gh, repo, number)
    expect(pr.isFork).toBe(true)
    expect(pr.draft).toBe(true)
    expect(pr.headRepoFullName).toBe('mallory/app')
  })
})

describe('getPullRequestDiff', () => {
  it('returns the diff media type as text', async () => {
    const number = seedPull()
    expect(await getPullRequestDiff(env.gh, repo, number)).toBe(MIXED_DIFF)
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
    const files = await listPullRequestFiles(env.gh, repo, number)
    expect(files).toHaveLength(250)
    expect(files[249]).toMatchObject({ filename: 'src/f249.ts', status: 'added', hasPatch: true })
    expect(calls(env.fake, 'pulls/list-files')).toBe(3)
  })

  it('flags files without a patch and rebuilds a diff the parser reads like the original', async () => {
    const number = seedPull({ noPatch: ['README.md'] })
    const files = await listPullRequestFiles(env.gh, repo, number)
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

describe('permissions', () => {
  it('reads the role, maintain and triage included', async () => {
    env.fake.setPermission('mia', 'maintain')
    env.fake.setPermission('tom', 'triage')
    env.fake.setPermission('wes', 'write')
    expect(await getCollaboratorPermission(env.gh, repo, OWNER)).toBe('admin')
    expect(await getCollaboratorPermission(env.gh, repo, 'mia')).toBe('maintain')
    expect(await getCollaboratorPermission(env.gh, repo, 'tom')).toBe('triage')
    expect(await getCollaboratorPermission(env.gh, repo, 'wes')).toBe('write')
    expect(await getCollaboratorPermission(env.gh, repo, 'stranger')).toBe('read')
  })

  it('answers none for a 404', async () => {
    expect(
      await getCollaboratorPermission(env.gh, { owner: 'nobody', repo: 'nothing' }, 'mia')
    ).toBe('none')
  })

  it('requires write, maintain or admin', async () => {
    env.fake.setPermission('mia', 'maintain')
    env.fake.setPermission('tom', 'triage')
    env.fake.setPermission('wes', 'write')
    expect(await requireWritePermission(env.gh, repo, OWNER)).toBe(true)
    expect(await requireWritePermission(env.gh, repo, 'mia')).toBe(true)
    expect(await requireWritePermission(env.gh, repo, 'wes')).toBe(true)
    expect(await requireWritePermission(env.gh, repo, 'tom')).toBe(false)
    expect(await requireWritePermission(env.gh, repo, 'stranger')).toBe(false)
  })
})
