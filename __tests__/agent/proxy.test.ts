// The model proxy against real loopback servers: what the upstream receives, what the client
// gets back, and the real CLI running a session through it.
import { afterEach, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse
} from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { startModelProxy, type ModelProxy } from '../../src/agent/proxy.js'
import { startScriptedApi, type ScriptedApi } from '../harness/anthropic-api.js'
import { makeTempDir, runClaude, type TempDir } from '../harness/claude.js'

const REAL_KEY = 'sk-ant-api03-real-key-that-must-stay-here'

interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

interface Upstream {
  url: string
  port: number
  received: Received[]
  close(): Promise<void>
}

type Handler = (received: Received, res: ServerResponse, req: IncomingMessage) => void

const ok: Handler = (_received, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_upstream_1' })
  res.end('{"ok":true}')
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A real HTTP server on 127.0.0.1 that records each request once its body has arrived. */
async function startUpstream(handler: Handler = ok): Promise<Upstream> {
  const received: Received[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const record = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks)
      }
      received.push(record)
      handler(record, res, req)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const upstream = {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
  cleanups.push(() => upstream.close())
  return upstream
}

async function proxyTo(
  upstream: string,
  credential: { header: 'x-api-key' | 'authorization'; value: string } = {
    header: 'x-api-key',
    value: REAL_KEY
  }
): Promise<ModelProxy> {
  const proxy = await startModelProxy({ upstream, credential })
  cleanups.push(() => proxy.close())
  return proxy
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** One request on its own connection; `body` as an array is written chunk by chunk (chunked). */
function send(
  url: string,
  options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer[] }
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // The path as an option, not in the URL: URL parsing would remove dot segments client-side.
    const req = http.request(
      url,
      {
        method: options.method ?? 'POST',
        path: options.path ?? '/v1/messages',
        headers: options.headers,
        agent: false
      },
      res => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks)
          })
        )
        res.on('error', reject)
      }
    )
    req.on('error', reject)
    for (const chunk of options.body ?? []) req.write(chunk)
    req.end()
  })
}

function json(answer: Answer): unknown {
  return JSON.parse(answer.body.toString('utf8'))
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function allHeaderText(headers: IncomingHttpHeaders): string {
  return JSON.stringify(headers)
}

describe('startModelProxy', () => {
  it('listens on 127.0.0.1 with a fresh key that is not shaped like an Anthropic key', async () => {
    const upstream = await startUpstream()
    const a = await proxyTo(upstream.url)
    const b = await proxyTo(upstream.url)
    expect(a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(a.key).toMatch(/^tandem-proxy-[A-Za-z0-9_-]{43,}$/)
    expect(a.key).not.toMatch(/sk-ant-/)
    expect(a.key).not.toBe(b.key)
  })

  it('refuses a bad upstream or credential at start, without echoing the credential', async () => {
    const credential = { header: 'x-api-key' as const, value: 'sk-ant-api03-secret\r\nx-evil: 1' }
    const failure = startModelProxy({ upstream: 'http://127.0.0.1:1', credential })
    await expect(failure).rejects.toThrow('not a valid x-api-key header value')
    await expect(failure).rejects.not.toThrow(/secret/)
    await expect(
      startModelProxy({
        upstream: 'file:///etc/passwd',
        credential: { header: 'x-api-key', value: 'k' }
      })
    ).rejects.toThrow(/http or https/)
  })

  it('swaps the proxy key for the real one and forwards method, headers and body', async () => {
    const upstream = await startUpstream((_received, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'request-id': 'req_123',
        'anthropic-ratelimit-requests-remaining': '49',
        'x-should-retry': 'false'
      })
      res.end('{"id":"msg_1"}')
    })
    const proxy = await proxyTo(upstream.url)
    const answer = await send(proxy.url, {
      path: '/v1/messages?beta=true',
      headers: {
        'x-api-key': proxy.key,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'claude-code-20250219',
        'x-stainless-retry-count': '0',
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'x-hop': 'named in connection',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'x-custom': 'kept'
      },
      body: [Buffer.from('{"model":"claude-test"}')]
    })

    expect(answer.status).toBe(200)
    expect(answer.body.toString()).toBe('{"id":"msg_1"}')
    expect(answer.headers).toMatchObject({
      'request-id': 'req_123',
      'anthropic-ratelimit-requests-remaining': '49',
      'x-should-retry': 'false'
    })
    expect(upstream.received).toHaveLength(1)
    const [got] = upstream.received
    expect(got!.method).toBe('POST')
    expect(got!.url).toBe('/v1/messages?beta=true')
    expect(got!.body.toString()).toBe('{"model":"claude-test"}')
    expect(got!.headers).toMatchObject({
      'x-api-key': REAL_KEY,
      host: `127.0.0.1:${upstream.port}`,
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'claude-code-20250219',
      'x-stainless-retry-count': '0',
      'x-custom': 'kept'
    })
    expect(got!.headers.authorization).toBeUndefined()
    expect(got!.headers['keep-alive']).toBeUndefined()
    expect(got!.headers['x-hop']).toBeUndefined()
    expect(got!.headers['proxy-authorization']).toBeUndefined()
    expect(allHeaderText(got!.headers)).not.toContain(proxy.key)
  })

  it('refuses a missing or wrong key with a 401 the upstream never sees', async () => {
    const upstream = await startUpstream()
    const proxy = await proxyTo(upstream.url)
    const attempts: http.OutgoingHttpHeaders[] = [
      {},
      { 'x-api-key': 'sk-ant-guess' },
      { 'x-api-key': proxy.key.slice(0, -1) },
      { 'x-api-key': `${proxy.key}x` },
      { authorization: `Bearer ${proxy.key.slice(1)}` },
      { authorization: proxy.key },
      { authorization: `Basic ${proxy.key}` }
    ]
    for (const headers of attempts) {
      const answer = await send(proxy.url, { headers, body: [Buffer.from('{}')] })
      expect(answer.status).toBe(401)
      expect(answer.headers['content-type']).toBe('application/json')
      expect(json(answer)).toEqual({
        type: 'error',
        error: { type: 'authentication_error', message: expect.any(String) }
      })
      expect(answer.body.toString()).not.toContain(REAL_KEY)
    }
    expect(upstream.received).toHaveLength(0)
  })

  it('keeps the upstream path prefix and the query, and a path cannot climb out of it', async () => {
    const upstream = await startUpstream()
    const proxy = await proxyTo(`${upstream.url}/some/prefix/`)
    const headers = { 'x-api-key': proxy.key }
    await send(proxy.url, { path: '/v1/messages?beta=true', headers })
    await send(proxy.url, { path: '/v2/../v1/messages', headers })
    // Dot segments are resolved first: an escape attempt lands on a path that is not proxied.
    await send(proxy.url, { method: 'GET', path: '/v1/../../../admin?x=1', headers })
    await send(proxy.url, { method: 'GET', path: '/v1/%2e%2e/%2e%2e/admin', headers })
    expect(upstream.received.map(r => r.url)).toEqual([
      '/some/prefix/v1/messages?beta=true',
      '/some/prefix/v1/messages'
    ])
  })

  it('forwards only the Messages API: no other endpoint gets the real key', async () => {
    const upstream = await startUpstream()
    const proxy = await proxyTo(upstream.url)
    const headers = { 'x-api-key': proxy.key }
    const statuses: number[] = []
    for (const [method, path] of [
      ['DELETE', '/v1/files/file_abc'],
      ['GET', '/v1/organizations/me'],
      ['POST', '/v1/messages/batches'],
      ['GET', '/v1/messages'],
      ['POST', '/v1/complete']
    ] as const) {
      statuses.push((await send(proxy.url, { method, path, headers })).status)
    }
    expect(statuses).toEqual([403, 403, 403, 403, 403])
    expect(upstream.received).toHaveLength(0)
    await send(proxy.url, { method: 'POST', path: '/v1/messages/count_tokens', headers })
    await send(proxy.url, { method: 'GET', path: '/v1/models', headers })
    await send(proxy.url, { method: 'HEAD', path: '/', headers })
    expect(upstream.received.map(r => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/messages/count_tokens',
      'GET /v1/models',
      'HEAD /'
    ])
  })

  it('streams SSE events as they arrive: event 2 is written only after the client has event 1', async () => {
    let clientHasHeaders!: () => void
    let clientHasEvent1!: () => void
    const headersSeen = new Promise<void>(resolve => (clientHasHeaders = resolve))
    const event1Seen = new Promise<void>(resolve => (clientHasEvent1 = resolve))
    const upstream = await startUpstream((_received, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_sse' })
      res.flushHeaders()
      void headersSeen.then(() => {
        res.write('event: message_start\ndata: {"n":1}\n\n')
        return event1Seen.then(() => res.end('event: message_stop\ndata: {"n":2}\n\n'))
      })
    })
    const proxy = await proxyTo(upstream.url)

    const chunks: string[] = []
    const done = new Promise<IncomingMessage>((resolve, reject) => {
      const req = http.request(
        `${proxy.url}/v1/messages?beta=true`,
        { method: 'POST', headers: { 'x-api-key': proxy.key }, agent: false },
        res => {
          clientHasHeaders()
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            chunks.push(chunk)
            if (chunks.join('').includes('"n":1')) clientHasEvent1()
          })
          res.on('end', () => resolve(res))
        }
      )
      req.on('error', reject)
      req.end('{"stream":true}')
    })
    // A proxy that buffered headers or body would deadlock here: the upstream waits for the client.
    const res = await within(done, 5000, 'the SSE stream through the proxy')
    expect(res.headers['content-type']).toBe('text/event-stream')
    expect(res.headers['request-id']).toBe('req_sse')
    expect(chunks.join('')).toBe(
      'event: message_start\ndata: {"n":1}\n\nevent: message_stop\ndata: {"n":2}\n\n'
    )
    expect(chunks.length).toBeGreaterThanOrEqual(2)
  })

  it('passes upstream errors through intact: 429 with retry-after', async () => {
    const body = '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
    const upstream = await startUpstream((_received, res) => {
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': '7',
        'x-should-retry': 'true',
        'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:00Z'
      })
      res.end(body)
    })
    const proxy = await proxyTo(upstream.url)
    const answer = await send(proxy.url, { headers: { 'x-api-key': proxy.key } })
    expect(answer.status).toBe(429)
    expect(answer.headers).toMatchObject({
      'retry-after': '7',
      'x-should-retry': 'true',
      'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:00Z'
    })
    expect(answer.body.toString()).toBe(body)
  })

  it('leaves a compressed answer compressed', async () => {
    const gzipped = gzipSync(Buffer.from('{"id":"msg_gz"}'))
    const upstream = await startUpstream((_received, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
      res.end(gzipped)
    })
    const proxy = await proxyTo(upstream.url)
    const answer = await send(proxy.url, {
      headers: { 'x-api-key': proxy.key, 'accept-encoding': 'gzip' }
    })
    expect(upstream.received[0]!.headers['accept-encoding']).toBe('gzip')
    expect(answer.headers['content-encoding']).toBe('gzip')
    expect(answer.body.equals(gzipped)).toBe(true)
  })

  it('an upstream that breaks off mid-stream cuts the client off too, never a clean end', async () => {
    const upstream = await startUpstream((_received, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: message_start\ndata: {}\n\n')
      setTimeout(() => res.destroy(), 20)
    })
    const proxy = await proxyTo(upstream.url)
    const outcome = new Promise<string>(resolve => {
      const req = http.request(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': proxy.key },
        agent: false
      })
      req.on('error', () => resolve('error'))
      req.on('response', res => {
        res.on('data', () => undefined)
        res.on('end', () => resolve(res.complete ? 'clean end' : 'incomplete end'))
        res.on('aborted', () => resolve('aborted'))
        res.on('error', () => resolve('error'))
      })
      req.end('{}')
    })
    expect(await within(outcome, 5000, 'the client to see the cut')).not.toBe('clean end')
  })

  it('answers 502 with an Anthropic-shaped error when the upstream is down', async () => {
    const upstream = await startUpstream()
    await upstream.close()
    const proxy = await proxyTo(upstream.url)
    const answer = await send(proxy.url, {
      headers: { 'x-api-key': proxy.key },
      body: [Buffer.from('{}')]
    })
    expect(answer.status).toBe(502)
    expect(json(answer)).toEqual({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('ECONNREFUSED') }
    })
    expect(answer.body.toString()).not.toContain(REAL_KEY)
  })

  it('forwards a 1 MB chunked request body byte for byte', async () => {
    const upstream = await startUpstream()
    const proxy = await proxyTo(upstream.url)
    const payload = randomBytes(1024 * 1024)
    const pieces = Array.from({ length: 16 }, (_, i) =>
      payload.subarray(i * 65536, (i + 1) * 65536)
    )
    const answer = await send(proxy.url, {
      headers: { 'x-api-key': proxy.key, 'content-type': 'application/octet-stream' },
      body: pieces
    })
    expect(answer.status).toBe(200)
    const got = upstream.received[0]!.body
    expect(got.length).toBe(payload.length)
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
    expect(sha(got)).toBe(sha(payload))
  })

  it('a large answer to a stalling reader arrives byte for byte', async () => {
    const payload = randomBytes(4 * 1024 * 1024)
    const upstream = await startUpstream((_received, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      for (let i = 0; i < payload.length; i += 4096) res.write(payload.subarray(i, i + 4096))
      res.end()
    })
    const proxy = await proxyTo(upstream.url)
    const received = new Promise<Buffer>((resolve, reject) => {
      const req = http.request(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': proxy.key },
        agent: false
      })
      req.on('error', reject)
      req.on('response', res => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk)
          // Stalls now and then so the proxy's writes back up and it must pause the upstream.
          if (chunks.length % 8 === 0) {
            res.pause()
            setTimeout(() => res.resume(), 2)
          }
        })
        res.on('end', () => resolve(Buffer.concat(chunks)))
        res.on('error', reject)
      })
      req.end('{}')
    })
    const body = await within(received, 10_000, 'the 4 MB answer')
    expect(body.equals(payload)).toBe(true)
  })

  it('a client that stops reading stalls the upstream instead of filling the proxy', async () => {
    const total = 32 * 1024 * 1024
    const piece = Buffer.alloc(64 * 1024, 'a')
    let flushed = 0
    const upstream = await startUpstream((_received, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      void (async () => {
        for (let sent = 0; sent < total && !res.destroyed; sent += piece.length) {
          const more = res.write(piece, () => (flushed += piece.length))
          if (!more) await new Promise(resolve => res.once('drain', resolve))
        }
        res.end()
      })()
    })
    const proxy = await proxyTo(upstream.url)
    let resume!: () => void
    const received = new Promise<number>((resolve, reject) => {
      const req = http.request(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': proxy.key },
        agent: false
      })
      req.on('error', reject)
      req.on('response', res => {
        let bytes = 0
        res.pause()
        resume = () => {
          res.on('data', (chunk: Buffer) => (bytes += chunk.length))
          res.resume()
        }
        res.on('end', () => resolve(bytes))
        res.on('error', reject)
      })
      req.end('{}')
    })
    await new Promise(resolve => setTimeout(resolve, 300))
    // Socket buffers on both sides hold a few MB; a proxy that read on regardless holds it all.
    expect(flushed).toBeLessThan(total / 2)
    resume()
    expect(await within(received, 10_000, 'the 32 MB answer')).toBe(total)
  })

  it('authorization mode: the real bearer goes upstream, whichever header carried the proxy key', async () => {
    const upstream = await startUpstream()
    const proxy = await proxyTo(upstream.url, {
      header: 'authorization',
      value: 'Bearer sk-ant-oat01-real-token'
    })
    await send(proxy.url, { headers: { authorization: `Bearer ${proxy.key}` } })
    await send(proxy.url, { headers: { 'x-api-key': proxy.key } })
    expect(upstream.received).toHaveLength(2)
    for (const got of upstream.received) {
      expect(got.headers.authorization).toBe('Bearer sk-ant-oat01-real-token')
      expect(got.headers['x-api-key']).toBeUndefined()
      expect(allHeaderText(got.headers)).not.toContain(proxy.key)
    }
  })

  it('a client that gives up before the answer starts aborts the upstream request', async () => {
    let upstreamClosedEarly!: (early: boolean) => void
    const upstreamClosed = new Promise<boolean>(resolve => (upstreamClosedEarly = resolve))
    let upstreamHasRequest!: () => void
    const requested = new Promise<void>(resolve => (upstreamHasRequest = resolve))
    const upstream = await startUpstream((_received, res) => {
      res.on('close', () => upstreamClosedEarly(!res.writableFinished))
      upstreamHasRequest()
    })
    const proxy = await proxyTo(upstream.url)
    const req = http.request(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': proxy.key },
      agent: false
    })
    req.on('error', () => undefined)
    req.end('{}')
    await within(requested, 5000, 'the request to reach the upstream')
    req.destroy()
    expect(await within(upstreamClosed, 5000, 'the upstream request to be aborted')).toBe(true)
  })

  it('a client that disconnects mid-stream aborts the upstream request', async () => {
    let upstreamClosedEarly!: (early: boolean) => void
    const upstreamClosed = new Promise<boolean>(resolve => (upstreamClosedEarly = resolve))
    const upstream = await startUpstream((_received, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: ping\ndata: {}\n\n')
      res.on('close', () => upstreamClosedEarly(!res.writableFinished))
    })
    const proxy = await proxyTo(upstream.url)
    const req = http.request(`${proxy.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': proxy.key },
      agent: false
    })
    req.on('error', () => undefined)
    req.on('response', res => res.once('data', () => req.destroy()))
    req.end('{}')
    expect(await within(upstreamClosed, 5000, 'the upstream request to be aborted')).toBe(true)
  })

  it('close() ends open streams and stops listening', async () => {
    const upstream = await startUpstream((_received, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: ping\ndata: {}\n\n')
    })
    const proxy = await proxyTo(upstream.url)
    const clientClosed = new Promise<void>(resolve => {
      const req = http.request(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': proxy.key },
        agent: false
      })
      req.on('error', () => resolve())
      req.on('response', res => {
        res.on('error', () => undefined)
        res.once('data', () => void proxy.close())
        res.on('close', () => resolve())
      })
      req.end('{}')
    })
    await within(clientClosed, 5000, 'close() to end the open stream')
    await within(proxy.close(), 5000, 'close() to resolve')
    await expect(send(proxy.url, { headers: { 'x-api-key': proxy.key } })).rejects.toThrow(
      /ECONNREFUSED/
    )
  })
})

describe("the runner's proxy settings", () => {
  const names = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']

  /** A CONNECT proxy that records each tunnel target and connects every tunnel to `port`. */
  async function startConnectProxy(
    port: number | undefined
  ): Promise<{ url: string; targets: string[] }> {
    const targets: string[] = []
    const server = http.createServer((_req, res) => res.writeHead(405).end())
    server.on('connect', (req: IncomingMessage, client: net.Socket, head: Buffer) => {
      targets.push(req.url ?? '')
      if (port === undefined) {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
        return
      }
      const socket = net.connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        socket.write(head)
        socket.pipe(client)
        client.pipe(socket)
      })
      socket.on('error', () => client.destroy())
      client.on('error', () => socket.destroy())
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>(resolve => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
    )
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets }
  }

  function withProxyEnv(values: Record<string, string>): void {
    const saved = names.map(name => [name, process.env[name]] as const)
    cleanups.push(() => {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    })
    for (const name of names) delete process.env[name]
    Object.assign(process.env, values)
  }

  it('an http upstream goes through HTTP_PROXY', async () => {
    const upstream = await startUpstream()
    const tunnel = await startConnectProxy(upstream.port)
    withProxyEnv({ HTTP_PROXY: tunnel.url, NO_PROXY: '' })
    const proxy = await proxyTo('http://api.example.test/prefix')
    const answer = await send(proxy.url, { headers: { 'x-api-key': proxy.key } })
    expect(answer.status).toBe(200)
    expect(tunnel.targets).toEqual(['api.example.test:80'])
    expect(upstream.received[0]).toMatchObject({
      url: '/prefix/v1/messages',
      headers: { host: 'api.example.test', 'x-api-key': REAL_KEY }
    })
  })

  it('an https upstream goes through HTTPS_PROXY; a refused tunnel is a 502', async () => {
    const tunnel = await startConnectProxy(undefined)
    withProxyEnv({ HTTPS_PROXY: tunnel.url })
    const proxy = await proxyTo('https://api.example.test')
    const answer = await send(proxy.url, { headers: { 'x-api-key': proxy.key } })
    expect(tunnel.targets).toEqual(['api.example.test:443'])
    expect(answer.status).toBe(502)
    expect(json(answer)).toMatchObject({ type: 'error', error: { type: 'api_error' } })
  })

  it('a loopback upstream is reached directly even with a proxy set', async () => {
    const upstream = await startUpstream()
    const tunnel = await startConnectProxy(upstream.port)
    withProxyEnv({ HTTP_PROXY: tunnel.url, HTTPS_PROXY: tunnel.url })
    const proxy = await proxyTo(upstream.url)
    expect((await send(proxy.url, { headers: { 'x-api-key': proxy.key } })).status).toBe(200)
    expect(tunnel.targets).toEqual([])
  })
})

describe('the real Claude Code CLI through the proxy', () => {
  let api: ScriptedApi | undefined
  let dir: TempDir | undefined
  afterEach(async () => {
    await api?.close()
    dir?.cleanup()
  })

  it('runs a session; the scripted API sees only the real key', async () => {
    api = await startScriptedApi([{ text: 'hello through the proxy' }])
    const proxy = await proxyTo(api.url)
    dir = makeTempDir('tandem-proxy')
    const run = await runClaude({
      api,
      home: dir.path,
      cwd: dir.path,
      prompt: 'Say hello.',
      env: { ANTHROPIC_BASE_URL: proxy.url, ANTHROPIC_API_KEY: proxy.key }
    })
    expect(run.exitCode).toBe(0)
    expect(run.result).toMatchObject({ subtype: 'success', is_error: false })
    expect(run.result.result).toBe('hello through the proxy')
    expect(api.mainRequests()).toHaveLength(1)
    // The CLI's opening `HEAD /` carries no key: the proxy refuses it, and the CLI goes on.
    for (const request of api.requests) {
      expect(request.headers['x-api-key']).toBe(REAL_KEY)
      expect(JSON.stringify(request.headers)).not.toContain(proxy.key)
    }
  })
})
