// GitHub's own OpenAPI description, prepared once and shared by every fake GitHub started in
// the process (one Jest test file): routing and validation run in a worker thread
// (spec-worker.mjs, where the reason is written down), this side only asks it questions.
import { Worker } from 'node:worker_threads'

export interface SpecIssue {
  instancePath: string
  message: string
  keyword?: string
  params?: unknown
}

export interface RouteMatch {
  operationId: string
  /** Path parameters, percent-decoded. */
  params: Record<string, string>
  /** The operation's page in GitHub's docs: what GitHub puts in `documentation_url`. */
  docsUrl?: string
  /** Status codes the description declares for the operation. */
  statuses: string[]
}

export interface RequestCheck {
  /** Undefined when no operation has this method and path. */
  match?: RouteMatch
  issues: SpecIssue[]
}

export interface Spec {
  operationCount: number
  loadMs: number
  checkRequest(request: {
    method: string
    path: string
    headers: Record<string, string>
    query: Record<string, string | string[]>
    body: unknown
  }): Promise<RequestCheck>
  checkResponse(operationId: string, status: number, body: unknown): Promise<SpecIssue[]>
  /** Every `loadSpec()` is matched by one `release()`; the worker stops after the last one. */
  release(): Promise<void>
}

interface Reply {
  id: number
  match?: RouteMatch | null
  issues?: SpecIssue[]
  error?: string
}

interface Shared {
  worker: Worker
  ready: Promise<{ operationCount: number; loadMs: number }>
  pending: Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>
  users: number
  nextId: number
  idle?: ReturnType<typeof setTimeout>
}

/**
 * How long the worker outlives its last user: tests that start and close a fake per test
 * reuse it instead of paying the load again, and a finished test file does not keep it.
 */
const LINGER_MS = 2000

let shared: Shared | undefined

function start(): Shared {
  const worker = new Worker(new URL('./spec-worker.mjs', import.meta.url))
  const pending: Shared['pending'] = new Map()
  let ready!: (info: { operationCount: number; loadMs: number }) => void
  let failed!: (error: Error) => void
  const state: Shared = {
    worker,
    pending,
    users: 0,
    nextId: 0,
    ready: new Promise((resolve, reject) => {
      ready = resolve
      failed = reject
    })
  }
  worker.on(
    'message',
    (reply: Reply & { type?: string; operationCount: number; loadMs: number }) => {
      if (reply.type === 'ready') {
        if (pending.size === 0) worker.unref()
        return ready(reply)
      }
      const waiting = pending.get(reply.id)
      if (!waiting) return
      pending.delete(reply.id)
      if (pending.size === 0) worker.unref()
      if (reply.error) waiting.reject(new Error(`spec worker: ${reply.error}`))
      else waiting.resolve(reply)
    }
  )
  worker.on('error', error => {
    failed(error)
    for (const waiting of pending.values()) waiting.reject(error)
    pending.clear()
  })
  worker.on('exit', code => {
    const error = new Error(`spec worker exited with code ${code}`)
    failed(error)
    for (const waiting of pending.values()) waiting.reject(error)
    pending.clear()
    if (shared === state) shared = undefined
  })
  // The worker keeps the process alive only while something waits on it (its load, or a
  // validation): idle, it must not keep a test process alive, but a script awaiting it must
  // not see its event loop run empty either.
  return state
}

function ask(state: Shared, message: Record<string, unknown>): Promise<Reply> {
  const id = ++state.nextId
  return new Promise((resolve, reject) => {
    state.worker.ref()
    state.pending.set(id, { resolve, reject })
    state.worker.postMessage({ ...message, id })
  })
}

/** The prepared description; the first call pays for loading it, later calls share it. */
export async function loadSpec(): Promise<Spec> {
  shared ??= start()
  const state = shared
  clearTimeout(state.idle)
  state.users++
  let info: { operationCount: number; loadMs: number }
  try {
    info = await state.ready
  } catch (error) {
    state.users--
    if (shared === state) shared = undefined
    await state.worker.terminate()
    throw error
  }
  let released = false
  return {
    ...info,
    async checkRequest(request) {
      const reply = await ask(state, { type: 'request', ...request })
      return { match: reply.match ?? undefined, issues: reply.issues ?? [] }
    },
    async checkResponse(operationId, status, body) {
      const reply = await ask(state, { type: 'response', operationId, status, body })
      return reply.issues ?? []
    },
    async release() {
      if (released) return
      released = true
      state.users--
      if (state.users > 0) return
      state.idle = setTimeout(() => {
        if (state.users > 0) return
        if (shared === state) shared = undefined
        void state.worker.terminate()
      }, LINGER_MS)
      state.idle.unref()
    }
  }
}
