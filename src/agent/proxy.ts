// The model API key never enters the agent's environment: any process the agent starts can read
// the CLI's /proc/<pid>/environ, so the CLI gets a loopback URL and a key that is worthless
// outside this run, and this process, which the agent cannot read, swaps in the real one.
import { HttpClient } from '@actions/http-client'
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse
} from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'

/** How the upstream expects the real credential. */
export interface ModelCredential {
  header: 'x-api-key' | 'authorization'
  /** The whole header value; for `authorization` e.g. `Bearer sk-…`. */
  value: string
}

export interface ModelProxy {
  /** `http://127.0.0.1:<port>`, for the CLI's `ANTHROPIC_BASE_URL`. */
  url: string
  /** The per-run key the CLI must present, for its `ANTHROPIC_API_KEY`. */
  key: string
  close(): Promise<void>
}

// Meaningful for one connection only (RFC 9110 §7.6.1); `proxy-*` are matched by prefix.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade'
])

/**
 * What a Claude Code session calls (measured with 2.1.197: `HEAD /`, then `POST /v1/messages`),
 * plus token counting and the model list it may ask for.
 */
export function isModelCall(method: string, pathname: string): boolean {
  const verb = method.toUpperCase()
  if (pathname === '/') return verb === 'HEAD' || verb === 'GET'
  if (pathname === '/v1/messages' || pathname === '/v1/messages/count_tokens')
    return verb === 'POST'
  if (pathname === '/v1/models' || pathname.startsWith('/v1/models/')) return verb === 'GET'
  return false
}

/**
 * Starts the proxy on 127.0.0.1 with a random port. `upstream` is the real API base URL; a path
 * prefix in it is kept in front of every forwarded path.
 */
export async function startModelProxy(options: {
  upstream: string
  credential: ModelCredential
}): Promise<ModelProxy> {
  const upstream = new URL(options.upstream)
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new Error(`ANTHROPIC_BASE_URL must be an http or https URL, got ${upstream.protocol}`)
  }
  const { credential } = options
  // Here, not on the first request: a bad value would throw inside the request handler. The
  // message names the header only, never the value.
  try {
    http.validateHeaderValue(credential.header, credential.value)
  } catch {
    throw new Error(`the model credential is not a valid ${credential.header} header value`)
  }
  const redact = redactor(credential.value)
  const prefix = upstream.pathname.replace(/\/+$/, '')
  const transport = upstream.protocol === 'https:' ? https : http
  const hostname = upstream.hostname.replace(/^\[(.*)\]$/, '$1')
  const route = upstreamAgent(upstream)

  // Prefixed so it is obviously not an Anthropic key: redaction of `sk-ant-` shapes leaves it be.
  const key = `tandem-proxy-${randomBytes(32).toString('base64url')}`
  // Digests have equal lengths, which timingSafeEqual needs, whatever the client sent.
  const keyDigest = digest(key)
  const presentsKey = (req: IncomingMessage): boolean => {
    const candidates = [single(req.headers['x-api-key'])]
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(single(req.headers.authorization) ?? '')
    if (bearer) candidates.push(bearer[1])
    return candidates.some(
      candidate => candidate !== undefined && timingSafeEqual(digest(candidate), keyDigest)
    )
  }

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    if (!presentsKey(req)) {
      sendError(res, 401, 'authentication_error', 'tandem model proxy: invalid or missing API key')
      return
    }
    // Resolving against a dummy origin drops an absolute-form target's host (only the upstream is
    // ever reached) and removes dot segments, so a path cannot climb out of the upstream's prefix.
    const target = new URL(req.url ?? '/', 'http://proxy.invalid')
    if (!isModelCall(req.method ?? 'GET', target.pathname)) {
      // The agent can reach this server as well as the CLI can: with the real key behind it,
      // any other endpoint (files, batches, the admin API) would be the agent's to call.
      sendError(
        res,
        403,
        'permission_error',
        'tandem model proxy: only the Messages API is proxied'
      )
      return
    }
    let upstreamReq: http.ClientRequest
    try {
      upstreamReq = transport.request({
        protocol: upstream.protocol,
        hostname,
        port: upstream.port || undefined,
        method: req.method,
        path: `${prefix}${target.pathname}${target.search}`,
        headers: requestHeaders(req.headers, upstream.host, credential),
        agent: route.agent
      })
    } catch (error) {
      // The agent can reach this server too: no request it crafts may take the action down.
      sendError(res, 502, 'api_error', `tandem model proxy: ${redact(String(error))}`)
      return
    }
    upstreamReq.setNoDelay(true)

    // A CLI that gives up (timeout, kill) must not leave a paid generation running upstream.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy()
    })
    upstreamReq.on('error', error => {
      if (res.destroyed) return
      if (res.headersSent) {
        // Mid-stream: a cut connection tells the CLI the answer is incomplete; a clean end would not.
        res.destroy()
        return
      }
      const reason = redact(error.message)
      sendError(res, 502, 'api_error', `tandem model proxy: upstream ${upstream.origin}: ${reason}`)
    })
    upstreamReq.on('response', upstreamRes => {
      res.writeHead(
        upstreamRes.statusCode ?? 502,
        // Node's own phrase when the upstream sent none.
        upstreamRes.statusMessage || undefined,
        responseHeaders(upstreamRes.headers)
      )
      // SSE: the CLI must see the status and headers now, not with the first event.
      res.flushHeaders()
      relay(upstreamRes, res)
    })
    // pipe, not pipeline: an upstream failure must leave the client socket open for the 502.
    req.pipe(upstreamReq)
  }

  const server = http.createServer({ noDelay: true }, forward)
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      route.dispose()
      reject(error)
    }
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', fail)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo

  let closing: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    key,
    close: () =>
      (closing ??= new Promise<void>(resolve => {
        server.close(() => resolve())
        // Keep-alive and streaming sockets would otherwise hold close() (and the action) open.
        server.closeAllConnections()
        route.dispose()
      }))
  }
}

/**
 * Streams the answer on as it comes, with one change: the chunks one socket read brings (an SSE
 * answer is one tiny chunk per event) leave as one write at the end of that tick. Nothing waits
 * for later data, and a streamed megabyte costs the proxy and the CLI together about a third
 * less CPU than with `pipeline` (measured with bench/proxy.ts's setup).
 */
function relay(from: IncomingMessage, to: ServerResponse): void {
  let waiting = false
  const pump = (): void => {
    waiting = false
    let data: Buffer | null
    while (!to.destroyed && (data = from.read() as Buffer | null) !== null) {
      if (!to.write(data)) {
        waiting = true
        to.once('drain', pump)
        return
      }
    }
  }
  from.on('readable', () => {
    if (!waiting) pump()
  })
  from.on('end', () => to.end())
  // An upstream that breaks off mid-answer must cut the client too: a clean end would pass a
  // truncated answer off as a whole one.
  from.on('error', () => to.destroy())
  from.on('close', () => {
    if (!from.complete) to.destroy()
  })
}

/**
 * The runner's proxy settings (HTTPS_PROXY, NO_PROXY) apply to the real API, the way every
 * @actions/* client honours them; a loopback upstream is reached directly.
 */
function upstreamAgent(upstream: URL): { agent: http.Agent; dispose(): void } {
  // Keep-alive: a TLS handshake per turn would add tens of milliseconds to every request.
  if (isLoopback(upstream.hostname)) {
    const agent =
      upstream.protocol === 'https:'
        ? new https.Agent({ keepAlive: true })
        : new http.Agent({ keepAlive: true })
    return { agent, dispose: () => agent.destroy() }
  }
  const client = new HttpClient('tandem-model-proxy', undefined, { keepAlive: true })
  return { agent: client.getAgent(upstream.href), dispose: () => client.dispose() }
}

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]'
}

function requestHeaders(
  incoming: IncomingHttpHeaders,
  host: string,
  credential: ModelCredential
): OutgoingHttpHeaders {
  const headers = withoutHopByHop(incoming)
  delete headers['x-api-key']
  delete headers.authorization
  // This process already answered `100 Continue` to the client.
  delete headers.expect
  headers.host = host
  headers[credential.header] = credential.value
  return headers
}

function responseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  return withoutHopByHop(incoming)
}

function withoutHopByHop(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  // Headers the sender named in `connection` are hop-by-hop too.
  const named = new Set(
    (single(incoming.connection) ?? '')
      .split(',')
      .map(name => name.trim().toLowerCase())
      .filter(Boolean)
  )
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue
    if (name.startsWith('proxy-')) continue
    headers[name] = value
  }
  return headers
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

/** Error text is echoed to the client: no form of the credential may be in it. */
function redactor(credential: string): (text: string) => string {
  const forms = [credential, credential.replace(/^Bearer\s+/i, '')].filter(form => form.length > 0)
  return text => forms.reduce((out, form) => out.split(form).join('[redacted]'), text)
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** The error shape the Anthropic API uses, so the CLI reports it like any API error. */
function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ type: 'error', error: { type, message } })
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body)
  })
  res.end(body)
}
