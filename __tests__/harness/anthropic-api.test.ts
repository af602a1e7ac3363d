import { afterEach, describe, expect, it } from '@jest/globals'
import { promptText, startScriptedApi, type Script, type ScriptedApi } from './anthropic-api.js'

interface SseEvent {
  event: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Anthropic stream events
  data: any
}

const TOOLS = [{ name: 'Read', input_schema: { type: 'object' } }]

let api: ScriptedApi | undefined

afterEach(async () => {
  await api?.close()
  api = undefined
})

async function start(script: Script): Promise<ScriptedApi> {
  api = await startScriptedApi(script)
  return api
}

function messagesBody(options: {
  assistantTurns?: number
  stream?: boolean
  tools?: unknown[]
  model?: string
}): Record<string, unknown> {
  const messages: unknown[] = [{ role: 'user', content: 'hi' }]
  for (let i = 0; i < (options.assistantTurns ?? 0); i++) {
    messages.push({ role: 'assistant', content: [{ type: 'text', text: `turn ${i}` }] })
    // The CLI may put system messages between turns; they must not count as turns.
    messages.push({ role: 'system', content: 'reminder' })
    messages.push({ role: 'user', content: 'go on' })
  }
  return {
    model: options.model ?? 'claude-test-model',
    max_tokens: 100,
    messages,
    ...(options.tools === undefined ? { tools: TOOLS } : { tools: options.tools }),
    ...(options.stream === false ? {} : { stream: true })
  }
}

async function post(
  server: ScriptedApi,
  body: Record<string, unknown>,
  pathname = '/v1/messages?beta=true'
): Promise<Response> {
  return fetch(`${server.url}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test' },
    body: JSON.stringify(body)
  })
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter(chunk => chunk.trim() !== '')
    .map(chunk => {
      const lines = chunk.split('\n')
      const event = lines.find(line => line.startsWith('event: '))?.slice(7) ?? ''
      const data = lines.find(line => line.startsWith('data: '))?.slice(6) ?? 'null'
      return { event, data: JSON.parse(data) }
    })
}

/** Joins the deltas back into content blocks, the way an SDK client would. */
function assemble(events: SseEvent[]): {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assembled message
  message: any
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assembled content blocks
  blocks: any[]
  stopReason: string
} {
  const start = events.find(e => e.event === 'message_start')?.data.message
  const blocks: { type: string; text?: string; json?: string; [key: string]: unknown }[] = []
  for (const { data } of events) {
    if (data.type === 'content_block_start') blocks[data.index] = { ...data.content_block }
    if (data.type === 'content_block_delta') {
      const block = blocks[data.index]!
      if (data.delta.type === 'text_delta') block.text = (block.text ?? '') + data.delta.text
      if (data.delta.type === 'input_json_delta') {
        block.json = (block.json ?? '') + data.delta.partial_json
      }
    }
  }
  const delta = events.find(e => e.event === 'message_delta')?.data
  return {
    message: start,
    blocks: blocks.map(block =>
      block.json === undefined
        ? block
        : { ...block, json: undefined, input: JSON.parse(block.json) as unknown }
    ),
    stopReason: delta?.delta.stop_reason
  }
}

describe('startScriptedApi', () => {
  it('answers HEAD / and any GET with 200', async () => {
    const server = await start([])
    expect((await fetch(`${server.url}/`, { method: 'HEAD' })).status).toBe(200)
    expect((await fetch(`${server.url}/anything`)).status).toBe(200)
    expect(server.requests.map(r => [r.method, r.isSideRequest])).toEqual([
      ['HEAD', true],
      ['GET', true]
    ])
  })

  it('streams a text reply as Anthropic SSE events with the requested model and usage', async () => {
    const server = await start([{ text: 'Hello there', usage: { input_tokens: 42 } }])
    const response = await post(server, messagesBody({ model: 'claude-x' }))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const events = parseSse(await response.text())
    expect(events.map(e => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop'
    ])
    const { message, blocks, stopReason } = assemble(events)
    expect(message.model).toBe('claude-x')
    expect(message.usage.input_tokens).toBe(42)
    expect(blocks).toEqual([{ type: 'text', text: 'Hello there' }])
    expect(stopReason).toBe('end_turn')
    const delta = events.find(e => e.event === 'message_delta')!.data
    expect(delta.usage).toEqual({
      input_tokens: 42,
      output_tokens: 5,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0
    })
  })

  it('streams tool uses as input_json_delta with unique ids and stop_reason tool_use', async () => {
    const server = await start(() => ({
      text: 'Reading',
      toolUses: [
        { name: 'Read', input: { file_path: '/x/a.ts' } },
        { name: 'Write', input: { file_path: '/x/b.ts', content: 'b' } }
      ]
    }))
    const first = assemble(parseSse(await (await post(server, messagesBody({}))).text()))
    const second = assemble(parseSse(await (await post(server, messagesBody({}))).text()))
    expect(first.stopReason).toBe('tool_use')
    expect(first.blocks.map(b => b.type)).toEqual(['text', 'tool_use', 'tool_use'])
    expect(first.blocks[1]).toMatchObject({ name: 'Read', input: { file_path: '/x/a.ts' } })
    expect(first.blocks[2]).toMatchObject({
      name: 'Write',
      input: { file_path: '/x/b.ts', content: 'b' }
    })
    const ids = [...first.blocks, ...second.blocks].filter(b => b.id).map(b => b.id as string)
    expect(ids).toHaveLength(4)
    expect(new Set(ids).size).toBe(4)
    expect(ids.every(id => id.startsWith('toolu_'))).toBe(true)
  })

  it('answers structuredOutput with a StructuredOutput tool use', async () => {
    const server = await start([{ structuredOutput: { verdict: 'approve', findings: [] } }])
    const { blocks, stopReason } = assemble(
      parseSse(await (await post(server, messagesBody({}))).text())
    )
    expect(stopReason).toBe('tool_use')
    expect(blocks).toEqual([
      expect.objectContaining({
        type: 'tool_use',
        name: 'StructuredOutput',
        input: { verdict: 'approve', findings: [] }
      })
    ])
  })

  it('answers one JSON message when the request does not stream', async () => {
    const server = await start([{ toolUses: [{ name: 'Read', input: { file_path: '/a' } }] }])
    const response = await post(server, messagesBody({ stream: false, model: 'claude-y' }))
    expect(response.headers.get('content-type')).toBe('application/json')
    const message = (await response.json()) as Record<string, unknown>
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-y',
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', name: 'Read', input: { file_path: '/a' } }],
      usage: { input_tokens: 10, output_tokens: 5 }
    })
  })

  it('answers error replies with the status and an Anthropic-shaped body', async () => {
    const server = await start(req => {
      const status = [500, 529, 401][req.body.messages.length - 1] ?? 400
      return { error: { status, message: `status ${status}` } }
    })
    const bodies: unknown[] = []
    for (const messages of [1, 2, 3]) {
      const body = messagesBody({})
      body.messages = Array.from({ length: messages }, () => ({ role: 'user', content: 'x' }))
      const response = await post(server, body)
      bodies.push([response.status, await response.json()])
    }
    expect(bodies).toEqual([
      [500, { type: 'error', error: { type: 'api_error', message: 'status 500' } }],
      [529, { type: 'error', error: { type: 'overloaded_error', message: 'status 529' } }],
      [401, { type: 'error', error: { type: 'authentication_error', message: 'status 401' } }]
    ])
  })

  it('records side requests (no tools) and answers them without advancing the script', async () => {
    const server = await start([{ text: 'first' }, { text: 'second' }])
    const side = await post(server, messagesBody({ tools: [] }))
    expect(assemble(parseSse(await side.text())).blocks[0].text).toBe('Scripted session')
    const sideNoStream = await post(server, {
      ...messagesBody({ stream: false }),
      tools: undefined
    })
    expect(((await sideNoStream.json()) as { content: unknown[] }).content).toHaveLength(1)
    const main = assemble(parseSse(await (await post(server, messagesBody({}))).text()))
    expect(main.blocks[0].text).toBe('first')
    expect(server.requests.map(r => r.isSideRequest)).toEqual([true, true, false])
    expect(server.mainRequests()).toHaveLength(1)
    expect(server.mainRequests()[0]!.body.tools).toEqual(TOOLS)
    expect(server.mainRequests()[0]!.headers['x-api-key']).toBe('sk-ant-test')
  })

  it('picks the reply by the number of assistant messages and says done when exhausted', async () => {
    const server = await start([{ text: 'zero' }, { text: 'one' }])
    const texts: string[] = []
    for (const assistantTurns of [1, 0, 0, 2, 7]) {
      const response = await post(server, messagesBody({ assistantTurns }))
      texts.push(assemble(parseSse(await response.text())).blocks[0].text)
    }
    // A retried turn (same history) gets the same reply again.
    expect(texts).toEqual(['one', 'zero', 'zero', 'done', 'done'])
  })

  it('passes the recorded request and the turn to a script function', async () => {
    const seen: [number, boolean][] = []
    const server = await start((req, turn) => {
      seen.push([turn, req.body.stream === true])
      return { text: `turn ${turn}` }
    })
    await (await post(server, messagesBody({ assistantTurns: 3 }))).text()
    await (await post(server, messagesBody({ assistantTurns: 1, stream: false }))).json()
    expect(seen).toEqual([
      [3, true],
      [1, false]
    ])
  })

  it('answers count_tokens', async () => {
    const server = await start([])
    const response = await post(server, messagesBody({}), '/v1/messages/count_tokens?beta=true')
    expect(response.status).toBe(200)
    const { input_tokens: tokens } = (await response.json()) as { input_tokens: number }
    expect(tokens).toBeGreaterThan(0)
    expect(server.requests[0]!.isSideRequest).toBe(true)
  })

  it('breaks a malformed stream mid-message', async () => {
    const server = await start([{ malformed: true }])
    const response = await post(server, messagesBody({}))
    expect(response.status).toBe(200)
    const text = await response.text().catch((error: unknown) => `cut: ${String(error)}`)
    expect(text).not.toContain('message_stop')
    const nonStreaming = await post(server, messagesBody({ stream: false }))
    await expect(nonStreaming.json()).rejects.toThrow()
  })

  it('keeps a hanging request open until close(), which ends it', async () => {
    const server = await start([{ hang: true }])
    const pending = post(server, messagesBody({}))
    const outcome = pending.then(
      () => 'answered',
      () => 'failed'
    )
    const raced = await Promise.race([
      outcome,
      new Promise(resolve => setTimeout(() => resolve('still waiting'), 200))
    ])
    expect(raced).toBe('still waiting')
    expect(server.mainRequests()).toHaveLength(1)
    await server.close()
    api = undefined
    expect(await outcome).toBe('failed')
  })

  it('answers a throwing script function with a 500 instead of hanging', async () => {
    const server = await start(() => {
      throw new Error('bad script')
    })
    const response = await post(server, messagesBody({}))
    expect(response.status).toBe(500)
    expect(JSON.stringify(await response.json())).toContain('bad script')
  })
})

/** A request shaped the way Claude Code 2.1.197 sends it: system blocks, reminders, a tool result. */
function cliBody(): Record<string, unknown> {
  return {
    model: 'claude-test-model',
    max_tokens: 100,
    stream: true,
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197' },
      { type: 'text', text: 'You are a Claude agent.\n - Primary working directory: /w/a' }
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>\nToday is a day.\n</system-reminder>' },
          { type: 'text', text: 'Review this "diff":\n      5 +export const v5 = eval(input)' }
        ]
      },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: 'said' } }]
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_1',
            content: [{ type: 'text', text: '1\texport const a = 1\n2\texport const b = 42' }]
          }
        ]
      }
    ],
    tools: ['Read', 'Grep', 'Glob', 'StructuredOutput'].map(name => ({ name, input_schema: {} }))
  }
}

describe('expectations on the request a reply answers', () => {
  it('the prompt text is the system prompt, user text and tool results, unescaped, without the assistant', () => {
    const text = promptText(cliBody())
    expect(text).toContain('Primary working directory: /w/a')
    expect(text).toContain('Review this "diff":\n      5 +export const v5 = eval(input)')
    expect(text).toContain('2\texport const b = 42')
    expect(text).not.toContain('said')
    expect(promptText({ messages: [{ role: 'user', content: 'plain string' }] })).toBe(
      'plain string'
    )
  })

  it('a request that meets every expectation passes', async () => {
    const server = await start([
      {
        text: 'fine',
        expect: {
          contains: ['      5 +export const v5 = eval(input)', 'Review this "diff"'],
          notContains: ['export const c'],
          system: ['Primary working directory: /w/a'],
          tools: ['StructuredOutput', 'Read', 'Glob', 'Grep']
        }
      },
      { text: 'second', expect: { contains: ['2\texport const b = 42'] } }
    ])
    const body = cliBody()
    await (
      await post(server, { ...body, messages: (body.messages as unknown[]).slice(0, 1) })
    ).text()
    await (await post(server, body)).text()
    expect(() => server.assertExpectations()).not.toThrow()
    await server.close()
    api = undefined
  })

  it('a missing snippet fails with the turn, the snippet and the nearest part of the prompt', async () => {
    const server = await start([
      { text: 'zero' },
      {
        text: 'still answered',
        expect: { label: 'reviewer, first request', contains: ['      5 +export const v5 = 5'] }
      }
    ])
    const response = await post(server, cliBody())
    // Recorded, not refused: the CLI gets its reply and goes on.
    expect(assemble(parseSse(await response.text())).blocks[0].text).toBe('still answered')
    let message = ''
    try {
      server.assertExpectations()
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toBe(
      [
        'Scripted API: 1 expectation(s) not met',
        '',
        '1) request 1 (turn 1) "reviewer, first request": the prompt does not contain:',
        '    |       5 +export const v5 = 5',
        '  the nearest: its first 27 of 28 characters match, then the prompt goes on with ' +
          '"eval(input)\\n\\n1\\texport const a = 1\\n2\\texpo":',
        '    | …header: cc_version=2.1.197',
        '    | You are a Claude agent.',
        '    |  - Primary working directory: /w/a',
        '    | ',
        '    | <system-reminder>',
        '    | Today is a day.',
        '    | </system-reminder>',
        '    | Review this "diff":',
        '    |       5 +export const v5 = eval(input)',
        '    | ',
        '    | 1\texport const a = 1',
        '    | 2\texport const b = 42'
      ].join('\n')
    )
    // Once thrown, close() does not throw the same failures again.
    await server.close()
    api = undefined
  })

  it('reports a tool set that differs, what must not be there, and the system prompt apart', async () => {
    const server = await start(() => ({
      text: 'x',
      expect: {
        tools: ['Read', 'Grep', 'Glob', 'StructuredOutput', 'Edit'],
        notContains: ['eval(input)'],
        system: ['Review this']
      }
    }))
    await (
      await post(server, {
        ...cliBody(),
        tools: [...(cliBody().tools as unknown[]), { name: 'Bash' }]
      })
    ).text()
    expect(() => server.assertExpectations()).toThrow(
      /the tools offered differ:\n {2}expected: Edit, Glob, Grep, Read, StructuredOutput\n {2}offered: {2}Bash, Glob, Grep, Read, StructuredOutput\n {2}missing: {2}Edit\n {2}extra: {4}Bash/
    )
    expect(() => server.assertExpectations()).toThrow(
      /the prompt contains what it must not:\n {4}\| eval\(input\)\n {2}found here:\n[^]*5 \+export const v5 = eval\(input\)/
    )
    expect(() => server.assertExpectations()).toThrow(
      /request 1 \(turn 1\): the system prompt does not contain:\n {4}\| Review this\n {2}no part of it was found/
    )
    await server.close()
    api = undefined
  })

  it('an expectation whose turn no request reached fails; close() throws what nobody asked for', async () => {
    const server = await start([
      { text: 'zero' },
      { text: 'one', expect: { label: 'after the Read', contains: ['anything'] } }
    ])
    await (await post(server, messagesBody({}))).text()
    api = undefined
    await expect(server.close()).rejects.toThrow(
      'turn 1 "after the Read": no request reached this turn, so its expectation was never checked'
    )
  })
})
