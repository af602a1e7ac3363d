import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest
} from '@jest/globals'
import { DefaultArtifactClient } from '@actions/artifact'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import {
  NAME_CONFLICT_MESSAGE,
  TWIRP_SERVICE,
  mintRuntimeToken,
  readZip,
  runClientInChild,
  startArtifactService,
  type ArtifactStandIn,
  type JobIdentity
} from './artifacts.js'

// The stand-ins are checked with the UNMODIFIED @actions/artifact client, in this process
// (the environment switched per "job") and in child processes (as shards and collect run).

let service: ArtifactStandIn
let work: string
const savedEnv = { ...process.env }

beforeAll(async () => {
  service = await startArtifactService()
  work = mkdtempSync(path.join(tmpdir(), 'tandem-artifact-stand-in-'))
})
afterAll(async () => {
  await service.close()
  rmSync(work, { recursive: true, force: true })
})

// The client writes ::add-mask:: and progress lines to stdout; keep the test output readable.
beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterEach(() => {
  jest.restoreAllMocks()
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key]
  Object.assign(process.env, savedEnv)
})

/** Makes this process act as `job` for the client (which reads the env at every call). */
function actAs(job: JobIdentity): DefaultArtifactClient {
  Object.assign(process.env, service.env(job))
  return new DefaultArtifactClient()
}

let dirs = 0
function filesDir(files: Record<string, string | Buffer>): { root: string; paths: string[] } {
  const root = path.join(work, `src-${++dirs}`)
  const paths = Object.entries(files).map(([name, content]) => {
    const file = path.join(root, name)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, content)
    return file
  })
  return { root, paths }
}

function freshDir(): string {
  return path.join(work, `out-${++dirs}`)
}

const BINARY = Buffer.from([0, 1, 2, 0xff, 0, 0x0a, 0x0d, 0, 0x7f, 0x80, 0])

async function twirp(
  method: string,
  body: Record<string, unknown>,
  token: string
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${service.url}/twirp/${TWIRP_SERVICE}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body)
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('artifact stand-ins with the unmodified client in-process', () => {
  it('carries an artifact from one job to another job of the run, byte for byte', async () => {
    const run = 'run-inproc'
    const { root, paths } = filesDir({
      'results.json': '[{"task":"a"}]\n',
      'patches/0001-a.patch': 'diff --git a/a b/a\n',
      'bin.patch': BINARY
    })
    const uploaded = await actAs({ runId: run, jobId: 'job-a' }).uploadArtifact(
      'tandem-shard-1',
      paths,
      root
    )
    expect(uploaded.id).toBeGreaterThan(1000)

    const reader = actAs({ runId: run, jobId: 'job-b' })
    const { artifacts } = await reader.listArtifacts()
    expect(artifacts).toHaveLength(1)
    expect(artifacts[0]).toMatchObject({ name: 'tandem-shard-1', id: uploaded.id })
    expect(artifacts[0]?.size).toBe(uploaded.size)
    expect(artifacts[0]?.digest).toBe(`sha256:${uploaded.digest}`)

    const out = freshDir()
    const got = await reader.downloadArtifact(uploaded.id!, {
      path: out,
      expectedHash: artifacts[0]?.digest
    })
    expect(got).toEqual({ downloadPath: out, digestMismatch: false })
    expect(readFileSync(path.join(out, 'results.json'), 'utf8')).toBe('[{"task":"a"}]\n')
    expect(readFileSync(path.join(out, 'patches', '0001-a.patch'), 'utf8')).toBe(
      'diff --git a/a b/a\n'
    )
    expect(readFileSync(path.join(out, 'bin.patch')).equals(BINARY)).toBe(true)

    const [stored] = service.stored(run)
    expect(stored).toMatchObject({
      id: uploaded.id,
      jobId: 'job-a',
      attempt: 1,
      name: 'tandem-shard-1',
      finalized: true,
      size: uploaded.size,
      contentType: 'application/zip',
      mimeType: 'application/zip',
      expiresAt: undefined
    })
    expect(stored?.digest).toBe(
      `sha256:${createHash('sha256').update(stored!.blob!).digest('hex')}`
    )
    expect(stored?.files.map(f => [f.path, f.size]).sort()).toEqual([
      ['bin.patch', BINARY.length],
      ['patches/0001-a.patch', 19],
      ['results.json', 15]
    ])
    expect(stored?.files.find(f => f.path === 'bin.patch')?.data.equals(BINARY)).toBe(true)
    // The protocol as the client spoke it.
    expect(
      service.calls.filter(c => c.kind === 'twirp').map(c => `${c.method} ${c.status}`)
    ).toEqual([
      'CreateArtifact 200',
      'FinalizeArtifact 200',
      'ListArtifacts 200',
      'ListArtifacts 200',
      'GetSignedArtifactURL 200'
    ])
  })

  it('refuses a second artifact of the same name in the same run attempt (409 already_exists)', async () => {
    const run = 'run-dup'
    const { root, paths } = filesDir({ 'f.txt': 'one' })
    await actAs({ runId: run, jobId: 'job-a' }).uploadArtifact('same', paths, root)
    await expect(
      actAs({ runId: run, jobId: 'job-b' }).uploadArtifact('same', paths, root)
    ).rejects.toThrow(
      `Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: ${NAME_CONFLICT_MESSAGE}`
    )
    expect(service.stored(run)).toHaveLength(1)
    // The same name in another run is another artifact.
    await actAs({ runId: 'run-dup-other', jobId: 'job-a' }).uploadArtifact('same', paths, root)
    expect(service.stored('run-dup-other')).toHaveLength(1)
  })

  it('lets a later attempt upload the same name; the run lists both, `latest` the newest', async () => {
    const run = 'run-rerun'
    const first = filesDir({ 'results.json': 'attempt 1' })
    const second = filesDir({ 'results.json': 'attempt 2' })
    const a1 = await actAs({ runId: run, jobId: 'job-1' }).uploadArtifact(
      'tandem-shard-2',
      first.paths,
      first.root
    )
    const a2 = await actAs({ runId: run, jobId: 'job-1-rerun', attempt: 2 }).uploadArtifact(
      'tandem-shard-2',
      second.paths,
      second.root
    )
    expect(a2.id).toBeGreaterThan(a1.id!)
    const reader = actAs({ runId: run, jobId: 'collect', attempt: 2 })
    expect((await reader.listArtifacts()).artifacts.map(a => a.id)).toEqual([a1.id, a2.id])
    expect((await reader.listArtifacts({ latest: true })).artifacts.map(a => a.id)).toEqual([a2.id])
    const out = freshDir()
    await reader.downloadArtifact(a1.id!, { path: out })
    expect(readFileSync(path.join(out, 'results.json'), 'utf8')).toBe('attempt 1')
  })

  it('can model names unique across attempts too', async () => {
    const strict = await startArtifactService({ namesUniqueAcrossAttempts: true })
    try {
      const { root, paths } = filesDir({ 'f.txt': 'x' })
      Object.assign(process.env, strict.env({ runId: 'r', jobId: 'j1' }))
      await new DefaultArtifactClient().uploadArtifact('n', paths, root)
      Object.assign(process.env, strict.env({ runId: 'r', jobId: 'j2', attempt: 2 }))
      await expect(new DefaultArtifactClient().uploadArtifact('n', paths, root)).rejects.toThrow(
        '(409) Conflict'
      )
    } finally {
      await strict.close()
    }
  })

  it('deletes through the client', async () => {
    const run = 'run-delete'
    const { root, paths } = filesDir({ 'f.txt': 'x' })
    const client = actAs({ runId: run, jobId: 'j' })
    const { id } = await client.uploadArtifact('gone', paths, root)
    expect(await client.deleteArtifact('gone')).toEqual({ id })
    expect((await client.listArtifacts()).artifacts).toEqual([])
    expect(service.stored(run)).toEqual([])
    expect(service.stored(run, { includeDeleted: true })).toHaveLength(1)
  })

  it('keeps runs apart and refuses a body that names another run or job', async () => {
    const { root, paths } = filesDir({ 'f.txt': 'x' })
    await actAs({ runId: 'run-x', jobId: 'j' }).uploadArtifact('mine', paths, root)
    expect((await actAs({ runId: 'run-y', jobId: 'j' }).listArtifacts()).artifacts).toEqual([])

    const token = mintRuntimeToken('run-y', 'j')
    const otherRun = await twirp(
      'ListArtifacts',
      { workflow_run_backend_id: 'run-x', workflow_job_run_backend_id: 'j' },
      token
    )
    expect(otherRun).toEqual({
      status: 403,
      body: { code: 'permission_denied', msg: 'the token is not valid for this workflow run' }
    })
    const otherJob = await twirp(
      'CreateArtifact',
      { workflow_run_backend_id: 'run-y', workflow_job_run_backend_id: 'k', name: 'n' },
      token
    )
    expect(otherJob.status).toBe(403)
    const noToken = await fetch(`${service.url}/twirp/${TWIRP_SERVICE}/ListArtifacts`, {
      method: 'POST',
      body: '{}'
    })
    expect(noToken.status).toBe(401)
    expect(await noToken.json()).toEqual({ code: 'unauthenticated', msg: 'no bearer token' })
    const badRoute = await twirp('Nope', {}, token)
    expect(badRoute.status).toBe(404)
    expect(badRoute.body.code).toBe('bad_route')
  })
})

describe('artifact stand-ins at the protocol level', () => {
  const run = 'run-raw'
  const job = 'job-raw'
  const token = mintRuntimeToken(run, job)
  const ids = { workflow_run_backend_id: run, workflow_job_run_backend_id: job }

  async function create(name: string): Promise<string> {
    const res = await twirp('CreateArtifact', { ...ids, name, version: 7 }, token)
    expect(res.status).toBe(200)
    expect(res.body.ok).toBe(true)
    return res.body.signed_upload_url as string
  }

  function blockUrl(url: string, blockId: string): string {
    const u = new URL(url)
    u.searchParams.set('comp', 'block')
    u.searchParams.set('blockid', blockId)
    return u.href
  }

  function listUrl(url: string): string {
    const u = new URL(url)
    u.searchParams.set('comp', 'blocklist')
    return u.href
  }

  const blockList = (...blockIds: string[]) =>
    `<?xml version="1.0" encoding="utf-8"?><BlockList>${blockIds.map(b => `<Latest>${b}</Latest>`).join('')}</BlockList>`

  it('joins blocks in the order of the block list, keeps the content type, checks at finalize', async () => {
    const url = await create('raw-1')
    const a = Buffer.from('AAAA')
    const b = Buffer.from([0, 0, 0xfe])
    // Staged out of order; the list decides.
    expect((await fetch(blockUrl(url, 'YmxrMg=='), { method: 'PUT', body: b })).status).toBe(201)
    expect((await fetch(blockUrl(url, 'YmxrMQ=='), { method: 'PUT', body: a })).status).toBe(201)
    const commit = await fetch(listUrl(url), {
      method: 'PUT',
      headers: { 'x-ms-blob-content-type': 'application/octet-stream' },
      body: blockList('YmxrMQ==', 'YmxrMg==')
    })
    expect(commit.status).toBe(201)
    const blob = Buffer.concat([a, b])
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`

    const wrongSize = await twirp('FinalizeArtifact', { ...ids, name: 'raw-1', size: '6' }, token)
    expect(wrongSize.status).toBe(400)
    expect(wrongSize.body.code).toBe('invalid_argument')
    const wrongHash = await twirp(
      'FinalizeArtifact',
      { ...ids, name: 'raw-1', size: '7', hash: 'sha256:00' },
      token
    )
    expect(wrongHash.status).toBe(400)
    const ok = await twirp(
      'FinalizeArtifact',
      { ...ids, name: 'raw-1', size: '7', hash: digest },
      token
    )
    expect(ok).toEqual({ status: 200, body: { ok: true, artifact_id: expect.any(String) } })
    const again = await twirp('FinalizeArtifact', { ...ids, name: 'raw-1', size: '7' }, token)
    expect(again.status).toBe(409)

    // Immutable once finalized.
    const late = await fetch(blockUrl(url, 'YmxrMw=='), { method: 'PUT', body: 'x' })
    expect(late.status).toBe(409)
    expect(late.headers.get('x-ms-error-code')).toBe('BlobImmutable')

    const listed = await twirp('ListArtifacts', { ...ids, name_filter: 'raw-1' }, token)
    expect(listed.body.artifacts).toEqual([
      {
        ...ids,
        database_id: ok.body.artifact_id,
        name: 'raw-1',
        size: '7',
        created_at: expect.any(String),
        digest
      }
    ])
    const signed = await twirp('GetSignedArtifactURL', { ...ids, name: 'raw-1' }, token)
    const download = await fetch(signed.body.signed_url as string)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('application/octet-stream')
    expect(Buffer.from(await download.arrayBuffer()).equals(blob)).toBe(true)
    // The upload URL does not read, the download URL does not write.
    expect((await fetch(url)).status).toBe(403)
    expect(
      (
        await fetch(blockUrl(signed.body.signed_url as string, 'eA=='), {
          method: 'PUT',
          body: 'x'
        })
      ).status
    ).toBe(403)
  })

  it('refuses a block list naming a block never staged, and a finalize without a blob', async () => {
    const url = await create('raw-2')
    const commit = await fetch(listUrl(url), { method: 'PUT', body: blockList('bm9wZQ==') })
    expect(commit.status).toBe(400)
    expect(commit.headers.get('x-ms-error-code')).toBe('InvalidBlockList')
    const finalize = await twirp('FinalizeArtifact', { ...ids, name: 'raw-2', size: '0' }, token)
    expect(finalize).toEqual({
      status: 412,
      body: { code: 'failed_precondition', msg: 'no blob was committed' }
    })
    // Not finalized: not listed, not downloadable, but its name is taken in this attempt.
    const listed = await twirp('ListArtifacts', { ...ids, name_filter: 'raw-2' }, token)
    expect(listed.body.artifacts).toEqual([])
    const dup = await twirp('CreateArtifact', { ...ids, name: 'raw-2' }, token)
    expect(dup.status).toBe(409)
  })

  it('reads a stored zip entry (deflated ones: see above) and refuses what is not a zip', () => {
    // Built by hand (method 0), a cross-check of the reader the first test uses on archiver's zips.
    const name = Buffer.from('x.txt')
    const data = Buffer.from('hello')
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(name.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(name.length, 28)
    const eocd = Buffer.alloc(22)
    eocd.writeUInt32LE(0x06054b50, 0)
    eocd.writeUInt16LE(1, 10)
    eocd.writeUInt32LE(30 + name.length + data.length, 16)
    const zip = Buffer.concat([local, name, data, central, name, eocd])
    expect(readZip(zip)).toEqual([{ path: 'x.txt', size: 5, data }])
    expect(() => readZip(Buffer.from('not a zip at all, not at all'))).toThrow('not a zip')
  })
})

describe('artifact stand-ins: fault injection', () => {
  it('fails the next call of a method (404 at once)', async () => {
    const { root, paths } = filesDir({ 'f.txt': 'x' })
    const client = actAs({ runId: 'run-fault', jobId: 'j' })
    service.failNext('CreateArtifact', { status: 404, msg: 'no such run' })
    await expect(client.uploadArtifact('f1', paths, root)).rejects.toThrow(
      'Failed to CreateArtifact: Received non-retryable error: Failed request: (404) Not Found: no such run'
    )
    // Only the next call.
    await expect(client.uploadArtifact('f1', paths, root)).resolves.toMatchObject({
      id: expect.any(Number)
    })
    service.failNext('GetSignedArtifactURL', { status: 404 })
    const { artifacts } = await client.listArtifacts()
    await expect(client.downloadArtifact(artifacts[0]!.id, { path: freshDir() })).rejects.toThrow(
      'Failed to GetSignedArtifactURL: Received non-retryable error: Failed request: (404) Not Found: injected fault (404)'
    )
  })

  it('a 500 is retried by the client (after 3 s)', async () => {
    const client = actAs({ runId: 'run-fault-500', jobId: 'j' })
    service.failNext('ListArtifacts', { status: 500 })
    const before = service.calls.length
    await expect(client.listArtifacts()).resolves.toEqual({ artifacts: [] })
    expect(service.calls.slice(before).map(c => `${c.method} ${c.status}`)).toEqual([
      'ListArtifacts 500',
      'ListArtifacts 200'
    ])
  })

  it('a blob PUT failing once is retried by the storage SDK, and the artifact is whole', async () => {
    const { root, paths } = filesDir({ 'results.json': '[]', 'bin.patch': BINARY })
    const client = actAs({ runId: 'run-fault-blob', jobId: 'j' })
    service.failNextBlobPut()
    const before = service.calls.length
    const { id } = await client.uploadArtifact('b', paths, root)
    expect(
      service.calls
        .slice(before)
        .filter(c => c.kind === 'blob')
        .map(c => `${c.method} ${c.status}`)
    ).toEqual(['PUT block 500', 'PUT block 201', 'PUT blocklist 201'])
    const out = freshDir()
    await client.downloadArtifact(id!, { path: out })
    expect(readFileSync(path.join(out, 'bin.patch')).equals(BINARY)).toBe(true)
  })

  it('a blob PUT failing for good fails the upload; the name stays taken in that attempt', async () => {
    const { root, paths } = filesDir({ 'f.txt': 'x' })
    const client = actAs({ runId: 'run-fault-blob-hard', jobId: 'j' })
    service.failNextBlobPut({ status: 403, code: 'AuthorizationFailure', msg: 'nope' })
    await expect(client.uploadArtifact('hard', paths, root)).rejects.toThrow()
    expect(service.stored('run-fault-blob-hard')).toMatchObject([
      { name: 'hard', finalized: false }
    ])
    await expect(client.uploadArtifact('hard', paths, root)).rejects.toThrow('(409) Conflict')
  })
})

describe('artifact stand-ins with the client in child processes', () => {
  it('a shard process uploads, a collect process lists and downloads', async () => {
    const run = 'run-child'
    const shard1 = filesDir({ 'results.json': '[1]', 'bin.patch': BINARY })
    const shard2 = filesDir({ 'results.json': '[2]' })
    const [up1, up2] = await Promise.all([
      runClientInChild(
        service,
        { runId: run, jobId: 'shard-1' },
        {
          op: 'upload',
          name: 'tandem-shard-1',
          rootDirectory: shard1.root,
          files: shard1.paths
        }
      ),
      runClientInChild(
        service,
        { runId: run, jobId: 'shard-2' },
        {
          op: 'upload',
          name: 'tandem-shard-2',
          rootDirectory: shard2.root,
          files: shard2.paths
        }
      )
    ])
    expect(up1).toMatchObject({ code: 0, result: { id: expect.any(Number) } })
    expect(up2).toMatchObject({ code: 0, result: { id: expect.any(Number) } })
    expect(
      service
        .stored(run)
        .map(a => [a.name, a.jobId])
        .sort()
    ).toEqual([
      ['tandem-shard-1', 'shard-1'],
      ['tandem-shard-2', 'shard-2']
    ])

    const collect = { runId: run, jobId: 'collect' }
    const listed = await runClientInChild(service, collect, { op: 'list', latest: true })
    expect(listed.code).toBe(0)
    const artifacts = (listed.result as { artifacts: { id: number; name: string }[] }).artifacts
    expect(artifacts.map(a => a.name).sort()).toEqual(['tandem-shard-1', 'tandem-shard-2'])
    const id1 = artifacts.find(a => a.name === 'tandem-shard-1')!.id
    const out = freshDir()
    const down = await runClientInChild(service, collect, { op: 'download', id: id1, path: out })
    expect(down).toMatchObject({ code: 0, result: { downloadPath: out } })
    expect(readFileSync(path.join(out, 'bin.patch')).equals(BINARY)).toBe(true)
    expect(readFileSync(path.join(out, 'results.json'), 'utf8')).toBe('[1]')
  })

  it('reports the client error of a child', async () => {
    service.failNext('ListArtifacts', { status: 403, msg: 'forbidden here' })
    const listed = await runClientInChild(
      service,
      { runId: 'run-child-err', jobId: 'c' },
      {
        op: 'list'
      }
    )
    expect(listed.code).toBe(1)
    expect(listed.error).toContain('(403) Forbidden: forbidden here')
  })
})
