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
    expect(report.conclusion).toBe('success')
    expect(report.result).toBeTruthy()
    expect(report.model).toMatch(/^claude-/)
    expect(report.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(report.numTurns).toBe(1)
    expect(report.tokens.input).toBeGreaterThan(0)
    expect(report.errors).toEqual([])
  })

  it('edit-file: counts every tool call by name', () => {
    const report = buildReport(foldFixture('edit-file.ndjson'), end())
    expect(report.conclusion).toBe('success')
    const calls = Object.values(report.toolCounts).reduce((a, b) => a + b, 0)
    expect(calls).toBeGreaterThanOrEqual(2)
    expect(Object.keys(report.toolCounts).some(tool => tool === 'Edit' || tool === 'Write')).toBe(
      true
    )
  })

  it('structured output: returned as an object', () => {
    const report = buildReport(
      foldFixture('structured-output.ndjson'),
      end({ requireStructuredOutput: true })
    )
    expect(report.conclusion).toBe('success')
    expect(typeof report.structuredOutput).toBe('object')
    expect(report.structuredOutput).not.toBeNull()
  })

  it('a success without the required structured output is a failure', () => {
    const report = buildReport(
      foldFixture('structured-output-missing.ndjson'),
      end({ requireStructuredOutput: true })
    )
    expect(report.conclusion).toBe('failure')
    expect(report.errors).toContain('the session returned no structured output')
  })

  it('max turns → max-turns with the CLI error', () => {
    const report = buildReport(foldFixture('max-turns.ndjson'), end({ exitCode: 1 }))
    expect(report.conclusion).toBe('max-turns')
    expect(report.errors.join(' ')).toMatch(/maximum number of turns/)
  })

  it('budget → budget, with tokens taken from modelUsage because usage is zeroed', () => {
    const report = buildReport(foldFixture('budget.ndjson'), end({ exitCode: 1 }))
    expect(report.conclusion).toBe('budget')
    expect(report.costUsd).toBe(7.5)
    expect(report.tokens).toMatchObject({ input: 1_000_000, output: 100_000 })
    expect(report.errors.join(' ')).toMatch(/maximum budget/)
  })

  it('API 500 → failure carrying the API message and status', () => {
    const report = buildReport(foldFixture('api-500.ndjson'), end({ exitCode: 1 }))
    expect(report.conclusion).toBe('failure')
    expect(report.errors.join(' ')).toMatch(/API Error: 500/)
    expect(report.errors).toContain('API answered HTTP 500')
  })

  it('permission denials are reported with the tool and its argument', () => {
    const report = buildReport(foldFixture('permission-denied.ndjson'), end())
    expect(report.conclusion).toBe('success')
    expect(report.denials).toHaveLength(1)
    expect(report.denials[0]!.tool).toBe('Bash')
    expect(report.denials[0]!.input.length).toBeGreaterThan(0)
  })

  it('a timed-out session without a result is a timeout and keeps what streamed', () => {
    const state = foldFixture('edit-file.ndjson')
    state.result = undefined
    const report = buildReport(state, end({ timedOut: true, exitCode: null }))
    expect(report.conclusion).toBe('timeout')
    expect(report.sessionId).toBeTruthy()
    expect(report.tokens.input).toBeGreaterThan(0)
    expect(report.errors[0]).toMatch(/time limit/)
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
    expect(markdown).toMatch(/\| Model \| `claude-[^`]+` \|/)
    expect(markdown).toMatch(/\| Cost \| \$\d+\.\d{4} \|/)
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
