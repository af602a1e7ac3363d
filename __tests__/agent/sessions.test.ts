import { afterAll, describe, expect, it } from '@jest/globals'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  claudeConfigDir,
  exportSessions,
  findSessionFile,
  importSession,
  projectDirName,
  sessionFilePath
} from '../../src/agent/sessions.js'

const ID = '2a905a19-a645-4dd4-8ea7-586adf94a4b0'
const root = mkdtempSync(path.join(tmpdir(), 'tandem-sessions-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('session files', () => {
  it('names the project folder as the CLI does', () => {
    // Measured with Claude Code 2.1.197: /tmp/exp-MFQ7s9/work_dir.x → -tmp-exp-MFQ7s9-work-dir-x
    expect(projectDirName('/tmp/exp-MFQ7s9/work_dir.x')).toBe('-tmp-exp-MFQ7s9-work-dir-x')
    expect(projectDirName('/home/runner/work/my repo/é')).toBe('-home-runner-work-my-repo--')
  })

  it('looks in CLAUDE_CONFIG_DIR, else $HOME/.claude', () => {
    expect(claudeConfigDir({ CLAUDE_CONFIG_DIR: '/c', HOME: '/h' })).toBe('/c')
    expect(claudeConfigDir({ HOME: '/h' })).toBe(path.join('/h', '.claude'))
    expect(sessionFilePath('/c', '/w/x', ID)).toBe(`/c/projects/-w-x/${ID}.jsonl`)
  })

  it('finds a session of the same working directory, through a symlinked cwd too', () => {
    const home = path.join(root, 'home')
    const work = path.join(root, 'work')
    mkdirSync(work, { recursive: true })
    const env = { HOME: home }
    expect(findSessionFile(env, work, ID)).toBeUndefined()
    const file = sessionFilePath(path.join(home, '.claude'), work, ID)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, '{}\n')
    expect(findSessionFile(env, work, ID)).toBe(file)
    const link = path.join(root, 'link')
    symlinkSync(work, link)
    expect(findSessionFile(env, link, ID)).toBe(file)
    expect(findSessionFile(env, path.join(root, 'elsewhere'), ID)).toBeUndefined()
  })
})

describe('sessions between the runner and the agent home (which the agent controls)', () => {
  const store = path.join(root, 'store')
  const cwd = '/work/repo'
  const dirName = projectDirName(cwd)

  function agentHome(name: string): string {
    const home = path.join(root, name)
    mkdirSync(path.join(home, '.claude', 'projects', dirName), { recursive: true })
    return home
  }

  it('exports session files as new 0600 files: a setuid file named like a session is only bytes', async () => {
    const home = agentHome('home-setuid')
    const planted = path.join(home, '.claude', 'projects', dirName, `${ID}.jsonl`)
    writeFileSync(planted, '#!/bin/sh\n')
    chmodSync(planted, 0o4755)
    writeFileSync(path.join(home, '.claude', 'projects', dirName, 'notes.txt'), 'x')
    await exportSessions(home, store, cwd, ID)
    const copy = path.join(store, 'projects', dirName, `${ID}.jsonl`)
    expect(statSync(copy).mode & 0o7777).toBe(0o600)
    expect(readFileSync(copy, 'utf8')).toBe('#!/bin/sh\n')
    expect(existsSync(path.join(store, 'projects', dirName, 'notes.txt'))).toBe(false)
  })

  it('exports only the session that ran, under its own directory: no other id, folder or path', async () => {
    const home = agentHome('home-others')
    const other = '0b6a2f1e-1111-4222-8333-444455556666'
    writeFileSync(path.join(home, '.claude', 'projects', dirName, `${other}.jsonl`), 'other\n')
    mkdirSync(path.join(home, '.claude', 'projects', '-home-someone-repo'), { recursive: true })
    writeFileSync(path.join(home, '.claude', 'projects', '-home-someone-repo', `${ID}.jsonl`), 'x')
    const target = path.join(root, 'store-others')
    await exportSessions(home, target, cwd, ID)
    await exportSessions(home, target, cwd, '../../../x')
    expect(existsSync(path.join(target, 'projects', '-home-someone-repo'))).toBe(false)
    expect(existsSync(path.join(target, 'projects', dirName, `${other}.jsonl`))).toBe(false)
    expect(findSessionFile({ CLAUDE_CONFIG_DIR: target }, cwd, '../../etc/passwd')).toBeUndefined()
  })

  it('follows no symlink the agent left: not for its projects folder, not for a session', async () => {
    const victim = path.join(root, 'victim')
    mkdirSync(path.join(victim, dirName), { recursive: true })
    writeFileSync(path.join(victim, dirName, `${ID}.jsonl`), 'secret of root\n')
    const home = path.join(root, 'home-links')
    mkdirSync(path.join(home, '.claude'), { recursive: true })
    symlinkSync(victim, path.join(home, '.claude', 'projects'))
    const other = path.join(root, 'store-links')
    await exportSessions(home, other, cwd, ID)
    expect(existsSync(path.join(other, 'projects'))).toBe(false)

    const home2 = agentHome('home-file-link')
    const link = path.join(home2, '.claude', 'projects', dirName, `${ID}.jsonl`)
    symlinkSync(path.join(victim, dirName, `${ID}.jsonl`), link)
    await exportSessions(home2, other, cwd, ID)
    expect(existsSync(path.join(other, 'projects', dirName, `${ID}.jsonl`))).toBe(false)
  })

  it('imports a session into a real folder of the agent, replacing a planted symlink, and hands it over', async () => {
    const source = sessionFilePath(store, cwd, ID)
    mkdirSync(path.dirname(source), { recursive: true })
    writeFileSync(source, '{"type":"user"}\n')
    const target = path.join(root, 'import-target')
    mkdirSync(target)
    const home = path.join(root, 'home-import')
    mkdirSync(path.join(home, '.claude'), { recursive: true })
    symlinkSync(target, path.join(home, '.claude', 'projects'))
    const given: string[] = []
    await importSession(
      store,
      { home, giveToAgent: async paths => void given.push(...paths) },
      cwd,
      ID
    )
    const copy = path.join(home, '.claude', 'projects', dirName, `${ID}.jsonl`)
    expect(lstatSync(path.join(home, '.claude', 'projects')).isDirectory()).toBe(true)
    expect(readFileSync(copy, 'utf8')).toBe('{"type":"user"}\n')
    expect(readdirSync(target)).toEqual([])
    expect(given).toEqual([
      path.join(home, '.claude', 'projects'),
      path.join(home, '.claude', 'projects', dirName),
      copy
    ])
  })
})
