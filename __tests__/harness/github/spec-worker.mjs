// Runs in a worker thread, in plain Node: openapi-backend requires an ESM-only dependency
// (@apidevtools/json-schema-ref-parser) that Node 20 loads through require(esm) but Jest's
// module runtime cannot, and a worker also keeps the 13 MB description and its compiled Ajv
// validators off the test's thread. Plain JavaScript because a worker cannot load TypeScript
// here. The protocol is typed on the other side, in spec.ts.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parentPort } from 'node:worker_threads'

const require = createRequire(import.meta.url)
const started = performance.now()

/**
 * Ajv accepts OpenAPI 3.0's `nullable` only next to `type`; GitHub's description also puts it
 * beside `allOf`/`$ref`, and beside `enum`s that do not list null.
 */
function rewriteNullable(value) {
  if (Array.isArray(value)) {
    for (const item of value) rewriteNullable(item)
    return
  }
  if (value === null || typeof value !== 'object') return
  for (const key of Object.keys(value)) rewriteNullable(value[key])
  if (value.nullable !== true) return
  if (Array.isArray(value.enum) && !value.enum.includes(null)) value.enum.push(null)
  if (value.type !== undefined) return
  const rest = {}
  for (const key of Object.keys(value)) {
    if (key !== 'nullable') rest[key] = value[key]
    delete value[key]
  }
  value.anyOf = [rest, { type: 'null' }]
}

function compileSegment(segment) {
  const names = []
  if (!segment.includes('{')) return { segment, names }
  const pattern = segment.replace(/\{([^}]+)\}|([^{]+)/g, (_all, name, literal) => {
    if (name !== undefined) {
      names.push(name)
      return '([^/]+)'
    }
    return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  })
  return { segment: new RegExp(`^${pattern}$`), names }
}

// Trailing parameters whose values are paths or git refs, and so may carry slashes.
const GREEDY = /^\{(path|ref|branch|basehead)\}$/

/**
 * The stock router rescans all 1,223 operations (and rebuilds its flat list) per request;
 * index them by method and segment count instead, literal segments before parameters.
 */
function buildIndex(operations) {
  const index = new Map()
  const greedy = []
  for (const operation of operations) {
    const parts = operation.path.split('/').filter(part => part !== '')
    const segments = []
    const names = []
    for (const part of parts) {
      const compiled = compileSegment(part)
      segments.push(compiled.segment)
      names.push(...compiled.names)
    }
    const route = {
      operation,
      segments,
      names,
      rank: segments.map(segment => (typeof segment === 'string' ? '0' : '1')).join('')
    }
    const key = `${operation.method} ${segments.length}`
    if (!index.has(key)) index.set(key, [])
    index.get(key).push(route)
    if (GREEDY.test(parts[parts.length - 1] ?? '')) greedy.push(route)
  }
  for (const bucket of index.values()) bucket.sort((a, b) => a.rank.localeCompare(b.rank))
  return { index, greedy }
}

function matchSegments(route, parts) {
  const values = []
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i]
    const part = parts[i]
    if (part === undefined) return undefined
    if (typeof segment === 'string') {
      if (segment !== part) return undefined
      continue
    }
    const found = segment.exec(part)
    if (!found) return undefined
    values.push(...found.slice(1))
  }
  return values
}

function decode(value) {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function toIssues(errors) {
  if (!Array.isArray(errors)) return []
  return errors.map(error => ({
    instancePath: error.instancePath ?? '',
    message: error.message ?? 'invalid',
    keyword: error.keyword,
    params: error.params
  }))
}

const specPath = join(
  dirname(require.resolve('@octokit/openapi/package.json')),
  // The package entry loads every variant (GHES, GHEC, dereferenced copies): one file only.
  'generated',
  'api.github.com.json'
)
const document = require(specPath)
rewriteNullable(document)
const { OpenAPIBackend } = require('openapi-backend')
const addFormats = require('ajv-formats')
const api = new OpenAPIBackend({
  definition: document,
  quick: true,
  validate: true,
  ajvOpts: { allErrors: true },
  customizeAjv: ajv => {
    addFormats(ajv)
    // GitHub's own formats, unknown to ajv-formats.
    ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/)
    ajv.addFormat('timestamp', true)
    return ajv
  }
})
await api.init()
const operations = api.router.getOperations()
const byId = new Map(operations.map(operation => [operation.operationId, operation]))
// The lazily compiled validators look operations up through the router: keep one list.
api.router.getOperations = () => operations
api.router.getOperation = operationId => byId.get(operationId)
const { index, greedy } = buildIndex(operations)

function match(method, path) {
  const parts = path.split('/').filter(part => part !== '')
  const verb = method.toLowerCase()
  for (const route of index.get(`${verb} ${parts.length}`) ?? []) {
    const values = matchSegments(route, parts)
    if (values) return found(route, values, path)
  }
  // `{path}` and `{ref}` may hold slashes the client did not encode.
  for (const route of greedy) {
    if (route.operation.method !== verb || route.segments.length >= parts.length) continue
    const head = parts.slice(0, route.segments.length - 1)
    const tail = encodeURIComponent(decode(parts.slice(route.segments.length - 1).join('/')))
    const values = matchSegments(route, [...head, tail])
    if (values) return found(route, values, `/${[...head, tail].join('/')}`)
  }
  return undefined
}

function found(route, values, validationPath) {
  const params = {}
  route.names.forEach((name, i) => (params[name] = decode(values[i] ?? '')))
  return { route, params, validationPath }
}

function describe(route, params) {
  const operation = route.operation
  return {
    operationId: operation.operationId,
    params,
    docsUrl: operation.externalDocs?.url,
    statuses: Object.keys(operation.responses ?? {})
  }
}

function handle(message) {
  if (message.type === 'request') {
    const hit = match(message.method, message.path)
    if (!hit) return { match: null, issues: [] }
    const outcome = api.validator.validateRequest(
      {
        method: hit.route.operation.method,
        path: hit.validationPath,
        headers: message.headers,
        query: message.query,
        body: message.body
      },
      hit.route.operation
    )
    return { match: describe(hit.route, hit.params), issues: toIssues(outcome.errors) }
  }
  if (message.type === 'response') {
    const operation = byId.get(message.operationId)
    if (!operation) return { issues: [] }
    const outcome = api.validator.validateResponse(message.body, operation, message.status)
    return { issues: toIssues(outcome.errors) }
  }
  return { issues: [] }
}

parentPort.on('message', message => {
  try {
    parentPort.postMessage({ id: message.id, ...handle(message) })
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error?.stack ?? error) })
  }
})
parentPort.postMessage({
  type: 'ready',
  operationCount: operations.length,
  loadMs: performance.now() - started
})
