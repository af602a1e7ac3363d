import { afterAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  claudeConfigDir,
  findSessionFile,
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
