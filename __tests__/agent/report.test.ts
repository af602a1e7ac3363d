import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import {
  buildReport,
  emptyStreamState,
  foldEvent,
  type SessionEnd,
  type StreamState
} from '../../src/agent/report.js'
import { StreamJsonParser } from '../../src/agent/stream.js'
import { renderSessionSummary } from '../../src/agent/summary.js'

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'transcripts')

/** Folds a transcript recorded from the real CLI, fed in uneven chunks like a pipe delivers. */
function foldFixture(name: string): StreamState {
  const bytes = readFileSync(path.join(FIXTURES, name))
  const parser = new StreamJsonParser()
  const state = emptyStreamState()
  const items = []
  for (let i = 0; i < bytes.length; i += 4093)
    items.push(...parser.push(bytes.subarray(i, i + 4093)))
  items.push(...parser.end())
  for (const item of items) {
    if (item.kind === 'event') foldEvent(state, item.event)
    else state.invalidLines++
  }
  return state
}

function end(overrides: Partial<SessionEnd> = {}): SessionEnd {
  return {
    exitCode: 0,
    timedOut: false,
    durationMs: 1234,
    executionFile: '/tmp/run.ndjson',
    requireStructuredOutput: false,
    stderrTail: '',
    ...overrides
  }
}

describe('run report from real CLI transcripts', () => {
  it('text: success with the final text, model, session and tokens', () => {
    const report = buildReport(foldFixture('text.ndjson'), end())
    expect(report).toEqual({
      conclusion: 'success',
      sessionId: '2a905a19-a645-4dd4-8ea7-586adf94a4b0',
      // From system/init, which names the context window too.
      model: 'claude-opus-4-8[1m]',
      costUsd: 0.000175,
      numTurns: 1,
      durationMs: 67,
      result: 'Hello from the scripted API.',
      structuredOutput: undefined,
      tokens: { input: 10, output: 5, cacheRead: 0, cacheCreation: 0 },
      toolCounts: {},
      denials: [],
      errors: [],
      invalidLines: 0,
      exitCode: 0,
      executionFile: '/tmp/run.ndjson'
    })
  })

  it('edit-file: counts every tool call by name', () => {
    const report = buildReport(foldFixture('edit-file.ndjson'), end())
    expect(report.conclusion).toBe('success')
    // Read, then Edit and Write in one reply, then the final text.
    expect(report.toolCounts).toEqual({ Read: 1, Edit: 1, Write: 1 })
    expect(report.numTurns).toBe(4)
    expect(report.result).toBe('Done: greeting.txt is louder and NOTES.md exists.')
  })

  it('structured output: returned as an object', () => {
    const report = buildReport(
      foldFixture('structured-output.ndjson'),
      end({ requireStructuredOutput: true })
    )
    expect(report.conclusion).toBe('success')
    expect(report.structuredOutput).toEqual({
      summary: 'One off-by-one error.',
      verdict: 'request_changes',
      findings: [
        {
          path: 'src/sum.ts',
          line: 3,
          severity: 'major',
          title: 'Loop skips the last element',
          body: 'The loop stops at `length - 1`.',
          suggestion: '  for (let i = 0; i < xs.length; i++) {'
        }
      ]
    })
    expect(report.toolCounts).toEqual({ StructuredOutput: 1 })
  })

  it('a success without the required structured output is a failure', () => {
    const report = buildReport(
      foldFixture('structured-output-missing.ndjson'),
      end({ requireStructuredOutput: true })
    )
    expect(report.conclusion).toBe('failure')
    expect(report.errors).toEqual(['the session returned no structured output'])
    expect(report.result).toBe('Still looks fine.')
  })

  it('max turns → max-turns with the CLI error', () => {
    const report = buildReport(foldFixture('max-turns.ndjson'), end({ exitCode: 1 }))
    expect(report.conclusion).toBe('max-turns')
    expect(report.errors).toEqual(['Reached maximum number of turns (1)'])
    expect(report.numTurns).toBe(2)
  })

  it('budget → budget, with tokens taken from modelUsage because usage is zeroed', () => {
    const report = buildReport(foldFixture('budget.ndjson'), end({ exitCode: 1 }))
    expect(report.conclusion).toBe('budget')
    expect(report.costUsd).toBe(7.5)
    expect(report.tokens).toEqual({
      input: 1_000_000,
      output: 100_000,
      cacheRead: 0,
      cacheCreation: 0
    })
    expect(report.errors).toEqual(['Reached maximum budget ($0.01)'])
  })

  it('API 500 → failure carrying the API message and status', () => {
    const report = buildReport(foldFixture('api-500.ndjson'), end({ exitCode: 1 }))
    expect(report.conclusion).toBe('failure')
    expect(report.errors).toEqual([
      'API Error: 500 Internal server error. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:45207).',
      'API answered HTTP 500'
    ])
  })

  it('API retry: the system/api_retry event is parsed, and counts as neither a turn nor an error', () => {
    const bytes = readFileSync(path.join(FIXTURES, 'api-retry.ndjson'))
    const parser = new StreamJsonParser()
    const items = [...parser.push(bytes), ...parser.end()]
    expect(items.map(item => (item.kind === 'event' ? item.event.type : item.kind))).toEqual([
      'system',
      'system',
      'assistant',
      'result'
    ])
    // MAX_RETRIES=1 and a 529: one retry announced, with the CLI's own backoff.
    expect(items[1]).toMatchObject({
      kind: 'event',
      event: {
        type: 'system',
        subtype: 'api_retry',
        attempt: 1,
        max_retries: 1,
        retry_delay_ms: 570.1411923651448,
        error_status: 529,
        error: 'overloaded',
        session_id: '9a106768-c9f9-44aa-9ed8-357208261966'
      }
    })
    // The retried request failed the same way: the report is that of the last answer alone.
    const report = buildReport(foldFixture('api-retry.ndjson'), end({ exitCode: 1 }))
    const message =
      'API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:39597).'
    expect(report).toMatchObject({
      conclusion: 'failure',
      sessionId: '9a106768-c9f9-44aa-9ed8-357208261966',
      model: 'claude-opus-4-8[1m]',
      costUsd: 0,
      numTurns: 1,
      durationMs: 653,
      result: message,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
      toolCounts: {},
      errors: [message, 'API answered HTTP 529'],
      invalidLines: 0
    })
  })

  it('permission denials are reported with the tool and its argument', () => {
    const report = buildReport(foldFixture('permission-denied.ndjson'), end())
    expect(report.conclusion).toBe('success')
    expect(report.denials).toEqual([{ tool: 'Bash', input: 'echo pwned > pwned.txt' }])
  })

  it('a timed-out session without a result is a timeout and keeps what streamed', () => {
    const state = foldFixture('edit-file.ndjson')
    state.result = undefined
    const report = buildReport(state, end({ timedOut: true, exitCode: null }))
    expect(report.conclusion).toBe('timeout')
    expect(report.sessionId).toBe('b8120b44-d903-405d-b46c-0de17f8a98c7')
    // Three model replies, though the CLI printed five assistant events (one per block).
    expect(report.numTurns).toBe(3)
    // Streamed usage is the message_start's: its output count is 1 per reply.
    expect(report.tokens).toEqual({ input: 30, output: 3, cacheRead: 0, cacheCreation: 0 })
    expect(report.toolCounts).toEqual({ Read: 1, Edit: 1, Write: 1 })
    expect(report.result).toBe('Done: greeting.txt is louder and NOTES.md exists.')
    expect(report.errors).toEqual(['session stopped after its time limit (1234 ms)'])
  })

  it('a CLI that exits without a result is a failure that says so', () => {
    const report = buildReport(emptyStreamState(), end({ exitCode: 2, stderrTail: 'bad flag' }))
    expect(report.conclusion).toBe('failure')
    expect(report.errors).toEqual(['the CLI exited with code 2 without a result'])
  })

  it('a CLI killed by a signal says which, not "code null"', () => {
    const state = foldFixture('edit-file.ndjson')
    state.result = undefined
    const report = buildReport(state, end({ exitCode: null, signal: 'SIGKILL' }))
    expect(report.conclusion).toBe('failure')
    expect(report.errors).toEqual(['the CLI was killed by SIGKILL before it gave a result'])
  })
})

describe('job summary', () => {
  it('renders conclusion, model, turns, cost, tokens, tools, denials and errors', () => {
    const report = buildReport(foldFixture('permission-denied.ndjson'), end())
    report.errors.push('something | odd\nhappened')
    const markdown = renderSessionSummary(report, 'Session')
    expect(markdown).toContain('| Conclusion | ✅ success |')
    expect(markdown).toContain('| Model | `claude-opus-4-8[1m]` |')
    expect(markdown).toContain('| Turns | 2 |')
    expect(markdown).toContain('| Cost | $0.0003 |')
    expect(markdown).toContain('| Tokens | 20 in · 10 out · 0 cache read · 0 cache write |')
    expect(markdown).toContain('- `Bash` `echo pwned > pwned.txt`')
    expect(markdown).toContain('| `Bash` | 1 |')
    expect(markdown).toContain('**Permission denials (1)**')
    expect(markdown).toContain('- something | odd happened')
  })

  it('fences tool names that contain backticks', () => {
    const report = buildReport(foldFixture('text.ndjson'), end())
    report.toolCounts = { 'we`ird': 2 }
    expect(renderSessionSummary(report, 'S')).toContain('| `` we`ird `` | 2 |')
  })
})
