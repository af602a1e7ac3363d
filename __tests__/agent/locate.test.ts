import { describe, expect, it } from '@jest/globals'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { locateClaude, platformPackage } from '../../src/agent/locate.js'

describe('platformPackage', () => {
  it('names the package that carries the native binary', () => {
    expect(platformPackage('linux', 'x64', false)).toBe('@anthropic-ai/claude-code-linux-x64')
    expect(platformPackage('linux', 'arm64', true)).toBe(
      '@anthropic-ai/claude-code-linux-arm64-musl'
    )
    expect(platformPackage('darwin', 'arm64', false)).toBe('@anthropic-ai/claude-code-darwin-arm64')
    expect(platformPackage('win32', 'x64', false)).toBe('@anthropic-ai/claude-code-win32-x64')
  })
})

describe('locateClaude', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-locate-'))

  it('uses claude-path when it is an executable', async () => {
    const file = path.join(dir, 'my-claude')
    writeFileSync(file, '#!/bin/sh\n')
    chmodSync(file, 0o755)
    await expect(locateClaude({ claudePath: file, claudeVersion: '2.1.197' })).resolves.toBe(file)
  })

  it('refuses a claude-path that is not executable, naming the input', async () => {
    const file = path.join(dir, 'not-exec')
    writeFileSync(file, '')
    await expect(locateClaude({ claudePath: file, claudeVersion: '2.1.197' })).rejects.toThrow(
      `Input 'claude-path' has value "${file}": expected an existing executable file`
    )
  })

  it('finds claude on PATH when claude-path is empty', async () => {
    const bin = mkdtempSync(path.join(dir, 'bin-'))
    const file = path.join(bin, 'claude')
    writeFileSync(file, '#!/bin/sh\n')
    chmodSync(file, 0o755)
    const saved = process.env.PATH
    process.env.PATH = `${bin}${path.delimiter}${saved}`
    try {
      await expect(locateClaude({ claudeVersion: '2.1.197' })).resolves.toBe(file)
    } finally {
      process.env.PATH = saved
    }
  })
})
