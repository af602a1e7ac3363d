// Loopback stand-ins of what @actions/artifact 6.2.1 talks to, for running the UNMODIFIED client
// offline (in-process or in child processes: shards and collect are separate jobs):
// - the Actions results service: Twirp JSON `POST /twirp/github.actions.results.api.v1.
//   ArtifactService/<Method>`, snake_case fields, int64 as strings, wrappers (StringValue,
//   Int64Value) as bare values, Timestamps as RFC 3339; errors as JSON `{code,msg}` with the
//   Twirp status (a non-JSON error body makes the client retry for ~30 s, so never send one);
// - blob storage (what the SDK's BlockBlobClient.uploadStream does): `PUT ?comp=block&blockid=…`
//   stores a block, `PUT ?comp=blocklist` joins the XML-listed blocks in order and keeps
//   `x-ms-blob-content-type`, both answer exactly 201; `GET` answers 200 with that content type
//   (`application/zip` makes the client unzip into the target directory).
// Both on ONE server on 127.0.0.1 (blob URLs under /blob/); state is kept per workflow run.
//
// What the client does (read from node_modules/@actions/artifact/lib, checked by
// artifacts.test.ts next to this file):
// - It only DECODES `ACTIONS_RUNTIME_TOKEN` (jwt-decode): claim `scp` must hold
//   `Actions.Results:<runId>:<jobId>`; those ids go into every request body. Mint one per job
//   with mintRuntimeToken; the stand-in reads the ids (and its own claim `tandem_attempt`, the
//   run attempt, which the real client ignores) from the bearer token and refuses a body that
//   names another run (403) or, for Create/Finalize, another job.
// - Everything else it reads from the environment at call time, except
//   ACTIONS_ARTIFACT_MAX_ARTIFACT_COUNT (read once at import; the internal list ignores it).
//   GITHUB_SERVER_URL must be unset, github.com, *.ghe.com or *.localhost (else "GHES is not
//   supported"); proxies are honoured, hence NO_PROXY/no_proxy.
// - Retries: a Twirp 500/502/503/504/429 (or a non-JSON body) is retried after 3 s, 4.5-6.75 s …
//   up to 5 attempts; every other 4xx fails at once ("Received non-retryable error: Failed
//   request: (409) Conflict: <msg>"). A blob PUT answered 500/503 is retried by the Azure SDK
//   (the first retry immediately, then 4 s, 12 s). A failed blob GET is retried 5 times with a
//   fixed 5 s sleep whatever the status: inject GET faults only when a test can wait ~25 s.
// - Upload: CreateArtifact (name, version 7, mime_type application/zip, expires_at only with
//   retentionDays) → blocks + block list → FinalizeArtifact (size = bytes the SDK reported,
//   hash `sha256:<hex>` of the zip) → artifact_id. Download: ListArtifacts with id_filter →
//   GetSignedArtifactURL (run, job and name of the listed artifact) → GET. listArtifacts
//   ({latest}) = one ListArtifacts of the whole run; `latest` keeps the highest id per name.
//
// GitHub's rules the stand-in keeps: artifact names are unique within a run ATTEMPT (a second
// CreateArtifact of a name the same attempt already created, finalized or not, is refused with
// 409 `already_exists` "an artifact with this name already exists on the workflow run", the
// error users of upload-artifact v4 see); a later attempt of the run ("Re-run jobs") may upload
// the same name again, and then the run lists BOTH (actions/toolkit#1592, which added
// `latest` for exactly that); `namesUniqueAcrossAttempts: true` models the stricter reading
// (409 across attempts too). Artifacts are immutable once finalized; sizes and sha256 are
// checked at finalize; lists show finalized artifacts only, of every job and attempt of the run.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'
import { inflateRawSync } from 'node:zlib'

export const TWIRP_SERVICE = 'github.actions.results.api.v1.ArtifactService'
export const TWIRP_METHODS = [
  'CreateArtifact',
  'FinalizeArtifact',
  'ListArtifacts',
  'GetSignedArtifactURL',
  'DeleteArtifact'
] as const
export type TwirpMethod = (typeof TWIRP_METHODS)[number]

/** The message GitHub answers a duplicate name with (409 `already_exists`). */
export const NAME_CONFLICT_MESSAGE = 'an artifact with this name already exists on the workflow run'

/** Twirp error codes and the HTTP status Twirp gives each. */
const TWIRP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  malformed: 400,
  out_of_range: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  aborted: 409,
  failed_precondition: 412,
  resource_exhausted: 429,
  internal: 500,
  unknown: 500,
  unimplemented: 501,
  unavailable: 503,
  deadline_exceeded: 504
}

function codeForStatus(status: number): string {
  const found = Object.entries(TWIRP_STATUS).find(([, s]) => s === status)
  return found ? found[0] : status >= 500 ? 'internal' : 'invalid_argument'
}

export interface JobIdentity {
  /** The workflow run's backend id (the real one is a UUID; any string without `:` or space). */
  runId: string
  /** The job's backend id; a re-run job gets a new one on GitHub, so give it a new one here. */
  jobId: string
  /** The run attempt (GITHUB_RUN_ATTEMPT), 1 for the first; carried in `tandem_attempt`. */
  attempt?: number
}

function base64url(value: string): string {
  return Buffer.from(value).toString('base64url')
}

/**
 * An ACTIONS_RUNTIME_TOKEN for one job: an unsigned JWT (`alg: none`), which is enough because
 * the client only decodes it. The scope list mimics the runner's.
 */
export function mintRuntimeToken(runId: string, jobId: string, attempt = 1): string {
  for (const id of [runId, jobId]) {
    if (!id || /[\s:]/.test(id)) throw new Error(`a backend id must be non-empty, no ':' or space`)
  }
  const now = Math.floor(Date.now() / 1000)
  const header = { typ: 'JWT', alg: 'none' }
  const claims = {
    scp: `Actions.ExampleScope Actions.Results:${runId}:${jobId}`,
    tandem_attempt: attempt,
    iss: 'tandem-artifact-stand-in',
    nbf: now - 60,
    exp: now + 6 * 3600
  }
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.`
}

/**
 * The environment a process needs for @actions/artifact to reach `resultsUrl` as one job:
 * merge it over process.env (it overrides the keys that would send the client elsewhere).
 */
export function artifactEnv(resultsUrl: string, job: JobIdentity): Record<string, string> {
  const attempt = job.attempt ?? 1
  return {
    ACTIONS_RUNTIME_TOKEN: mintRuntimeToken(job.runId, job.jobId, attempt),
    // The client keeps only the origin.
    ACTIONS_RESULTS_URL: new URL(resultsUrl).origin + '/',
    // Anything but github.com / *.ghe.com / *.localhost makes every call throw "GHES".
    GITHUB_SERVER_URL: 'https://github.com',
    // @actions/http-client and the Azure SDK both honour proxy variables; lower case wins.
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    // Not read by the client; Tandem's shard reads it to know it is a re-run.
    GITHUB_RUN_ATTEMPT: String(attempt)
  }
}

export interface ZipEntry {
  path: string
  size: number
  data: Buffer
}

export interface StoredArtifact {
  id: number
  runId: string
  jobId: string
  attempt: number
  name: string
  finalized: boolean
  /** Bytes of the committed blob (0 before a block list was committed). */
  size: number
  /** `sha256:<hex>` of the blob, set at finalize. */
  digest: string | undefined
  contentType: string | undefined
  mimeType: string | undefined
  expiresAt: string | undefined
  createdAt: Date
  blob: Buffer | undefined
  /** The zip's files (directories left out); empty when the blob is not a zip. */
  files: ZipEntry[]
}

interface ArtifactRecord {
  id: number
  runId: string
  jobId: string
  attempt: number
  name: string
  key: string
  writeSig: string
  readSig: string
  finalized: boolean
  deleted: boolean
  mimeType?: string
  expiresAt?: string
  createdAt: Date
  blocks: Map<string, Buffer>
  blob?: Buffer
  contentType?: string
  digest?: string
}

export interface FaultSpec {
  status?: number
  code?: string
  msg?: string
  /** How many calls in a row fail (default 1). */
  times?: number
}

interface Fault {
  status: number
  code: string
  msg: string
  times: number
}

export interface RecordedCall {
  kind: 'twirp' | 'blob'
  /** Twirp method, or `PUT block`, `PUT blocklist`, `PUT`, `GET` for blob storage. */
  method: string
  status: number
  /** Twirp: the job id of the caller's token. */
  jobId?: string
}

export interface ArtifactServiceOptions {
  /** The stricter reading of GitHub's rule: a name is refused in a later attempt too. */
  namesUniqueAcrossAttempts?: boolean
  /** First artifact id handed out (default 1001, so ids never look like list indices). */
  firstId?: number
}

export interface ArtifactStandIn {
  /** The origin, for ACTIONS_RESULTS_URL. */
  url: string
  /** artifactEnv for this server. */
  env(job: JobIdentity): Record<string, string>
  /** What is stored, in id order, including unfinalized and (unless asked not to) deleted. */
  stored(runId?: string, options?: { includeDeleted?: boolean }): StoredArtifact[]
  /** The next `times` calls of a Twirp method answer `status` (default 500 `internal`). */
  failNext(method: TwirpMethod, fault?: FaultSpec): void
  /** The next blob PUTs (a block, by default) fail; 500/503 are retried by the Azure SDK. */
  failNextBlobPut(fault?: FaultSpec & { comp?: 'block' | 'blocklist' | 'any' }): void
  /** The next blob GETs fail; the client retries a failed GET 5 times, 5 s apart. */
  failNextBlobGet(fault?: FaultSpec): void
  /** Every call answered, in order. */
  calls: RecordedCall[]
  close(): Promise<void>
}

/** The files of a zip archive (stored or deflated, no zip64): enough for what archiver writes. */
export function readZip(zip: Buffer): ZipEntry[] {
  let eocd = -1
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)')
  const count = zip.readUInt16LE(eocd + 10)
  let at = zip.readUInt32LE(eocd + 16)
  const entries: ZipEntry[] = []
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory')
    const method = zip.readUInt16LE(at + 10)
    const compressedSize = zip.readUInt32LE(at + 20)
    const size = zip.readUInt32LE(at + 24)
    const nameLength = zip.readUInt16LE(at + 28)
    const extraLength = zip.readUInt16LE(at + 30)
    const commentLength = zip.readUInt16LE(at + 32)
    const localOffset = zip.readUInt32LE(at + 42)
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength)
    at += 46 + nameLength + extraLength + commentLength
    if ([compressedSize, size, localOffset].includes(0xffffffff)) {
      throw new Error('zip64 archives are not supported by this reader')
    }
    if (name.endsWith('/')) continue
    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error('corrupt zip local header')
    const start =
      localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28)
    const raw = zip.subarray(start, start + compressedSize)
    let data: Buffer
    if (method === 0) data = Buffer.from(raw)
    else if (method === 8) data = inflateRawSync(raw)
    else throw new Error(`zip compression method ${method} is not supported by this reader`)
    if (data.length !== size) throw new Error(`zip entry ${name}: size mismatch`)
    entries.push({ path: name.replace(/^\/+/, ''), size, data })
  }
  return entries
}

class TwirpError extends Error {
  constructor(
    readonly code: string,
    msg: string
  ) {
    super(msg)
  }
}

interface Caller {
  runId: string
  jobId: string
  attempt: number
}

function callerOf(req: IncomingMessage): Caller {
  const auth = req.headers.authorization ?? ''
  const token = /^Bearer (.+)$/i.exec(auth)?.[1]
  if (!token) throw new TwirpError('unauthenticated', 'no bearer token')
  let claims: { scp?: unknown; tandem_attempt?: unknown }
  try {
    claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
  } catch {
    throw new TwirpError('unauthenticated', 'the token is not a JWT')
  }
  const scope = String(claims.scp ?? '')
    .split(' ')
    .map(s => s.split(':'))
    .find(parts => parts[0] === 'Actions.Results' && parts.length === 3)
  if (!scope) throw new TwirpError('unauthenticated', 'the token has no Actions.Results scope')
  const attempt = Number(claims.tandem_attempt ?? 1)
  return {
    runId: scope[1] ?? '',
    jobId: scope[2] ?? '',
    attempt: Number.isInteger(attempt) && attempt >= 1 ? attempt : 1
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function str(body: Record<string, unknown>, field: string): string {
  const value = body[field]
  return typeof value === 'string' ? value : ''
}

export async function startArtifactService(
  options: ArtifactServiceOptions = {}
): Promise<ArtifactStandIn> {
  const records: ArtifactRecord[] = []
  let nextId = options.firstId ?? 1001
  const twirpFaults = new Map<TwirpMethod, Fault>()
  let putFault: (Fault & { comp: 'block' | 'blocklist' | 'any' }) | undefined
  let getFault: Fault | undefined
  const calls: RecordedCall[] = []
  let origin = ''

  const live = () => records.filter(r => !r.deleted)

  const toFault = (fault: FaultSpec = {}): Fault => {
    const status = fault.status ?? 500
    return {
      status,
      code: fault.code ?? codeForStatus(status),
      msg: fault.msg ?? `injected fault (${status})`,
      times: fault.times ?? 1
    }
  }

  const signedUrl = (record: ArtifactRecord, sig: string, permissions: string): string => {
    const expiry = new Date(Date.now() + 3600_000).toISOString()
    const query = new URLSearchParams({ sv: '2023-11-03', se: expiry, sp: permissions, sig })
    return `${origin}/blob/${record.key}/${encodeURIComponent(record.name)}.zip?${query}`
  }

  const checkRun = (caller: Caller, body: Record<string, unknown>, sameJob: boolean): void => {
    if (str(body, 'workflow_run_backend_id') !== caller.runId) {
      throw new TwirpError('permission_denied', 'the token is not valid for this workflow run')
    }
    if (sameJob && str(body, 'workflow_job_run_backend_id') !== caller.jobId) {
      throw new TwirpError('permission_denied', 'the token is not valid for this job')
    }
  }

  const listEntry = (r: ArtifactRecord) => ({
    workflow_run_backend_id: r.runId,
    workflow_job_run_backend_id: r.jobId,
    database_id: String(r.id),
    name: r.name,
    size: String(r.blob?.length ?? 0),
    created_at: r.createdAt.toISOString(),
    ...(r.digest ? { digest: r.digest } : {})
  })

  const methods: Record<TwirpMethod, (c: Caller, b: Record<string, unknown>) => unknown> = {
    CreateArtifact(caller, body) {
      checkRun(caller, body, true)
      const name = str(body, 'name')
      if (!name) throw new TwirpError('invalid_argument', 'name is required')
      const clash = live().some(
        r =>
          r.runId === caller.runId &&
          r.name === name &&
          (options.namesUniqueAcrossAttempts || r.attempt === caller.attempt)
      )
      if (clash) throw new TwirpError('already_exists', NAME_CONFLICT_MESSAGE)
      const record: ArtifactRecord = {
        id: nextId++,
        runId: caller.runId,
        jobId: caller.jobId,
        attempt: caller.attempt,
        name,
        key: randomBytes(8).toString('hex'),
        writeSig: randomBytes(16).toString('base64url'),
        readSig: randomBytes(16).toString('base64url'),
        finalized: false,
        deleted: false,
        mimeType: typeof body.mime_type === 'string' ? body.mime_type : undefined,
        expiresAt: typeof body.expires_at === 'string' ? body.expires_at : undefined,
        createdAt: new Date(),
        blocks: new Map()
      }
      records.push(record)
      return { ok: true, signed_upload_url: signedUrl(record, record.writeSig, 'cw') }
    },
    FinalizeArtifact(caller, body) {
      checkRun(caller, body, true)
      const name = str(body, 'name')
      const record = live().find(
        r =>
          r.runId === caller.runId &&
          r.jobId === caller.jobId &&
          r.attempt === caller.attempt &&
          r.name === name
      )
      if (!record) throw new TwirpError('not_found', `artifact ${name} was not created by this job`)
      if (record.finalized) throw new TwirpError('already_exists', 'artifact is already finalized')
      if (!record.blob) throw new TwirpError('failed_precondition', 'no blob was committed')
      if (str(body, 'size') !== String(record.blob.length)) {
        throw new TwirpError(
          'invalid_argument',
          `size ${str(body, 'size')} does not match the uploaded ${record.blob.length} bytes`
        )
      }
      const digest = `sha256:${createHash('sha256').update(record.blob).digest('hex')}`
      const hash = body.hash
      if (hash !== undefined && hash !== digest) {
        throw new TwirpError('invalid_argument', `hash ${String(hash)} does not match the blob`)
      }
      record.digest = digest
      record.finalized = true
      record.blocks.clear()
      return { ok: true, artifact_id: String(record.id) }
    },
    ListArtifacts(caller, body) {
      checkRun(caller, body, false)
      const nameFilter = body.name_filter
      const idFilter = body.id_filter
      const artifacts = live()
        .filter(r => r.runId === caller.runId && r.finalized)
        .filter(r => nameFilter === undefined || r.name === nameFilter)
        .filter(r => idFilter === undefined || String(r.id) === String(idFilter))
        .map(listEntry)
      return { artifacts }
    },
    GetSignedArtifactURL(caller, body) {
      checkRun(caller, body, false)
      const jobId = str(body, 'workflow_job_run_backend_id')
      const name = str(body, 'name')
      const found = live()
        .filter(r => r.runId === caller.runId && r.jobId === jobId && r.name === name)
        .filter(r => r.finalized)
        .at(-1)
      if (!found) throw new TwirpError('not_found', `artifact ${name} not found`)
      return { signed_url: signedUrl(found, found.readSig, 'r') }
    },
    DeleteArtifact(caller, body) {
      checkRun(caller, body, false)
      const jobId = str(body, 'workflow_job_run_backend_id')
      const name = str(body, 'name')
      const found = live()
        .filter(r => r.runId === caller.runId && r.jobId === jobId && r.name === name)
        .filter(r => r.finalized)
        .at(-1)
      if (!found) throw new TwirpError('not_found', `artifact ${name} not found`)
      found.deleted = true
      return { ok: true, artifact_id: String(found.id) }
    }
  }

  const sendJson = (res: ServerResponse, status: number, value: unknown): void => {
    const text = JSON.stringify(value)
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text)
    })
    res.end(text)
  }

  const twirp = async (req: IncomingMessage, res: ServerResponse, method: string) => {
    const body = await readBody(req)
    let jobId: string | undefined
    const answer = (status: number, value: unknown) => {
      calls.push({ kind: 'twirp', method, status, ...(jobId ? { jobId } : {}) })
      sendJson(res, status, value)
    }
    try {
      if (req.method !== 'POST' || !(TWIRP_METHODS as readonly string[]).includes(method)) {
        throw new TwirpError('bad_route', `no handler for ${req.method} ${method}`)
      }
      const caller = callerOf(req)
      jobId = caller.jobId
      const fault = twirpFaults.get(method as TwirpMethod)
      if (fault) {
        if (--fault.times <= 0) twirpFaults.delete(method as TwirpMethod)
        answer(fault.status, { code: fault.code, msg: fault.msg })
        return
      }
      let parsed: unknown
      try {
        parsed = JSON.parse(body.toString('utf8') || '{}')
      } catch {
        throw new TwirpError('malformed', 'the body is not JSON')
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new TwirpError('malformed', 'the body is not a JSON object')
      }
      answer(200, methods[method as TwirpMethod](caller, parsed as Record<string, unknown>))
    } catch (error) {
      if (error instanceof TwirpError) {
        answer(TWIRP_STATUS[error.code] ?? 400, { code: error.code, msg: error.message })
      } else {
        answer(500, { code: 'internal', msg: String(error) })
      }
    }
  }

  const blobError = (res: ServerResponse, status: number, code: string, message: string) => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
    res.writeHead(status, {
      'content-type': 'application/xml',
      'x-ms-error-code': code,
      'content-length': Buffer.byteLength(xml)
    })
    res.end(xml)
  }

  const blobOk = (res: ServerResponse) => {
    res.writeHead(201, {
      'content-length': 0,
      etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
      'last-modified': new Date().toUTCString(),
      'x-ms-request-id': randomBytes(16).toString('hex'),
      'x-ms-version': '2023-11-03',
      'x-ms-request-server-encrypted': 'true'
    })
    res.end()
  }

  const blob = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const body = await readBody(req)
    const comp = url.searchParams.get('comp') ?? ''
    const label = req.method === 'PUT' ? `PUT${comp ? ` ${comp}` : ''}` : (req.method ?? '')
    let status = 0
    const done = (s: number) => {
      status = s
      calls.push({ kind: 'blob', method: label, status })
    }
    const key = url.pathname.split('/')[2] ?? ''
    const record = live().find(r => r.key === key)
    if (!record) {
      done(404)
      return blobError(res, 404, 'BlobNotFound', 'The specified blob does not exist.')
    }
    const sig = url.searchParams.get('sig')
    if (req.method === 'PUT') {
      if (sig !== record.writeSig) {
        done(403)
        return blobError(res, 403, 'AuthenticationFailed', 'Signature did not match.')
      }
      if (putFault && (putFault.comp === 'any' || putFault.comp === comp)) {
        const fault = putFault
        if (--fault.times <= 0) putFault = undefined
        done(fault.status)
        return blobError(res, fault.status, fault.code, fault.msg)
      }
      if (record.finalized) {
        done(409)
        return blobError(res, 409, 'BlobImmutable', 'The artifact is finalized and immutable.')
      }
      if (comp === 'block') {
        const blockId = url.searchParams.get('blockid')
        if (!blockId) {
          done(400)
          return blobError(res, 400, 'InvalidQueryParameterValue', 'blockid is missing.')
        }
        record.blocks.set(blockId, body)
        done(201)
        return blobOk(res)
      }
      if (comp === 'blocklist') {
        const ids = [
          ...body.toString('utf8').matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)
        ].map(m => m[2] ?? '')
        const parts: Buffer[] = []
        for (const id of ids) {
          const part = record.blocks.get(id)
          if (!part) {
            done(400)
            return blobError(res, 400, 'InvalidBlockList', `Block ${id} was never staged.`)
          }
          parts.push(part)
        }
        record.blob = Buffer.concat(parts)
        record.contentType = req.headers['x-ms-blob-content-type']?.toString()
        done(201)
        return blobOk(res)
      }
      if (comp === '') {
        record.blob = body
        record.contentType = req.headers['x-ms-blob-content-type']?.toString()
        done(201)
        return blobOk(res)
      }
      done(400)
      return blobError(res, 400, 'UnsupportedQueryParameter', `comp=${comp} is not supported.`)
    }
    if (req.method === 'GET') {
      if (sig !== record.readSig) {
        done(403)
        return blobError(res, 403, 'AuthenticationFailed', 'Signature did not match.')
      }
      if (getFault) {
        const fault = getFault
        if (--fault.times <= 0) getFault = undefined
        done(fault.status)
        return blobError(res, fault.status, fault.code, fault.msg)
      }
      if (!record.finalized || !record.blob) {
        done(404)
        return blobError(res, 404, 'BlobNotFound', 'The specified blob does not exist.')
      }
      const fileName = `${record.name}.zip`
      res.writeHead(200, {
        'content-type': record.contentType ?? 'application/octet-stream',
        'content-length': record.blob.length,
        'content-disposition': `attachment; filename="${fileName.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`
      })
      done(200)
      return res.end(record.blob)
    }
    done(405)
    return blobError(res, 405, 'UnsupportedHttpVerb', `${req.method} is not supported.`)
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const prefix = `/twirp/${TWIRP_SERVICE}/`
    const handle = url.pathname.startsWith(prefix)
      ? twirp(req, res, url.pathname.slice(prefix.length))
      : url.pathname.startsWith('/blob/')
        ? blob(req, res, url)
        : Promise.resolve().then(() => sendJson(res, 404, { code: 'bad_route', msg: url.pathname }))
    handle.catch(error => {
      if (!res.headersSent) sendJson(res, 500, { code: 'internal', msg: String(error) })
      else res.destroy()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: origin,
    env: job => artifactEnv(origin, job),
    stored(runId, opts = {}) {
      return records
        .filter(
          r => (runId === undefined || r.runId === runId) && (opts.includeDeleted || !r.deleted)
        )
        .map(r => {
          let files: ZipEntry[] = []
          if (r.blob && (r.contentType ?? '').startsWith('application/zip')) {
            files = readZip(r.blob)
          }
          return {
            id: r.id,
            runId: r.runId,
            jobId: r.jobId,
            attempt: r.attempt,
            name: r.name,
            finalized: r.finalized,
            size: r.blob?.length ?? 0,
            digest: r.digest,
            contentType: r.contentType,
            mimeType: r.mimeType,
            expiresAt: r.expiresAt,
            createdAt: r.createdAt,
            blob: r.blob,
            files
          }
        })
    },
    failNext(method, fault) {
      twirpFaults.set(method, toFault(fault))
    },
    failNextBlobPut(fault = {}) {
      putFault = { ...toFault(fault), comp: fault.comp ?? 'block' }
      if (!fault.code) putFault.code = 'InternalError'
    },
    failNextBlobGet(fault = {}) {
      getFault = toFault(fault)
      if (!fault.code) getFault.code = 'InternalError'
    },
    calls,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** One call of the unmodified client, run by runClientInChild. */
export type ClientStep =
  | { op: 'upload'; name: string; rootDirectory: string; files: string[]; retentionDays?: number }
  | { op: 'list'; latest?: boolean }
  | { op: 'download'; id: number; path: string }
  | { op: 'delete'; name: string }

export interface ChildOutcome {
  code: number | null
  /** The client's answer (ids as numbers, dates as strings), when it answered. */
  result?: unknown
  /** The error message, when it threw. */
  error?: string
  stdout: string
  stderr: string
}

const REPO_ROOT = path.join(import.meta.dirname, '..', '..')

// Runs in a fresh `node` with cwd = the repository, so `@actions/artifact` resolves from
// node_modules exactly as the bundled action's dependency would.
const CHILD_SCRIPT = `
const { DefaultArtifactClient } = await import('@actions/artifact')
const step = JSON.parse(process.env.TANDEM_ARTIFACT_STEP)
const client = new DefaultArtifactClient()
try {
  let result
  if (step.op === 'upload') {
    result = await client.uploadArtifact(step.name, step.files, step.rootDirectory,
      step.retentionDays ? { retentionDays: step.retentionDays } : {})
  } else if (step.op === 'list') {
    result = await client.listArtifacts({ latest: !!step.latest })
  } else if (step.op === 'download') {
    result = await client.downloadArtifact(step.id, { path: step.path })
  } else if (step.op === 'delete') {
    result = await client.deleteArtifact(step.name)
  }
  process.stdout.write('\\n@@result ' + JSON.stringify(result) + '\\n')
} catch (error) {
  process.stdout.write('\\n@@error ' + JSON.stringify(String(error && error.message)) + '\\n')
  process.exitCode = 1
}
`

/**
 * One client call in a child process acting as `job`: how shards and collect meet the
 * stand-in, each a process of its own with its own token.
 */
export function runClientInChild(
  standIn: Pick<ArtifactStandIn, 'env'>,
  job: JobIdentity,
  step: ClientStep
): Promise<ChildOutcome> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...standIn.env(job),
    TANDEM_ARTIFACT_STEP: JSON.stringify(step)
  }
  delete env.NODE_OPTIONS
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', code => {
      const outcome: ChildOutcome = { code, stdout, stderr }
      const result = /^@@result (.*)$/m.exec(stdout)?.[1]
      const error = /^@@error (.*)$/m.exec(stdout)?.[1]
      if (result !== undefined)
        outcome.result = result === 'undefined' ? undefined : JSON.parse(result)
      if (error !== undefined) outcome.error = JSON.parse(error) as string
      resolve(outcome)
    })
  })
}
