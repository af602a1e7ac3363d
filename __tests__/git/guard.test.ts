import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { withCredentialsHidden } from '../../src/git/credentials.js'
import { guardConfig, guardedPaths } from '../../src/git/guard.js'
import { createTestRepo, git as sh } from '../harness/repo.js'

let root: string
let ws: string
let dotGit: string
let home: string

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'tandem-guard-')))
  ws = createTestRepo(root, { 'a.txt': 'a\n' }).workspace
  dotGit = path.join(ws, '.git')
  home = path.join(root, 'home')
  mkdirSync(path.join(home, '.claude'), { recursive: true })
  writeFileSync(path.join(home, '.claude', 'settings.json'), '{"permissions":{}}\n')
  writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = Runner\n', { mode: 0o644 })
})

afterEach(() => rmSync(root, { recursive: true, force: true }))

/** Everything under `paths`, never through a symlink: path → type, mode, content or target. */
function state(paths: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  const visit = (file: string) => {
    let stat
    try {
      stat = lstatSync(file)
    } catch {
      return
    }
    const mode = (stat.mode & 0o7777).toString(8)
    if (stat.isSymbolicLink()) out[file] = `link -> ${readlinkSync(file)}`
    else if (stat.isDirectory()) {
      out[file] = `dir ${mode}`
      for (const name of readdirSync(file)) visit(path.join(file, name))
    } else out[file] = `file ${mode} ${readFileSync(file, 'base64')}`
  }
  for (const file of paths) visit(file)
  return out
}

const extras = () => [
  path.join(home, '.claude', 'settings.json'),
  path.join(home, '.claude', 'settings.local.json'),
  path.join(home, '.gitconfig')
]

describe('guardConfig', () => {
  it('watches the git config, both worktree configs, hooks, info/attributes and the extras', async () => {
    expect(await guardedPaths(ws, extras())).toEqual([
      path.join(dotGit, 'config'),
      path.join(dotGit, 'config.worktree'),
      path.join(dotGit, 'hooks'),
      path.join(dotGit, 'info', 'attributes'),
      ...extras()
    ])
    expect(readdirSync(path.join(dotGit, 'hooks')).length).toBeGreaterThanOrEqual(10)
  })

  it('restores every kind of change and names each changed path', async () => {
    const watched = await guardedPaths(ws, extras())
    const before = state(watched)
    // Not /etc/passwd: other tests add and remove users there while this one runs.
    const victim = path.join(path.dirname(ws), 'victim-file')
    writeFileSync(victim, 'root:x:0:0::/root:/bin/sh\n')
    const guard = await guardConfig(ws, extras())

    const hooks = path.join(dotGit, 'hooks')
    sh(ws, ['config', 'core.fsmonitor', '/tmp/evil'])
    writeFileSync(path.join(dotGit, 'config.worktree'), '[core]\n\tfsmonitor = /tmp/evil\n')
    writeFileSync(path.join(hooks, 'pre-commit'), '#!/bin/sh\nexit 0\n', { mode: 0o755 })
    chmodSync(path.join(hooks, 'pre-push.sample'), 0o777)
    writeFileSync(path.join(hooks, 'pre-rebase.sample'), 'rewritten\n')
    unlinkSync(path.join(hooks, 'update.sample'))
    symlinkSync(victim, path.join(hooks, 'post-checkout'))
    mkdirSync(path.join(hooks, 'sub'))
    writeFileSync(path.join(hooks, 'sub', 'x'), 'x')
    writeFileSync(path.join(dotGit, 'info', 'attributes'), '* filter=evil\n')
    writeFileSync(path.join(home, '.claude', 'settings.json'), '{"hooks":{"Stop":[]}}\n')
    writeFileSync(path.join(home, '.claude', 'settings.local.json'), '{}\n')
    unlinkSync(path.join(home, '.gitconfig'))

    const changes = await guard.restore()
    expect(state(watched)).toEqual(before)
    expect(readFileSync(victim, 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n')
    expect(changes).toEqual(
      [
        { path: path.join(dotGit, 'config'), kind: 'changed' },
        { path: path.join(dotGit, 'config.worktree'), kind: 'added' },
        { path: path.join(hooks, 'post-checkout'), kind: 'added' },
        { path: path.join(hooks, 'pre-commit'), kind: 'added' },
        { path: path.join(hooks, 'pre-push.sample'), kind: 'changed' },
        { path: path.join(hooks, 'pre-rebase.sample'), kind: 'changed' },
        { path: path.join(hooks, 'sub'), kind: 'added' },
        { path: path.join(hooks, 'sub', 'x'), kind: 'added' },
        { path: path.join(hooks, 'update.sample'), kind: 'removed' },
        { path: path.join(dotGit, 'info', 'attributes'), kind: 'added' },
        { path: path.join(home, '.claude', 'settings.json'), kind: 'changed' },
        { path: path.join(home, '.claude', 'settings.local.json'), kind: 'added' },
        { path: path.join(home, '.gitconfig'), kind: 'removed' }
      ].sort((a, b) => (a.path < b.path ? -1 : 1))
    )
    // A second restore finds nothing left to undo.
    expect(await guard.restore()).toEqual([])
  })

  it('reports nothing when nothing changed, quickly', async () => {
    const guard = await guardConfig(ws, extras())
    const started = Date.now()
    expect(await guard.restore()).toEqual([])
    expect(Date.now() - started).toBeLessThan(500)
  })

  it('removes a hooks dir replaced by a symlink without touching its target', async () => {
    const watched = await guardedPaths(ws, [])
    const before = state(watched)
    const guard = await guardConfig(ws, [])
    const elsewhere = path.join(root, 'elsewhere')
    mkdirSync(elsewhere)
    writeFileSync(path.join(elsewhere, 'pre-commit'), 'keep me\n', { mode: 0o755 })
    const hooks = path.join(dotGit, 'hooks')
    renameSync(hooks, path.join(root, 'old-hooks'))
    symlinkSync(elsewhere, hooks)
    // And the config itself becomes a link to another file.
    const config = path.join(dotGit, 'config')
    renameSync(config, path.join(root, 'config.orig'))
    writeFileSync(path.join(root, 'secret'), 'token\n')
    symlinkSync(path.join(root, 'secret'), config)

    const changes = await guard.restore()
    expect(state(watched)).toEqual(before)
    expect(readFileSync(path.join(elsewhere, 'pre-commit'), 'utf8')).toBe('keep me\n')
    expect(readFileSync(path.join(root, 'secret'), 'utf8')).toBe('token\n')
    expect(changes).toEqual(
      expect.arrayContaining([
        { path: config, kind: 'changed' },
        { path: hooks, kind: 'changed' },
        { path: path.join(hooks, 'pre-commit.sample'), kind: 'removed' }
      ])
    )
  })

  it('recreates a guarded file whose directory was removed', async () => {
    writeFileSync(path.join(dotGit, 'info', 'attributes'), '*.bin binary\n')
    const watched = await guardedPaths(ws, extras())
    const before = state(watched)
    const guard = await guardConfig(ws, extras())
    rmSync(path.join(dotGit, 'info'), { recursive: true })
    rmSync(path.join(home, '.claude'), { recursive: true })
    const changes = await guard.restore()
    expect(state(watched)).toEqual(before)
    expect(changes).toEqual([
      { path: path.join(home, '.claude', 'settings.json'), kind: 'removed' },
      { path: path.join(dotGit, 'info', 'attributes'), kind: 'removed' }
    ])
  })

  it('restores modes of files and directories', async () => {
    const hooks = path.join(dotGit, 'hooks')
    const watched = await guardedPaths(ws, [])
    const before = state(watched)
    const guard = await guardConfig(ws, [])
    chmodSync(path.join(hooks, 'pre-commit.sample'), 0o644)
    chmodSync(path.join(dotGit, 'config'), 0o666)
    chmodSync(hooks, 0o555)
    const changes = await guard.restore()
    expect(state(watched)).toEqual(before)
    expect(changes.map(change => change.path)).toEqual(
      [hooks, path.join(hooks, 'pre-commit.sample'), path.join(dotGit, 'config')].sort()
    )
  })

  it("does not write through a guarded file's parent that was swapped for a symlink", async () => {
    const guard = await guardConfig(ws, extras())
    const claude = path.join(home, '.claude')
    const target = path.join(root, 'target')
    mkdirSync(target)
    writeFileSync(path.join(target, 'settings.json'), 'not yours\n')
    renameSync(claude, path.join(home, 'claude-moved'))
    symlinkSync(target, claude)
    sh(ws, ['config', 'core.fsmonitor', '/tmp/evil'])

    await expect(guard.restore()).rejects.toThrow('was replaced')
    expect(readFileSync(path.join(target, 'settings.json'), 'utf8')).toBe('not yours\n')
    // Everything else was restored all the same.
    expect(() => sh(ws, ['config', '--get', 'core.fsmonitor'])).toThrow()
  })

  it("covers a linked worktree's own config.worktree and the common config", async () => {
    const wt = path.join(root, 'wt')
    sh(ws, ['worktree', 'add', '--quiet', '--detach', wt])
    sh(ws, ['config', 'extensions.worktreeConfig', 'true'])
    const wtGitDir = sh(wt, ['rev-parse', '--path-format=absolute', '--git-dir'])
    expect(wtGitDir).toBe(path.join(dotGit, 'worktrees', 'wt'))
    const watched = await guardedPaths(wt, [])
    expect(watched).toContain(path.join(wtGitDir, 'config.worktree'))
    expect(watched).toContain(path.join(dotGit, 'config'))
    const before = state(watched)

    const guard = await guardConfig(wt, [])
    sh(wt, ['config', '--worktree', 'core.fsmonitor', '/tmp/evil'])
    sh(wt, ['config', 'core.hooksPath', '/tmp/evil-hooks'])
    const changes = await guard.restore()
    expect(state(watched)).toEqual(before)
    expect(changes).toEqual([
      { path: path.join(dotGit, 'config'), kind: 'changed' },
      { path: path.join(wtGitDir, 'config.worktree'), kind: 'added' }
    ])
  })

  it('inside withCredentialsHidden, never reports the credential entries', async () => {
    const include = path.join(root, 'runner-temp', 'git-credentials-1.config')
    mkdirSync(path.dirname(include))
    writeFileSync(include, '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic x\n')
    sh(ws, ['config', 'http.https://github.com/.extraheader', 'AUTHORIZATION: basic y'])
    sh(ws, ['config', `includeIf.gitdir:${dotGit}.path`, include])
    const list = () => sh(ws, ['config', '--local', '--list']).split('\n').sort()
    const before = list()

    const quiet = await withCredentialsHidden(ws, async () => {
      const guard = await guardConfig(ws, [])
      return guard.restore()
    })
    expect(quiet).toEqual([])

    const noisy = await withCredentialsHidden(ws, async () => {
      const guard = await guardConfig(ws, [])
      sh(ws, ['config', 'core.sshCommand', 'evil'])
      return guard.restore()
    })
    expect(noisy).toEqual([{ path: path.join(dotGit, 'config'), kind: 'changed' }])
    expect(list()).toEqual(before)
    expect(readFileSync(include, 'utf8')).toContain('extraheader')
  })
})
