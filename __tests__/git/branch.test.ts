import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  changedFiles,
  commitAll,
  entryPaths,
  parsePorcelainZ,
  pushBranch,
  remoteBranchSha,
  treeOf
} from '../../src/git/branch.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

describe('parsePorcelainZ', () => {
  it('reads plain entries, untracked files and paths with spaces and newlines', () => {
    const out = ' M src/a.ts\0?? new dir/file one.txt\0D  gone\nline.md\0'
    expect(parsePorcelainZ(out)).toEqual([
      { status: ' M', path: 'src/a.ts' },
      { status: '??', path: 'new dir/file one.txt' },
      { status: 'D ', path: 'gone\nline.md' }
    ])
  })

  it('pairs a rename or copy with the old path that follows it', () => {
    const out = 'R  .github/workflows/ci.yml\0ci.yml\0C  b.txt\0a.txt\0 M c.txt\0'
    const entries = parsePorcelainZ(out)
    expect(entries).toEqual([
      { status: 'R ', path: '.github/workflows/ci.yml', origPath: 'ci.yml' },
      { status: 'C ', path: 'b.txt', origPath: 'a.txt' },
      { status: ' M', path: 'c.txt' }
    ])
    expect(entryPaths(entries)).toEqual([
      '.github/workflows/ci.yml',
      'ci.yml',
      'b.txt',
      'a.txt',
      'c.txt'
    ])
  })

  it('reads nothing from empty output', () => {
    expect(parsePorcelainZ('')).toEqual([])
  })
})

describe('on a real repository', () => {
  let root: string
  let repo: TestRepo

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'tandem-branch-'))
    repo = createTestRepo(root, { 'README.md': '# hi\n', 'src/a.ts': 'export const a = 1\n' })
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('lists nothing on a clean tree and commits nothing', async () => {
    expect(await changedFiles(repo.workspace)).toEqual([])
    expect(await commitAll(repo.workspace, { message: 'nothing' })).toBeUndefined()
  })

  it('lists edits, new files in new directories, deletions and both sides of a staged rename', async () => {
    const ws = repo.workspace
    writeFileSync(path.join(ws, 'README.md'), '# changed\n')
    mkdirSync(path.join(ws, 'deep/new dir'), { recursive: true })
    writeFileSync(path.join(ws, 'deep/new dir/x.txt'), 'x\n')
    mkdirSync(path.join(ws, '.github/workflows'), { recursive: true })
    renameSync(path.join(ws, 'src/a.ts'), path.join(ws, '.github/workflows/a.yml'))
    git(ws, ['add', '--all'])
    expect((await changedFiles(ws)).sort()).toEqual(
      ['.github/workflows/a.yml', 'README.md', 'deep/new dir/x.txt', 'src/a.ts'].sort()
    )
    git(ws, ['reset', '--quiet', '--hard', 'HEAD'])
    git(ws, ['clean', '-fdq'])
  })

  it('commits a message longer than one process argument may be (128 KiB), verbatim', async () => {
    const ws = repo.workspace
    writeFileSync(path.join(ws, 'long.txt'), 'long\n')
    // A writer's summary becomes the message; as an `-m` argument this was E2BIG.
    const message = `Subject $(touch pwned) \`id\`\n\n${'word '.repeat(40_000).trim()}`
    const sha = await commitAll(ws, { message })
    expect(git(ws, ['log', '-1', '--format=%B', sha!]).trimEnd()).toBe(message)
    expect(existsSync(path.join(ws, 'pwned'))).toBe(false)
    git(ws, ['reset', '--quiet', '--hard', 'HEAD~1'])
  })

  it('commits everything as github-actions[bot], pushes with a lease and reads the remote back', async () => {
    const ws = repo.workspace
    writeFileSync(path.join(ws, 'new.txt'), 'new\n')
    const sha = await commitAll(ws, { message: 'Add new.txt\n\n#1 is not a comment' })
    expect(sha).toMatch(/^[0-9a-f]{40}$/)
    expect(git(ws, ['log', '-1', '--format=%an <%ae>|%cn <%ce>|%B'])).toBe(
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>|' +
        'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>|' +
        'Add new.txt\n\n#1 is not a comment'
    )
    expect(await changedFiles(ws)).toEqual([])

    expect(await remoteBranchSha(ws, 'tandem/x')).toBeUndefined()
    await pushBranch(ws, 'tandem/x', { force: true })
    expect(await remoteBranchSha(ws, 'tandem/x')).toBe(sha)

    git(ws, ['reset', '--quiet', '--hard', 'HEAD~1'])
    writeFileSync(path.join(ws, 'other.txt'), 'other\n')
    const other = await commitAll(ws, {
      message: 'Other',
      author: { name: 'A', email: 'a@example.com' },
      committer: { name: 'C', email: 'c@example.com' }
    })
    expect(git(ws, ['log', '-1', '--format=%an <%ae>|%cn <%ce>'])).toBe(
      'A <a@example.com>|C <c@example.com>'
    )
    await expect(pushBranch(ws, 'tandem/x')).rejects.toThrow(/rejected/)
    // Forcing without an expected SHA means "the branch must not exist yet".
    await expect(pushBranch(ws, 'tandem/x', { force: true })).rejects.toThrow(/stale info/)
    await expect(
      pushBranch(ws, 'tandem/x', { force: true, expectedRemoteSha: 'f'.repeat(40) })
    ).rejects.toThrow(/stale info|rejected/)
    await pushBranch(ws, 'tandem/x', { force: true, expectedRemoteSha: sha })
    expect(await remoteBranchSha(ws, 'tandem/x')).toBe(other)
    expect(await treeOf(ws, other!)).toBe(git(ws, ['rev-parse', 'HEAD^{tree}']))
    expect(await treeOf(ws, 'f'.repeat(40))).toBeUndefined()
  })

  it('never runs hooks planted in .git/hooks', async () => {
    const ws = repo.workspace
    const marker = path.join(root, 'hook-ran')
    for (const hook of ['pre-commit', 'commit-msg', 'pre-push']) {
      writeFileSync(path.join(ws, '.git/hooks', hook), `#!/bin/sh\ntouch ${marker}\nexit 1\n`, {
        mode: 0o755
      })
    }
    writeFileSync(path.join(ws, 'hooked.txt'), 'x\n')
    const sha = await commitAll(ws, { message: 'hooked' })
    expect(sha).toBe(git(ws, ['rev-parse', 'HEAD']))
    await pushBranch(ws, 'tandem/hooked')
    expect(await remoteBranchSha(ws, 'tandem/hooked')).toBe(sha)
    expect(existsSync(marker)).toBe(false)
  })
})
