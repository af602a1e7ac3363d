import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseConfigZ, withCredentialsHidden } from '../../src/git/credentials.js'
import { createTestRepo, git } from '../harness/repo.js'

describe('parseConfigZ', () => {
  it('reads key/value records, values with newlines and valueless keys', () => {
    expect(
      parseConfigZ(
        'http.https://github.com/.extraheader\nAUTHORIZATION: basic x\0a.b\0c.d\nl1\nl2\0'
      )
    ).toEqual([
      { key: 'http.https://github.com/.extraheader', value: 'AUTHORIZATION: basic x' },
      { key: 'a.b', value: '' },
      { key: 'c.d', value: 'l1\nl2' }
    ])
  })
})

describe('withCredentialsHidden', () => {
  it("takes actions/checkout's credentials out of .git/config while fn runs, then restores them", async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tandem-creds-'))
    try {
      const repo = createTestRepo(root, { 'a.txt': 'a\n' })
      const ws = repo.workspace
      const header = 'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0'
      const include = path.join(root, 'git-credentials-1234.config')
      git(ws, ['config', '--local', 'http.https://github.com/.extraheader', header])
      git(ws, ['config', '--local', `includeIf.gitdir:${ws}/.git.path`, include])
      git(ws, ['config', '--local', 'core.autocrlf', 'false'])
      const before = git(ws, ['config', '--local', '--list']).split('\n').sort()

      const seen = await withCredentialsHidden(ws, async () => {
        const config = git(ws, ['config', '--local', '--list'])
        // The agent could add its own header meanwhile; it does not survive.
        git(ws, ['config', '--local', '--add', 'http.https://github.com/.extraheader', 'evil'])
        return config
      })
      expect(seen).not.toContain('extraheader')
      expect(seen).not.toContain('git-credentials')
      expect(seen).toContain('core.autocrlf=false')
      expect(git(ws, ['config', '--local', '--list']).split('\n').sort()).toEqual(before)

      // Restored even when fn throws.
      await expect(
        withCredentialsHidden(ws, async () => {
          throw new Error('boom')
        })
      ).rejects.toThrow('boom')
      expect(git(ws, ['config', '--local', '--list']).split('\n').sort()).toEqual(before)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('does nothing when there is nothing to hide', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tandem-creds-'))
    try {
      const repo = createTestRepo(root, { 'a.txt': 'a\n' })
      const before = git(repo.workspace, ['config', '--local', '--list'])
      expect(await withCredentialsHidden(repo.workspace, async () => 42)).toBe(42)
      expect(git(repo.workspace, ['config', '--local', '--list'])).toBe(before)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
