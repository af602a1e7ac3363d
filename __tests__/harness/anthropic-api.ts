// A scripted Anthropic Messages API on 127.0.0.1 for driving the REAL `claude` binary offline
// (ANTHROPIC_BASE_URL=api.url, env from ./claude.ts). Transcripts recorded with it live in
// __tests__/fixtures/transcripts (scripts/record-transcripts.ts regenerates them).
//
// What Claude Code 2.1.197 does against it (measured with claudeTestEnv: MAX_RETRIES=0,
// DISABLE_NONESSENTIAL_TRAFFIC=1, `-p --output-format stream-json --verbose
// --permission-mode dontAsk`, prompt on stdin, cwd a git-free temp dir):
// - Requests: one `HEAD /` at start, then one streaming `POST /v1/messages?beta=true` per turn.
//   A trivial text run = 2 requests. No side request (title etc.) was seen in -p mode, with or
//   without DISABLE_NONESSENTIAL_TRAFFIC; count_tokens was never called. Every main request
//   carries `tools`; `messages` may contain `role: "system"` entries (hence turns are counted as
//   assistant messages, not messages). Default model `claude-opus-4-8` (init says
//   `claude-opus-4-8[1m]`); cost $5/$25 per MTok in/out, so the default usage (10 in, 5 out) =
//   $0.000175 a turn. Parallel tool uses of one reply come back as ONE assistant message.
// - Timing: a trivial run takes 0.41-0.53 s from spawn to exit (result.duration_ms 60-100).
// - Text: subtype success, is_error false, exit 0, num_turns 1, result = the text.
// - num_turns is 1 + every user message the CLI adds (one per tool_result, the structured-output
//   nudge), not the number of API calls: Read → Edit+Write → text = 3 requests, num_turns 4.
//   Write/Edit really change the files (Edit needs a Read or a Write of the file first).
// - --json-schema: a StructuredOutput tool_use ENDS the run after 1 request: success, exit 0,
//   num_turns 2, result = the object as a JSON string, `structured_output` = the object.
//   Text instead: the CLI nudges once ("[structured-output-enforce] You MUST call the
//   StructuredOutput tool…"), and after a second text answers success, exit 0, WITHOUT
//   structured_output. Input failing the schema: the tool_result is an error, the CLI asks
//   again; after 5 attempts subtype error_max_structured_output_retries, is_error, exit 1.
// - --max-turns 1 + a tool_use: the tool still runs, then error_max_turns, is_error, exit 1,
//   num_turns 2, errors ["Reached maximum number of turns (1)"], no `result` text.
// - --max-budget-usd 0.01 + usage 1M in / 100k out: error_max_budget_usd, is_error, exit 1,
//   total_cost_usd 7.5, errors ["Reached maximum budget ($0.01)"]; checked after each reply
//   (a pending tool_use is NOT run); result.usage is all zeros, modelUsage has the real numbers.
// - API errors with MAX_RETRIES=0 (500, 529, 401, 429, 400): 1 request, then an assistant
//   event with model "<synthetic>" and `error` (server_error, authentication_failed,
//   rate_limit, invalid_request) and a result with subtype SUCCESS, is_error true,
//   api_error_status = the status, exit 1. result texts: "API Error: 500 <message>. This is a
//   server-side issue…", "API Error: 529 Overloaded…", "Invalid API key · Fix external API
//   key", "API Error: Request rejected (429) · <message>", 400 "prompt is too long" →
//   "Prompt is too long · …". MAX_RETRIES=1: a `system/api_retry` event (attempt, max_retries,
//   retry_delay_ms ≈ 550, error_status), the same request again, ~1 s in all.
// - Malformed stream: stderr "Could not parse message into JSON", the CLI retries the same
//   turn WITHOUT `stream` (2 requests); a good JSON reply there = normal success; a broken one
//   = result "API Error: Failed to parse JSON", is_error, api_error_status null, exit 1.
// - Hang: with API_TIMEOUT_MS=2000, "Request timed out", is_error, api_error_status null,
//   exit 1 after ~2.1 s, no fallback request.
// - Denied tool (Bash with --allowedTools Read, dontAsk): the tool_result is an error
//   ("Permission to use Bash has been denied…"), the run goes on: success, exit 0,
//   permission_denials [{ tool_name, tool_use_id, tool_input }].
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Usage {
  input_tokens?: number
  output_tokens?: number
  cache_read_input_tokens?: number
  cache_creation_input_tokens?: number
}

export interface ToolUse {
  name: string
  input: Record<string, unknown>
}

/**
 * What the request a reply answers must carry, checked when it arrives. A mismatch is recorded
 * (the reply is still sent, so the CLI goes on) and thrown by `assertExpectations()`.
 */
export interface Expectation {
  /** Names the request in a failure, e.g. "reviewer, first request". */
  label?: string
  /** Snippets of the text the model is shown: the system prompt, user text, tool results. */
  contains?: string[]
  /** Snippets that must be nowhere in that text. */
  notContains?: string[]
  /** Snippets of the system prompt alone. */
  system?: string[]
  /** The exact set of tool names offered, in any order. */
  tools?: string[]
}

export type Reply = ReplyBody & { expect?: Expectation }

type ReplyBody =
  | { text: string; usage?: Usage }
  | { toolUses: ToolUse[]; text?: string; usage?: Usage }
  /** A tool_use of `StructuredOutput`, the tool the CLI adds for `--json-schema`. */
  | { structuredOutput: unknown; usage?: Usage }
  /** An Anthropic-shaped JSON error, e.g. 500 api_error, 529 overloaded_error, 401. */
  | {
      error: { status: number; type?: string; message: string }
      /** Extra response headers, e.g. `retry-after` on a 429. */
      headers?: Record<string, string>
    }
  /** Accept the request and never answer, until the server closes. */
  | { hang: true }
  /**
   * A stream that breaks mid-message: an unparsable event, then a cut connection. The CLI then
   * retries the same turn without `stream`, which this reply answers with truncated JSON; to
   * let the fallback succeed, use a script function that looks at `req.body.stream`.
   */
  | { malformed: true }
  /**
   * A stream of well-formed events that ends cleanly before `message_stop`: the connection
   * closed mid-message. Without `stream`, the JSON body is cut off the same way.
   */
  | { truncated: true }

export interface RecordedRequest {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  rawBody: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the CLI's request body, read freely by tests
  body: any
  /** Everything but a `POST /v1/messages` that offers tools: title requests, HEAD, count_tokens. */
  isSideRequest: boolean
}

export type Script = Reply[] | ((req: RecordedRequest, turn: number) => Reply)

export interface ScriptedApi {
  /** Origin for `ANTHROPIC_BASE_URL`, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Every request in arrival order, side requests included. */
  requests: RecordedRequest[]
  /** The `POST /v1/messages` requests that offered tools, i.e. the agent's turns. */
  mainRequests(): RecordedRequest[]
  /**
   * Throws one readable error for every expectation a request did not meet, and for every
   * expectation of an array script whose turn no request reached. Call it after each run.
   */
  assertExpectations(): void
  /** Closes the server; rejects with what assertExpectations would throw, if nobody asked. */
  close(): Promise<void>
}

const DEFAULT_USAGE: Required<Usage> = {
  input_tokens: 10,
  output_tokens: 5,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0
}

const STRUCTURED_OUTPUT_TOOL = 'StructuredOutput'

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error'
}

type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }

/**
 * Starts a scripted Messages API on 127.0.0.1 with a random port. The turn of a main request is
 * the number of assistant messages already in its body, so a `--resume`d session picks up the
 * script where the first process left it, and a retried request gets the same reply again.
 */
export async function startScriptedApi(script: Script): Promise<ScriptedApi> {
  const requests: RecordedRequest[] = []
  const counters = new Map<string, number>()
  const nextId = (prefix: string): string => {
    const n = (counters.get(prefix) ?? 0) + 1
    counters.set(prefix, n)
    return `${prefix}${String(n).padStart(24, '0')}`
  }

  const failures: string[] = []
  let reported = 0
  const reachedTurns = new Set<number>()
  const replyFor = (req: RecordedRequest, turn: number): Reply => {
    const reply = typeof script === 'function' ? script(req, turn) : script[turn]
    reachedTurns.add(turn)
    if (reply?.expect) {
      const where = `request ${requests.indexOf(req) + 1} (turn ${turn})`
      const label = reply.expect.label ? ` "${reply.expect.label}"` : ''
      for (const problem of checkExpectation(req.body, reply.expect)) {
        failures.push(`${where}${label}: ${problem}`)
      }
    }
    return reply ?? { text: 'done' }
  }
  const unmet = (): string[] => {
    const unreached = Array.isArray(script)
      ? script.flatMap((reply, turn) =>
          reply.expect && !reachedTurns.has(turn)
            ? [
                `turn ${turn}${reply.expect.label ? ` "${reply.expect.label}"` : ''}: no request ` +
                  'reached this turn, so its expectation was never checked'
              ]
            : []
        )
      : []
    return [...failures, ...unreached]
  }
  const assertExpectations = (): void => {
    const all = unmet()
    reported = all.length
    if (all.length === 0) return
    throw new Error(
      `Scripted API: ${all.length} expectation(s) not met\n\n` +
        all.map((text, i) => `${i + 1}) ${text}`).join('\n\n')
    )
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8')
      try {
        handle(req, res, rawBody)
      } catch (error) {
        // A throwing script function is a test bug: answer loudly rather than hang the CLI.
        if (!res.headersSent) {
          sendError(res, { status: 500, message: `harness: ${String(error)}` })
        } else res.destroy()
      }
    })
  })

  const handle = (req: IncomingMessage, res: ServerResponse, rawBody: string): void => {
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const pathname = new URL(url, 'http://127.0.0.1').pathname
    let body: unknown
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined
    } catch {
      body = undefined
    }
    const isMessages = method === 'POST' && pathname === '/v1/messages'
    const tools = isMessages ? (body as { tools?: unknown[] } | undefined)?.tools : undefined
    const recorded: RecordedRequest = {
      method,
      url,
      headers: { ...req.headers },
      rawBody,
      body,
      isSideRequest: !(Array.isArray(tools) && tools.length > 0)
    }
    requests.push(recorded)

    if (method === 'GET' || method === 'HEAD') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(method === 'HEAD' ? undefined : '{}')
      return
    }
    if (method === 'POST' && pathname === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(rawBody.length / 4)) })
      return
    }
    if (!isMessages) {
      sendError(res, { status: 404, message: `harness: no route for ${method} ${pathname}` })
      return
    }

    const request = (body ?? {}) as { model?: string; stream?: boolean; messages?: unknown[] }
    const model = request.model ?? 'claude-test'
    const stream = request.stream === true
    const reply: Reply = recorded.isSideRequest
      ? { text: 'Scripted session', usage: { input_tokens: 1, output_tokens: 1 } }
      : replyFor(recorded, countAssistantMessages(request.messages))

    if ('error' in reply) {
      sendError(res, reply.error, reply.headers)
      return
    }
    if ('truncated' in reply) {
      sendTruncated(res, model, stream)
      return
    }
    if ('hang' in reply) return // the socket stays open until close() destroys it
    if ('malformed' in reply) {
      sendMalformed(res, model, stream)
      return
    }

    const content: ContentBlock[] = []
    if ('structuredOutput' in reply) {
      content.push({
        type: 'tool_use',
        id: nextId('toolu_'),
        name: STRUCTURED_OUTPUT_TOOL,
        input: reply.structuredOutput as Record<string, unknown>
      })
    } else if ('toolUses' in reply) {
      if (reply.text) content.push({ type: 'text', text: reply.text })
      for (const use of reply.toolUses) {
        content.push({ type: 'tool_use', id: nextId('toolu_'), name: use.name, input: use.input })
      }
    } else {
      content.push({ type: 'text', text: reply.text })
    }
    const message = {
      id: nextId('msg_'),
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: content.some(block => block.type === 'tool_use') ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { ...DEFAULT_USAGE, ...reply.usage }
    }
    if (stream) sendStream(res, message)
    else sendJson(res, 200, message)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    mainRequests: () => requests.filter(request => !request.isSideRequest),
    assertExpectations,
    close: async () => {
      await new Promise<void>(resolve => {
        server.close(() => resolve())
        // Hanging replies and keep-alive sockets would otherwise hold the server (and jest) open.
        server.closeAllConnections()
      })
      // A test that never asked still fails: an unchecked expectation must not pass silently.
      if (unmet().length > reported) assertExpectations()
    }
  }
}

interface TextBlock {
  type?: string
  text?: unknown
  content?: unknown
}

/** The text of a content field: a string, or blocks whose text and tool results are joined. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((block: TextBlock | null) => {
      if (block?.type === 'text' && typeof block.text === 'string') return block.text
      if (block?.type === 'tool_result') return contentText(block.content)
      return block?.type ? `[${block.type}]` : ''
    })
    .filter(text => text !== '')
    .join('\n')
}

/** The system prompt as the model reads it. */
export function systemText(body: unknown): string {
  return contentText((body as { system?: unknown } | undefined)?.system)
}

/** The session's working directory, as the CLI's system prompt tells the model (a worktree). */
export function workingDirectoryOf(req: RecordedRequest): string {
  const found = /[Ww]orking directory: (\S+)/.exec(systemText(req.body))
  if (!found) throw new Error('the request names no working directory')
  return found[1]!
}

/** The first message of a request as JSON: the session's prompt, where scripts find their task. */
export function firstMessageOf(req: RecordedRequest): string {
  return JSON.stringify(req.body?.messages?.[0] ?? '')
}

/**
 * What a request shows the model from outside: the system prompt, then every non-assistant
 * message's text and tool results, unescaped. The assistant's own turns are left out: they are
 * the script's words, and a snippet found there would prove nothing about what the CLI sent.
 */
export function promptText(body: unknown): string {
  const messages = (body as { messages?: unknown } | undefined)?.messages
  const parts = [systemText(body)]
  if (Array.isArray(messages)) {
    for (const message of messages as ({ role?: unknown; content?: unknown } | null)[]) {
      if (message?.role !== 'assistant') parts.push(contentText(message?.content))
    }
  }
  return parts.filter(part => part !== '').join('\n\n')
}

function lastUserText(body: unknown): string {
  const messages = (body as { messages?: unknown } | undefined)?.messages
  if (!Array.isArray(messages)) return ''
  const last = [...(messages as ({ role?: unknown; content?: unknown } | null)[])]
    .reverse()
    .find(message => message?.role !== 'assistant')
  return contentText(last?.content)
}

/** Every way the request misses the expectation, each a readable paragraph. */
function checkExpectation(body: unknown, expected: Expectation): string[] {
  const problems: string[] = []
  const prompt = promptText(body)
  const system = systemText(body)
  for (const snippet of expected.contains ?? []) {
    if (!prompt.includes(snippet)) {
      problems.push(missing('the prompt', snippet, prompt, lastUserText(body)))
    }
  }
  for (const snippet of expected.system ?? []) {
    if (!system.includes(snippet))
      problems.push(missing('the system prompt', snippet, system, system))
  }
  for (const snippet of expected.notContains ?? []) {
    const at = prompt.indexOf(snippet)
    if (at >= 0) {
      problems.push(
        `the prompt contains what it must not:\n${quote(snippet)}\n  found here:\n` +
          quote(excerpt(prompt, at, snippet.length))
      )
    }
  }
  if (expected.tools) {
    const tools = (body as { tools?: { name?: unknown }[] } | undefined)?.tools ?? []
    const offered = tools.map(tool => String(tool?.name)).sort()
    const wanted = [...expected.tools].sort()
    const extra = offered.filter(name => !wanted.includes(name))
    const absent = wanted.filter(name => !offered.includes(name))
    if (extra.length > 0 || absent.length > 0) {
      problems.push(
        'the tools offered differ:\n' +
          `  expected: ${wanted.join(', ')}\n` +
          `  offered:  ${offered.join(', ')}\n` +
          (absent.length > 0 ? `  missing:  ${absent.join(', ')}\n` : '') +
          (extra.length > 0 ? `  extra:    ${extra.join(', ')}\n` : '')
      )
    }
  }
  return problems
}

const EXCERPT_BEFORE = 160
const EXCERPT_AFTER = 320

/** A missing snippet, with the part of the text that comes nearest to it. */
function missing(what: string, snippet: string, text: string, fallback: string): string {
  const head = `${what} does not contain:\n${quote(snippet)}\n`
  const prefix = longestPrefixIn(text, snippet)
  const suffix = longestPrefixIn(reverse(text), reverse(snippet))
  const best = Math.max(prefix.length, suffix.length)
  // A few characters in common say nothing: show where the prompt's own text begins instead.
  if (best < Math.min(8, Math.ceil(snippet.length / 2))) {
    return (
      `${head}  no part of it was found; the last message to the model begins:\n` +
      quote(fallback.slice(0, EXCERPT_BEFORE + EXCERPT_AFTER) + (fallback.length > 480 ? '…' : ''))
    )
  }
  if (prefix.length >= suffix.length) {
    const at = text.indexOf(prefix)
    return (
      `${head}  the nearest: its first ${prefix.length} of ${snippet.length} characters ` +
      `match, then the prompt goes on with ${JSON.stringify(text.slice(at + prefix.length, at + prefix.length + 40))}:\n` +
      quote(excerpt(text, at, prefix.length))
    )
  }
  const tail = reverse(suffix)
  const at = text.indexOf(tail)
  return (
    `${head}  the nearest: its last ${tail.length} of ${snippet.length} characters match, ` +
    `after ${JSON.stringify(text.slice(Math.max(0, at - 40), at))}:\n` +
    quote(excerpt(text, at, tail.length))
  )
}

/** The longest start of `snippet` found in `text` (if one start is found, so is every shorter). */
function longestPrefixIn(text: string, snippet: string): string {
  let low = 0
  let high = snippet.length
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (text.includes(snippet.slice(0, middle))) low = middle
    else high = middle - 1
  }
  return snippet.slice(0, low)
}

function reverse(text: string): string {
  return [...text].reverse().join('')
}

function excerpt(text: string, at: number, length: number): string {
  const start = Math.max(0, at - EXCERPT_BEFORE)
  const end = Math.min(text.length, at + length + EXCERPT_AFTER)
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`
}

/** Indented, so a snippet's own line breaks and spaces show as they are. */
function quote(text: string): string {
  return text
    .split('\n')
    .map(line => `    | ${line}`)
    .join('\n')
}

function countAssistantMessages(messages: unknown): number {
  if (!Array.isArray(messages)) return 0
  return messages.filter(message => (message as { role?: unknown } | null)?.role === 'assistant')
    .length
}

function requestId(): string {
  return `req_harness_${Math.random().toString(36).slice(2, 14)}`
}

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {}
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'request-id': requestId(),
    ...headers
  })
  res.end(JSON.stringify(value))
}

function sendError(
  res: ServerResponse,
  error: { status: number; type?: string; message: string },
  headers?: Record<string, string>
) {
  sendJson(
    res,
    error.status,
    {
      type: 'error',
      error: {
        type: error.type ?? ERROR_TYPES[error.status] ?? 'api_error',
        message: error.message
      }
    },
    headers
  )
}

function sendTruncated(res: ServerResponse, model: string, stream: boolean): void {
  const message = {
    id: 'msg_truncated',
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 }
  }
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId() })
    res.end(JSON.stringify({ ...message, content: [{ type: 'text', text: 'cut' }] }).slice(0, 60))
    return
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': requestId() })
  event(res, 'message_start', { type: 'message_start', message })
  event(res, 'content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' }
  })
  event(res, 'content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: 'The review is' }
  })
  res.end()
}

function event(res: ServerResponse, name: string, data: unknown): void {
  res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)
}

function sendStream(
  res: ServerResponse,
  message: {
    content: ContentBlock[]
    usage: Required<Usage>
    stop_reason: string
    [key: string]: unknown
  }
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': requestId()
  })
  const { usage } = message
  event(res, 'message_start', {
    type: 'message_start',
    message: {
      ...message,
      content: [],
      stop_reason: null,
      usage: { ...usage, output_tokens: 1 }
    }
  })
  event(res, 'ping', { type: 'ping' })
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      event(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' }
      })
      // Two deltas so the CLI really has to join a streamed block.
      for (const piece of split(block.text)) {
        event(res, 'content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: piece }
        })
      }
    } else {
      event(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} }
      })
      for (const piece of split(JSON.stringify(block.input))) {
        event(res, 'content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: piece }
        })
      }
    }
    event(res, 'content_block_stop', { type: 'content_block_stop', index })
  })
  event(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage
  })
  event(res, 'message_stop', { type: 'message_stop' })
  res.end()
}

function split(text: string): string[] {
  if (text.length < 2) return [text]
  const middle = Math.floor(text.length / 2)
  return [text.slice(0, middle), text.slice(middle)]
}

function sendMalformed(res: ServerResponse, model: string, stream: boolean): void {
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId() })
    res.end('{"id":"msg_broken","type":"message","content":[{"type":"te')
    return
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': requestId() })
  event(res, 'message_start', {
    type: 'message_start',
    message: {
      id: 'msg_broken',
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 1 }
    }
  })
  event(res, 'content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' }
  })
  res.write('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delt\n\n')
  // Let the bytes leave before the cut so the client sees a half stream, not a refused request.
  setTimeout(() => res.destroy(), 20)
}
