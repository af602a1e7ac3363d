import { afterAll, describe, expect, it, jest } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runVerifyCommand, tailOutput } from '../../src/write/verify.js'

describe('tailOutput', () => {
  it('keeps the last lines, dropping trailing blank ones', () => {
    const output = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n\n\n'
    const { text, truncated } = tailOutput(output, { maxLines: 3, maxBytes: 4096 })
    expect(text).toBe('line 98\nline 99\nline 100')
    expect(truncated).toBe(true)
    expect(tailOutput('a\nb\n', { maxLines: 3, maxBytes: 4096 })).toEqual({
      text: 'a\nb',
      truncated: false
    })
  })

  it('keeps whole lines within the byte limit, counting UTF-8 bytes', () => {
    const { text, truncated } = tailOutput('ééé\nabc\nxyz', { maxLines: 60, maxBytes: 8 })
    expect(text).toBe('abc\nxyz')
    expect(truncated).toBe(true)
  })

  it('keeps the end of one line longer than the limit, cut on a character', () => {
    const { text } = tailOutput('x'.repeat(10) + 'éé', { maxLines: 60, maxBytes: 5 })
    expect(text).toBe('xéé')
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(5)
  })

  it('removes colours, hyperlinks and progress rewrites', () => {
    const output =
      '\x1b[31mFAIL\x1b[0m src/a.test.ts\r\n' +
      '\x1b]8;;https://x.test\x07link\x1b]8;;\x07\n' +
      'progress 10%\rprogress 50%\rprogress 100%\n'
    expect(tailOutput(output).text).toBe('FAIL src/a.test.ts\nlink\nprogress 100%')
  })

  it('defaults to 60 lines and 4 KB', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `${i}`.padStart(100, '.'))
    const { text } = tailOutput(lines.join('\n'))
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096)
    expect(text.split('\n').length).toBeLessThanOrEqual(60)
    expect(text.endsWith('199')).toBe(true)
  })
})

describe('runVerifyCommand', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'tandem-verify-'))
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ANTHROPIC_API_KEY: 'sk-ant-x',
    KEEP: 'yes'
  }
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
  afterAll(() => {
    write.mockRestore()
    rmSync(cwd, { recursive: true, force: true })
  })

  it('passes on exit 0, in the checkout, through bash', async () => {
    const result = await runVerifyCommand(
      '[[ -d . ]] && pwd && echo "KEEP=$KEEP KEY=${ANTHROPIC_API_KEY:-none}"',
      {
        cwd,
        env,
        timeoutMs: 10_000
      }
    )
    expect(result).toMatchObject({ status: 'passed', exitCode: 0, timedOut: false })
    expect(result.tail).toBe(`${cwd}\nKEEP=yes KEY=none`)
  })

  it('fails with the exit status and both streams in order', async () => {
    const result = await runVerifyCommand('echo out; echo err >&2; exit 7', {
      cwd,
      env,
      timeoutMs: 10_000
    })
    expect(result).toMatchObject({ status: 'failed', exitCode: 7 })
    expect(result.tail).toBe('out\nerr')
  })

  it('stops a command that runs too long, with what it started', async () => {
    const started = Date.now()
    const result = await runVerifyCommand('echo begin; sleep 30 & wait', {
      cwd,
      env,
      timeoutMs: 300
    })
    expect(result).toMatchObject({
      status: 'failed',
      exitCode: null,
      timedOut: true,
      tail: 'begin'
    })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('keeps workflow commands in its output from reaching the runner', async () => {
    write.mockClear()
    await runVerifyCommand('echo "::add-mask::x"', { cwd, env, timeoutMs: 10_000 })
    const printed = write.mock.calls.map(call => String(call[0])).join('')
    const stop = /::stop-commands::([0-9a-f]{32})/.exec(printed)
    expect(stop).not.toBeNull()
    expect(printed.indexOf('::add-mask::x')).toBeGreaterThan(printed.indexOf(stop![0]))
    expect(printed.indexOf(`::${stop![1]}::`)).toBeGreaterThan(printed.indexOf('::add-mask::x'))
  })
})
