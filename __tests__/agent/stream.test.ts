import { describe, expect, it } from '@jest/globals'
import { StreamJsonParser, type ParsedLine } from '../../src/agent/stream.js'
import { transcriptLine } from '../../src/agent/session.js'
import { redactSecrets } from '../../src/github/redact.js'

function feed(chunks: (string | Buffer)[]): ParsedLine[] {
  const parser = new StreamJsonParser()
  const out: ParsedLine[] = []
  for (const chunk of chunks) out.push(...parser.push(chunk))
  out.push(...parser.end())
  return out
}

describe('StreamJsonParser', () => {
  it('parses one event per line', () => {
    const items = feed(['{"type":"system","subtype":"init"}\n{"type":"result","is_error":false}\n'])
    expect(items.map(item => item.kind)).toEqual(['event', 'event'])
    expect(items.map(item => (item.kind === 'event' ? item.event.type : ''))).toEqual([
      'system',
      'result'
    ])
  })

  it('joins a line split across many chunks, whatever the cut points', () => {
    const line = JSON.stringify({
      type: 'assistant',
      message: { content: [{ type: 'text', text: 'x'.repeat(50) }] }
    })
    const text = `${line}\n${line}\n`
    for (let size = 1; size <= 17; size++) {
      const chunks: string[] = []
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size))
      const items = feed(chunks)
      expect(items).toHaveLength(2)
      expect(items.every(item => item.kind === 'event' && item.line === line)).toBe(true)
    }
  })

  it('keeps a multi-byte character cut between two Buffers intact', () => {
    const line = JSON.stringify({ type: 'assistant', text: 'héllo — ✓ 🚀' })
    const bytes = Buffer.from(`${line}\n`, 'utf8')
    const cut = bytes.indexOf(0xf0) + 2 // inside the 4-byte emoji
    const items = feed([bytes.subarray(0, cut), bytes.subarray(cut)])
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ kind: 'event', event: { text: 'héllo — ✓ 🚀' } })
  })

  it('reports stray text and broken JSON as invalid lines without stopping', () => {
    const items = feed([
      'Warning: something printed to stdout\n',
      '{"type":"assistant"\n',
      '[1,2]\n',
      '{"no_type":true}\n',
      '{"type":"result"}\n'
    ])
    expect(items.map(item => item.kind)).toEqual([
      'invalid',
      'invalid',
      'invalid',
      'invalid',
      'event'
    ])
    expect(items[0]).toMatchObject({ line: 'Warning: something printed to stdout' })
  })

  it('skips blank lines, strips CR, and flushes a last line without newline', () => {
    const items = feed(['\n\r\n{"type":"a"}\r\n', '{"type":"b"}'])
    expect(items.map(item => (item.kind === 'event' ? item.event.type : item.kind))).toEqual([
      'a',
      'b'
    ])
  })
})

describe('transcriptLine', () => {
  const secret = 'ghs_transcriptSecret0123456789ABCDEFabcdef'
  const mask = (text: string): string => redactSecrets(text, [secret])

  it('writes a line that holds no secret exactly as the CLI printed it', () => {
    const line = '{"type":"assistant","message":{"content":[{"type":"text","text":"hi\\nthere"}]}}'
    const [item] = new StreamJsonParser().push(line + '\n')
    expect(transcriptLine(item!, mask)).toBe(line)
  })

  it('masks a secret inside a JSON value and stays valid JSON, also across an escape', () => {
    const text = `token ${secret.slice(0, 20)}\n${secret.slice(20)} end`
    const line = JSON.stringify({ type: 'result', result: text, structured_output: { s: secret } })
    const [item] = new StreamJsonParser().push(line + '\n')
    const written = transcriptLine(item!, mask)
    expect(written).not.toContain(secret.slice(0, 12))
    expect(written).not.toContain(secret.slice(-12))
    const event = JSON.parse(written) as { result: string; structured_output: { s: string } }
    expect(event.structured_output.s).toBe('***')
    expect(event.result.startsWith('token ')).toBe(true)
    expect(event.result.endsWith(' end')).toBe(true)
  })

  it('masks a line that is not JSON as text', () => {
    const [item] = new StreamJsonParser().push(`oops ${secret}\n`)
    expect(transcriptLine(item!, mask)).toBe('oops ***')
  })
})
