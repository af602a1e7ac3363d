// Model proxy figures: added latency per request and SSE throughput, each through the proxy vs
// straight to the same local upstream in the same run. As in a real run, the proxy has a thread
// to itself (the action's), the client another (the CLI's) and the upstream a third; sharing
// one event loop would charge the client's and the upstream's work to the proxy. A bare TCP
// relay, measured alongside, shows what any extra hop costs on this machine.
import http, { type ServerResponse } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { startModelProxy } from '../src/agent/proxy.js'
import type { Figure } from './figures.js'

const SMALL_REQUESTS = 300
const LARGE_RUNS = 25
const LARGE_BYTES = 1024 * 1024

const ROUTES = ['direct', 'proxied', 'relayed'] as const
type Route = (typeof ROUTES)[number]

type Targets = Record<Route, string> & { key: string }
type Timings = Record<Route, number[]>

type Role = { role: 'upstream' } | { role: 'client'; targets: Targets }

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function sseEvent(index: number, text: string): string {
  const data = { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }
  return `event: content_block_delta\ndata: ${JSON.stringify(data)}\n\n`
}

/**
 * A few events like a short answer, or ~1 MB of ~200-byte text deltas like a long one, each
 * written on its own as the API does. Rendered once: the real upstream's CPU is not this
 * machine's, and rendering per request would make it the busiest thread of the bench.
 */
function answer(large: boolean): Buffer[] {
  const events = [
    `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_bench"}}\n\n`
  ]
  if (!large) {
    for (let i = 0; i < 4; i++) events.push(sseEvent(0, `word ${i} `))
  } else {
    const text = 'The quick brown fox jumps over the lazy dog, again and again. '.repeat(2)
    for (let size = 0, i = 0; size < LARGE_BYTES; i++) {
      const event = sseEvent(0, `${text}${i}`)
      size += Buffer.byteLength(event)
      events.push(event)
    }
  }
  events.push('event: message_stop\ndata: {"type":"message_stop"}\n\n')
  return events.map(event => Buffer.from(event))
}

async function writeAll(res: ServerResponse, events: readonly Buffer[]): Promise<void> {
  for (const event of events) {
    if (!res.write(event)) await new Promise(resolve => res.once('drain', resolve))
  }
  res.end()
}

async function runUpstream(): Promise<void> {
  const small = answer(false)
  const large = answer(true)
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_bench' })
      void writeAll(res, req.url?.includes('large') ? large : small)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  parentPort!.postMessage({ port: (server.address() as AddressInfo).port })
}

/** One POST, answered in full; milliseconds from the request to the last byte. */
function timeRequest(agent: http.Agent, url: string, key: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'x-api-key': key,
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01'
        }
      },
      res => {
        res.on('data', () => undefined)
        res.on('end', () => resolve(Number(process.hrtime.bigint() - start) / 1e6))
        res.on('error', reject)
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function runClient(targets: Targets): Promise<void> {
  // Keep-alive, one connection per route, as the CLI talks to its base URL.
  const agents = Object.fromEntries(
    ROUTES.map(route => [route, new http.Agent({ keepAlive: true, maxSockets: 1 })])
  ) as Record<Route, http.Agent>
  const body = JSON.stringify({
    model: 'claude-bench',
    stream: true,
    messages: [],
    pad: 'x'.repeat(2000)
  })
  const measure = async (path: string, count: number, warmUp: number): Promise<Timings> => {
    const timings: Timings = { direct: [], proxied: [], relayed: [] }
    for (let i = 0; i < warmUp + count; i++) {
      // Rotating the order spreads any drift (GC, JIT, the other benches' leftovers) evenly.
      for (let j = 0; j < ROUTES.length; j++) {
        const route = ROUTES[(i + j) % ROUTES.length]!
        const ms = await timeRequest(agents[route], `${targets[route]}${path}`, targets.key, body)
        if (i >= warmUp) timings[route].push(ms)
      }
    }
    return timings
  }
  const small = await measure('/v1/messages?small', SMALL_REQUESTS, 20)
  const large = await measure('/v1/messages?large', LARGE_RUNS, 10)
  for (const agent of Object.values(agents)) agent.destroy()
  parentPort!.postMessage({ small, large })
}

/** Bytes in, bytes out: the least any proxy on this machine can cost. */
async function startTcpRelay(port: number): Promise<{ url: string; close(): void }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer(client => {
    const upstream = net.connect(port, '127.0.0.1')
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true)
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    }
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.close()
      for (const socket of sockets) socket.destroy()
    }
  }
}

// Node 20 does not apply the parent's `--import tsx` to workers; the worker registers it itself.
const BOOTSTRAP = `import('tsx/esm/api').then(tsx => { tsx.register(); return import(${JSON.stringify(import.meta.url)}) })`

function startWorker(data: Role): Worker {
  return new Worker(BOOTSTRAP, { eval: true, workerData: data })
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
}

export async function proxyFigures(): Promise<Figure[]> {
  const upstreamWorker = startWorker({ role: 'upstream' })
  const { port } = await nextMessage<{ port: number }>(upstreamWorker)
  const upstream = `http://127.0.0.1:${port}`
  const proxy = await startModelProxy({
    upstream,
    credential: { header: 'x-api-key', value: 'sk-ant-bench-not-a-real-key' }
  })
  const relay = await startTcpRelay(port)
  try {
    const client = startWorker({
      role: 'client',
      targets: { direct: upstream, proxied: proxy.url, relayed: relay.url, key: proxy.key }
    })
    const { small, large } = await nextMessage<{ small: Timings; large: Timings }>(client)
    await client.terminate()

    const [direct, proxied, relayed] = ROUTES.map(route => median(small[route]))
    const added = proxied! - direct!
    const mbps = (route: Route): number => LARGE_BYTES / 1024 / 1024 / (median(large[route]) / 1000)
    const ratio = mbps('proxied') / mbps('direct')
    return [
      {
        name: `model proxy added latency, small SSE answer (median of ${SMALL_REQUESTS})`,
        value: `${proxied!.toFixed(2)} ms (+${added.toFixed(2)} ms)`,
        baseline: `direct ${direct!.toFixed(2)} ms, bare TCP relay ${relayed!.toFixed(2)} ms`,
        ratio: proxied! / direct!,
        target: '≤ 5 ms added',
        ok: added <= 5
      },
      {
        name: `model proxy throughput, 1 MB SSE answer (median of ${LARGE_RUNS})`,
        value: `${mbps('proxied').toFixed(0)} MB/s`,
        baseline: `direct ${mbps('direct').toFixed(0)} MB/s, bare TCP relay ${mbps('relayed').toFixed(0)} MB/s (${(mbps('relayed') / mbps('direct')).toFixed(2)})`,
        ratio,
        target: '≥ 0.95',
        ok: ratio >= 0.95
      }
    ]
  } finally {
    relay.close()
    await proxy.close()
    await upstreamWorker.terminate()
  }
}

if (!isMainThread) {
  const data = workerData as Role
  if (data.role === 'upstream') await runUpstream()
  else await runClient(data.targets)
}
