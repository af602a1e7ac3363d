// Faults of the model side, each through dist/index.js in review mode with the real CLI: the
// API failing, its stream breaking, a hang past timeout-minutes, the CLI killed or missing.
// Every case checks the exit status, what the user is told, what landed on GitHub (nothing,
// for a failed review) and the transcript that was kept.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { claudeBinary } from '../harness/claude.js'
import type { Reply } from '../harness/anthropic-api.js'
import {
  errorsOf,
  OWNER,
  PR,
  REPO,
  REVIEW,
  reviewFixture,
  transcriptOf,
  type ReviewFixture
} from './faults-fixture.js'

let fx: ReviewFixture

beforeEach(async () => {
  fx = await reviewFixture()
})

afterEach(async () => {
  fx.gh.assertClean()
  await fx.close()
})

function nothingLanded(): void {
  expect(fx.gh.reviews(OWNER, REPO, PR)).toHaveLength(0)
  expect(fx.gh.reviewComments(OWNER, REPO, PR)).toHaveLength(0)
  expect(fx.gh.issueComments(OWNER, REPO, PR)).toHaveLength(0)
}

function resultOf(run: Parameters<typeof transcriptOf>[0]) {
  return transcriptOf(run).find(line => line.type === 'result')
}

describe('the model API fails', () => {
  it.each([
    [500, 'api_error', 'Internal server error'],
    [529, 'overloaded_error', 'Overloaded'],
    [401, 'authentication_error', 'invalid x-api-key']
  ])('%i: a failed review, nothing posted, the API error kept', async (status, type, message) => {
    const { run, api } = await fx.review({ script: [{ error: { status, type, message } }] })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('failure')
    expect(errorsOf(run).join('\n')).toContain(String(status))
    nothingLanded()
    // CLAUDE_CODE_MAX_RETRIES=0: one request, and the transcript holds what the CLI said.
    expect(api.mainRequests()).toHaveLength(1)
    expect(transcriptOf(run)[0]).toMatchObject({ type: 'system', subtype: 'init' })
    expect(resultOf(run)).toMatchObject({ is_error: true, api_error_status: status })
  })

  it('429 with retry-after: the CLI waits and retries; the review lands once', async () => {
    let calls = 0
    const { run, api } = await fx.review({
      script: (): Reply =>
        calls++ === 0
          ? {
              error: { status: 429, message: 'Number of requests has exceeded your rate limit' },
              headers: { 'retry-after': '1' }
            }
          : { structuredOutput: REVIEW },
      env: { CLAUDE_CODE_MAX_RETRIES: '1' }
    })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.conclusion).toBe('success')
    expect(api.mainRequests()).toHaveLength(2)
    expect(fx.gh.reviews(OWNER, REPO, PR)).toHaveLength(1)
    expect(fx.gh.reviewComments(OWNER, REPO, PR)).toHaveLength(2)
    const retry = transcriptOf(run).find(line => line.subtype === 'api_retry')
    expect(retry).toMatchObject({ error_status: 429 })
  })

  it('a truncated stream: a failed review, nothing posted', async () => {
    const { run } = await fx.review({ script: () => ({ truncated: true }) })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('failure')
    expect(errorsOf(run).join('\n')).toContain("The reviewer session ended with 'failure'")
    nothingLanded()
    expect(resultOf(run)).toMatchObject({ is_error: true })
  })

  it('a malformed stream: a failed review, nothing posted', async () => {
    const { run, api } = await fx.review({ script: () => ({ malformed: true }) })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('failure')
    expect(errorsOf(run).join('\n')).toContain('API Error: Failed to parse JSON')
    nothingLanded()
    // The CLI's own fallback: the same turn again without `stream`.
    expect(api.mainRequests().map(r => r.body.stream === true)).toEqual([true, false])
    expect(resultOf(run)).toMatchObject({ is_error: true })
  })
})

describe('the session does not end by itself', () => {
  it('a hang past timeout-minutes: stopped, conclusion timeout, what streamed is kept', async () => {
    const started = Date.now()
    // 0.05 min = 3 s: timeout-minutes takes fractions (action.yml says so).
    const { run, api } = await fx.review({
      script: () => ({ hang: true }),
      inputs: { 'timeout-minutes': '0.05' }
    })
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('timeout')
    const [error, ...more] = errorsOf(run)
    expect(more).toEqual([])
    const stopped =
      /^The reviewer session ended with 'timeout': session stopped after its time limit \((\d+) ms\)$/.exec(
        error ?? ''
      )
    expect([error, Number(stopped?.[1]) >= 3000]).toEqual([error, true])
    expect(run.log).toContain(
      '::warning::Claude Code reviewer ran past its time limit (0.05 min); stopping it'
    )
    nothingLanded()
    expect(api.mainRequests()).toHaveLength(1)
    expect(transcriptOf(run)[0]).toMatchObject({ type: 'system', subtype: 'init' })
  })

  it('the CLI killed mid-run (SIGKILL after its first tool ran): failure, transcript kept', async () => {
    // A claude that is the real one until the first tool result streams, then dies the way an
    // OOM kill ends it: the CLI and the wrapper, SIGKILL, no last words.
    const dir = path.join(fx.tmp.path, 'killer')
    mkdirSync(dir, { recursive: true })
    chmodSync(fx.tmp.path, 0o755)
    const wrapper = path.join(dir, 'claude')
    writeFileSync(
      wrapper,
      `#!${process.execPath}
const { spawn } = require('node:child_process')
const cli = spawn(${JSON.stringify(claudeBinary())}, process.argv.slice(2), { stdio: ['inherit', 'pipe', 'inherit'] })
cli.stdout.on('data', chunk => {
  process.stdout.write(chunk)
  if (chunk.toString().includes('"type":"user"')) {
    cli.kill('SIGKILL')
    process.kill(process.pid, 'SIGKILL')
  }
})
cli.on('exit', code => process.exit(code ?? 1))
`
    )
    chmodSync(wrapper, 0o755)
    chmodSync(dir, 0o755)
    const { run, api } = await fx.review({
      claudePath: wrapper,
      script: [
        {
          toolUses: [
            { name: 'Read', input: { file_path: path.join(fx.repo.workspace, 'src/calc.ts') } }
          ]
        },
        { structuredOutput: REVIEW }
      ]
    })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('failure')
    expect(errorsOf(run).join('\n')).toContain(
      'the CLI was killed by SIGKILL before it gave a result'
    )
    nothingLanded()
    // The first request asked for the tool; the kill may come before or after the second.
    expect(api.mainRequests().length).toBeGreaterThanOrEqual(1)
    expect(api.mainRequests().length).toBeLessThanOrEqual(2)
    const lines = transcriptOf(run)
    expect(lines.map(line => line.type)).toEqual(
      expect.arrayContaining(['system', 'assistant', 'user'])
    )
    expect(lines.some(line => line.type === 'result')).toBe(false)
  })

  it('the CLI missing: fails before any model request, naming the input', async () => {
    const { run, api } = await fx.review({
      claudePath: path.join(fx.tmp.path, 'nowhere', 'claude')
    })
    expect(run.exitCode).toBe(1)
    expect(errorsOf(run).join('\n')).toContain("Input 'claude-path' has value")
    expect(api.requests).toHaveLength(0)
    nothingLanded()
    expect(transcriptOf(run)).toEqual([])
  })
})
