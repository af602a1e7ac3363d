import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
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

  it("also holds the header checkout wrote into each submodule's config (nested, names with /)", async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tandem-creds-sub-'))
    try {
      const repo = createTestRepo(root, { 'a.txt': 'a\n' })
      const ws = repo.workspace
      const header = 'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46c3VibW9kdWxl'
      // What actions/checkout leaves with `submodules: recursive` and persisted credentials.
      const configs = ['libs/one', 'libs/one/modules/deep', 'vendor/x/y'].map(name =>
        path.join(ws, '.git', 'modules', name, 'config')
      )
      for (const config of configs) {
        mkdirSync(path.dirname(config), { recursive: true })
        writeFileSync(
          config,
          `[core]\n\tbare = false\n[http "https://github.com/"]\n\textraheader = ${header}\n`
        )
      }
      const before = configs.map(config => readFileSync(config, 'utf8'))
      const seen = await withCredentialsHidden(ws, async () =>
        configs.map(config => readFileSync(config, 'utf8'))
      )
      for (const text of seen) {
        expect(text).not.toContain('extraheader')
        expect(text).toContain('bare = false')
      }
      expect(
        configs.map(config =>
          git(ws, ['config', '--file', config, 'http.https://github.com/.extraheader'])
        )
      ).toEqual(configs.map(() => header))
      expect(configs.map(config => readFileSync(config, 'utf8').includes(header))).toEqual(
        before.map(() => true)
      )
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

describe('withCredentialsHidden with actions/checkout v6', () => {
  let root: string
  let ws: string
  let runnerTemp: string
  let credentials: string
  const content =
    '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46djY=\n'

  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(tmpdir(), 'tandem-creds-v6-')))
    ws = createTestRepo(root, { 'a.txt': 'a\n' }).workspace
    runnerTemp = path.join(root, 'runner-temp')
    mkdirSync(runnerTemp)
    credentials = path.join(
      runnerTemp,
      'git-credentials-0f8fad5b-d9cb-469f-a165-70867728950e.config'
    )
    writeFileSync(credentials, content, { mode: 0o644 })
    chmodSync(credentials, 0o644)
    git(ws, ['config', '--local', `includeIf.gitdir:${path.join(ws, '.git')}.path`, credentials])
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  const list = () => git(ws, ['config', '--local', '--list']).split('\n').sort()
  const effectiveHeader = () => {
    try {
      return git(ws, ['config', '--get', 'http.https://github.com/.extraheader'])
    } catch {
      return undefined
    }
  }

  it('removes the included credentials file while fn runs and writes it back, same mode', async () => {
    const sibling = path.join(runnerTemp, 'other-file')
    writeFileSync(sibling, 'not a credential\n')
    expect(effectiveHeader()).toContain('basic')
    const config = list()

    await withCredentialsHidden(ws, async () => {
      expect(existsSync(credentials)).toBe(false)
      expect(effectiveHeader()).toBeUndefined()
      expect(readFileSync(path.join(ws, '.git', 'config'), 'utf8')).not.toContain('credentials')
      // Only the file an includeIf entry names is held.
      expect(readFileSync(sibling, 'utf8')).toBe('not a credential\n')
    })
    expect(readFileSync(credentials, 'utf8')).toBe(content)
    expect(statSync(credentials).mode & 0o7777).toBe(0o644)
    expect(list()).toEqual(config)
    expect(effectiveHeader()).toContain('basic')
  })

  it('restores the file when fn throws, when it vanished, was replaced, or its directory went', async () => {
    const config = list()
    const cases: Array<() => void> = [
      () => {
        throw new Error('boom')
      },
      () => writeFileSync(credentials, 'planted by the agent\n', { mode: 0o666 }),
      () => symlinkSync(victim, credentials),
      () => mkdirSync(credentials),
      () => rmSync(runnerTemp, { recursive: true, force: true })
    ]
    // Not /etc/passwd: other tests add and remove users there while this one runs.
    const victim = path.join(root, 'victim-file')
    writeFileSync(victim, 'root:x:0:0::/root:/bin/sh\n')
    for (const during of cases) {
      await withCredentialsHidden(ws, async () => during()).catch(error => {
        expect(String(error)).toContain('boom')
      })
      expect(lstatSync(credentials).isFile()).toBe(true)
      expect(readFileSync(credentials, 'utf8')).toBe(content)
      expect(statSync(credentials).mode & 0o7777).toBe(0o644)
      expect(list()).toEqual(config)
    }
    expect(readFileSync(victim, 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n')
  })

  it('resolves relative and ~/ include paths as git does', async () => {
    // Relative to the directory of .git/config, i.e. the git dir.
    const relative = path.join(ws, '.git', '..', 'creds-relative.config')
    writeFileSync(relative, content, { mode: 0o600 })
    git(ws, [
      'config',
      '--local',
      '--add',
      `includeIf.gitdir:${path.join(ws, '.git')}.path`,
      '../creds-relative.config'
    ])
    // git itself reads that file.
    expect(
      git(ws, ['config', '--show-origin', '--get-all', 'http.https://github.com/.extraheader'])
    ).toContain('.git/../creds-relative.config')
    const home = path.join(root, 'home')
    mkdirSync(home)
    writeFileSync(path.join(home, 'creds-home.config'), content)
    git(ws, ['config', '--local', 'includeIf.onbranch:main.path', '~/creds-home.config'])
    const savedHome = process.env.HOME
    process.env.HOME = home
    try {
      await withCredentialsHidden(ws, async () => {
        expect(existsSync(relative)).toBe(false)
        expect(existsSync(path.join(home, 'creds-home.config'))).toBe(false)
        expect(existsSync(credentials)).toBe(false)
      })
    } finally {
      process.env.HOME = savedHome
    }
    expect(readFileSync(relative, 'utf8')).toBe(content)
    expect(statSync(relative).mode & 0o7777).toBe(0o600)
    expect(readFileSync(path.join(home, 'creds-home.config'), 'utf8')).toBe(content)
  })
})
