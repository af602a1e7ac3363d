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
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import {
  downloadArtifact,
  globToRegExp,
  listRunArtifacts,
  naturalCompare,
  uploadShardArtifact
} from '../../src/github/artifacts.js'
import {
  startArtifactService,
  type ArtifactStandIn,
  type JobIdentity
} from '../harness/artifacts.js'

// Fan-out's artifact I/O against the loopback results service + blob storage, with the
// unmodified @actions/artifact client. One process plays several jobs of one run by switching
// the environment (the client reads it at every call); one test runs a shard as its own process.

let service: ArtifactStandIn
let work: string
const savedEnv = { ...process.env }

beforeAll(async () => {
  service = await startArtifactService()
  work = mkdtempSync(path.join(tmpdir(), 'tandem-artifacts-'))
})
afterAll(async () => {
  await service.close()
  rmSync(work, { recursive: true, force: true })
})
beforeEach(() => {
  // The client prints progress and ::add-mask:: lines.
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterEach(() => {
  jest.restoreAllMocks()
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key]
  Object.assign(process.env, savedEnv)
})

function actAs(job: JobIdentity): void {
  Object.assign(process.env, service.env(job))
}

let dirs = 0
/** A shard's output directory: results.json and its patches. */
function shardOutput(files: Record<string, string | Buffer>): { root: string; paths: string[] } {
  const root = path.join(work, `shard-${++dirs}`)
  const paths = Object.entries(files).map(([name, content]) => {
    const file = path.join(root, name)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, content)
    return file
  })
  return { root, paths }
}

function freshDir(): string {
  return path.join(work, `download-${++dirs}`)
}

/** Every file under `dir`, relative path → bytes. */
function readTree(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {}
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const full = path.join(entry.parentPath, entry.name)
    out[path.relative(dir, full)] = readFileSync(full)
  }
  return out
}

// A git binary patch carries NUL bytes only inside the payload; this one is raw bytes throughout.
const BINARY_PATCH = Buffer.concat([
  Buffer.from('diff --git a/logo.png b/logo.png\nGIT binary patch\nliteral 6\n'),
  Buffer.from([0, 0x89, 0x50, 0x4e, 0x47, 0, 0, 0xff, 0x0d, 0x0a, 0x1a, 0]),
  Buffer.from('\n')
])
const TEXT_PATCH =
  'diff --git a/src/a.js b/src/a.js\n--- a/src/a.js\n+++ b/src/a.js\n@@ -1 +1 @@\n-x\n+y\n'

describe('fan-out artifacts across jobs of one run', () => {
  it('two shard jobs upload, a third job lists and downloads both byte for byte', async () => {
    const run = 'run-fanout'
    const shard1 = shardOutput({
      'results.json': '[{"task":"src/a.js","status":"ok","patch":"0001-src-a.js.patch"}]\n',
      '0001-src-a.js.patch': TEXT_PATCH
    })
    const shard2 = shardOutput({
      'results.json': '[{"task":"logo.png","status":"ok","patch":"0001-logo.png.patch"}]\n',
      '0001-logo.png.patch': BINARY_PATCH
    })
    actAs({ runId: run, jobId: 'shard-job-1' })
    const up1 = await uploadShardArtifact('tandem-shard-1', shard1.root, shard1.paths)
    actAs({ runId: run, jobId: 'shard-job-2' })
    const up2 = await uploadShardArtifact('tandem-shard-2', shard2.root, shard2.paths)
    expect(up1).toEqual({
      id: expect.any(Number),
      size: expect.any(Number),
      name: 'tandem-shard-1'
    })
    expect(up2.name).toBe('tandem-shard-2')
    expect(service.stored(run).map(a => [a.name, a.jobId, a.size])).toEqual([
      ['tandem-shard-1', 'shard-job-1', up1.size],
      ['tandem-shard-2', 'shard-job-2', up2.size]
    ])

    actAs({ runId: run, jobId: 'collect-job' })
    const listed = await listRunArtifacts('tandem-shard-*')
    expect(listed).toEqual([
      {
        id: up1.id,
        name: 'tandem-shard-1',
        size: up1.size,
        storedName: 'tandem-shard-1',
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/)
      },
      {
        id: up2.id,
        name: 'tandem-shard-2',
        size: up2.size,
        storedName: 'tandem-shard-2',
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/)
      }
    ])

    const dir1 = freshDir()
    const dir2 = freshDir()
    expect(await downloadArtifact(up1.id, dir1)).toBe(dir1)
    expect(await downloadArtifact(up2.id, dir2)).toBe(dir2)
    expect(readTree(dir1)).toEqual({
      'results.json': readFileSync(shard1.paths[0]!),
      '0001-src-a.js.patch': Buffer.from(TEXT_PATCH)
    })
    const tree2 = readTree(dir2)
    expect(Object.keys(tree2).sort()).toEqual(['0001-logo.png.patch', 'results.json'])
    expect(tree2['0001-logo.png.patch']!.equals(BINARY_PATCH)).toBe(true)
  })

  it('keeps subdirectories of the root directory', async () => {
    const out = shardOutput({ 'results.json': '[]', 'patches/0001-a.patch': TEXT_PATCH })
    actAs({ runId: 'run-subdir', jobId: 'j' })
    const { id } = await uploadShardArtifact('tandem-shard-1', out.root, out.paths)
    const dir = freshDir()
    await downloadArtifact(id, dir)
    expect(Object.keys(readTree(dir)).sort()).toEqual([
      path.join('patches', '0001-a.patch'),
      'results.json'
    ])
  })

  it('lists in natural order and leaves out names the pattern does not match', async () => {
    const run = 'run-order'
    const out = shardOutput({ 'results.json': '[]' })
    const names = [
      'tandem-shard-10',
      'tandem-shard-2',
      'other-artifact',
      'tandem-shard-1',
      'my-tandem-shard-3',
      'tandem-shardx',
      'tandem-shard-11',
      'tandem-shard-9'
    ]
    for (const [i, name] of names.entries()) {
      actAs({ runId: run, jobId: `job-${i}` })
      await uploadShardArtifact(name, out.root, out.paths)
    }
    actAs({ runId: run, jobId: 'collect' })
    expect((await listRunArtifacts('tandem-shard-*')).map(a => a.name)).toEqual([
      'tandem-shard-1',
      'tandem-shard-2',
      'tandem-shard-9',
      'tandem-shard-10',
      'tandem-shard-11'
    ])
    expect((await listRunArtifacts('tandem-shard-?')).map(a => a.name)).toEqual([
      'tandem-shard-1',
      'tandem-shard-2',
      'tandem-shard-9'
    ])
    expect(await listRunArtifacts('nothing-*')).toEqual([])
    // Another run's artifacts are not this run's.
    actAs({ runId: 'run-order-other', jobId: 'collect' })
    expect(await listRunArtifacts('tandem-shard-*')).toEqual([])
  })

  it('a re-run shard (second attempt, same name) supersedes the first attempt', async () => {
    const run = 'run-rerun'
    const first = shardOutput({ 'results.json': '[{"status":"fail"}]' })
    const second = shardOutput({ 'results.json': '[{"status":"ok"}]', '0001-a.patch': TEXT_PATCH })
    const other = shardOutput({ 'results.json': '[{"shard":2}]' })
    actAs({ runId: run, jobId: 'shard-1-attempt-1' })
    const old = await uploadShardArtifact('tandem-shard-1', first.root, first.paths)
    actAs({ runId: run, jobId: 'shard-2-attempt-1' })
    const kept = await uploadShardArtifact('tandem-shard-2', other.root, other.paths)
    // "Re-run failed jobs": only shard 1 runs again, in attempt 2, as a new job.
    actAs({ runId: run, jobId: 'shard-1-attempt-2', attempt: 2 })
    const again = await uploadShardArtifact('tandem-shard-1', second.root, second.paths)
    expect(again.name).toBe('tandem-shard-1')
    expect(service.stored(run).filter(a => a.name === 'tandem-shard-1')).toHaveLength(2)

    actAs({ runId: run, jobId: 'collect-attempt-2', attempt: 2 })
    const listed = await listRunArtifacts('tandem-shard-*')
    expect(listed.map(a => [a.name, a.id])).toEqual([
      ['tandem-shard-1', again.id],
      ['tandem-shard-2', kept.id]
    ])
    expect(listed.map(a => a.id)).not.toContain(old.id)
    const dir = freshDir()
    await downloadArtifact(again.id, dir)
    expect(readFileSync(path.join(dir, 'results.json'), 'utf8')).toBe('[{"status":"ok"}]')
  })

  it('where a re-run may not reuse the name, uploads name-attempt-N and lists it as the shard', async () => {
    const strict = await startArtifactService({ namesUniqueAcrossAttempts: true })
    try {
      const run = 'run-strict'
      const as = (job: JobIdentity) => Object.assign(process.env, strict.env(job))
      const first = shardOutput({ 'results.json': 'attempt 1' })
      const second = shardOutput({ 'results.json': 'attempt 2' })
      const third = shardOutput({ 'results.json': 'attempt 3' })
      as({ runId: run, jobId: 's1' })
      await uploadShardArtifact('tandem-shard-4', first.root, first.paths)
      as({ runId: run, jobId: 's2', attempt: 2 })
      const a2 = await uploadShardArtifact('tandem-shard-4', second.root, second.paths)
      expect(a2.name).toBe('tandem-shard-4-attempt-2')
      as({ runId: run, jobId: 's3', attempt: 3 })
      const a3 = await uploadShardArtifact('tandem-shard-4', third.root, third.paths)
      expect(a3.name).toBe('tandem-shard-4-attempt-3')

      as({ runId: run, jobId: 'collect', attempt: 3 })
      const listed = await listRunArtifacts('tandem-shard-*')
      expect(listed).toEqual([
        expect.objectContaining({
          id: a3.id,
          name: 'tandem-shard-4',
          storedName: 'tandem-shard-4-attempt-3'
        })
      ])
      const dir = freshDir()
      await downloadArtifact(a3.id, dir)
      expect(readFileSync(path.join(dir, 'results.json'), 'utf8')).toBe('attempt 3')
    } finally {
      await strict.close()
    }
  })

  it('a shard run as its own process uploads; this process collects it', async () => {
    const run = 'run-child'
    const out = shardOutput({ 'results.json': '[]', '0001-logo.png.patch': BINARY_PATCH })
    const script = `
      const { uploadShardArtifact } = await import(${JSON.stringify(
        path.join(import.meta.dirname, '..', '..', 'src', 'github', 'artifacts.ts')
      )})
      const r = await uploadShardArtifact('tandem-shard-5', ${JSON.stringify(out.root)}, ${JSON.stringify(out.paths)})
      process.stdout.write('\\n@@result ' + JSON.stringify(r) + '\\n')
    `
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...service.env({ runId: run, jobId: 'shard-5' })
    }
    delete env.NODE_OPTIONS
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: path.join(import.meta.dirname, '..', '..'), env, stdio: ['ignore', 'pipe', 'pipe'] }
      )
      let text = ''
      let err = ''
      child.stdout.on('data', (c: Buffer) => (text += c.toString()))
      child.stderr.on('data', (c: Buffer) => (err += c.toString()))
      child.on('error', reject)
      child.on('close', code =>
        code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${err}`))
      )
    })
    const uploaded = JSON.parse(/^@@result (.*)$/m.exec(stdout)![1]!) as { id: number }
    actAs({ runId: run, jobId: 'collect' })
    const [listed] = await listRunArtifacts('tandem-shard-*')
    expect(listed).toMatchObject({ id: uploaded.id, name: 'tandem-shard-5' })
    const dir = freshDir()
    await downloadArtifact(uploaded.id, dir)
    expect(readFileSync(path.join(dir, '0001-logo.png.patch')).equals(BINARY_PATCH)).toBe(true)
  })
})

describe('fan-out artifacts: failures name the artifact', () => {
  it('an upload refused by the service', async () => {
    const out = shardOutput({ 'results.json': '[]' })
    actAs({ runId: 'run-f1', jobId: 'j' })
    service.failNext('CreateArtifact', { status: 403, msg: 'artifact storage is disabled' })
    await expect(uploadShardArtifact('tandem-shard-7', out.root, out.paths)).rejects.toThrow(
      'Uploading artifact tandem-shard-7 failed: Failed to CreateArtifact: Received non-retryable ' +
        'error: Failed request: (403) Forbidden: artifact storage is disabled'
    )
  })

  it('a finalize refused by the service', async () => {
    const out = shardOutput({ 'results.json': '[]' })
    actAs({ runId: 'run-f2', jobId: 'j' })
    service.failNext('FinalizeArtifact', { status: 400, msg: 'size mismatch' })
    await expect(uploadShardArtifact('tandem-shard-8', out.root, out.paths)).rejects.toThrow(
      /^Uploading artifact tandem-shard-8 failed: Failed to FinalizeArtifact: .*\(400\).*size mismatch$/
    )
  })

  it('a blob storage failure that the storage SDK gives up on', async () => {
    const out = shardOutput({ 'results.json': '[]' })
    actAs({ runId: 'run-f3', jobId: 'j' })
    service.failNextBlobPut({ status: 403, code: 'AuthorizationFailure', msg: 'expired' })
    await expect(uploadShardArtifact('tandem-shard-9', out.root, out.paths)).rejects.toThrow(
      'Uploading artifact tandem-shard-9 failed: blob storage answered 403: expired'
    )
  })

  it('two jobs of one attempt uploading the same shard name', async () => {
    const out = shardOutput({ 'results.json': '[]' })
    actAs({ runId: 'run-f4', jobId: 'a' })
    await uploadShardArtifact('tandem-shard-1', out.root, out.paths)
    actAs({ runId: 'run-f4', jobId: 'b' })
    await expect(uploadShardArtifact('tandem-shard-1', out.root, out.paths)).rejects.toThrow(
      /^Uploading artifact tandem-shard-1 failed: .*\(409\) Conflict: an artifact with this name already exists on the workflow run \(another job of this run uploaded it first/
    )
  })

  it('files outside the root directory, or none', async () => {
    const out = shardOutput({ 'results.json': '[]' })
    // A sibling whose path starts with the root's string (…/shard-N1 for …/shard-N) is outside
    // too, though the client's own check (a string prefix) would take it.
    const sibling = path.join(`${out.root}1`, 'x.patch')
    mkdirSync(path.dirname(sibling), { recursive: true })
    writeFileSync(sibling, 'x')
    actAs({ runId: 'run-f5', jobId: 'j' })
    const before = service.calls.length
    await expect(uploadShardArtifact('tandem-shard-1', out.root, [sibling])).rejects.toThrow(
      /^Uploading artifact tandem-shard-1 failed: .* is not an absolute path under /
    )
    await expect(uploadShardArtifact('tandem-shard-1', out.root, ['results.json'])).rejects.toThrow(
      'is not an absolute path under'
    )
    await expect(uploadShardArtifact('tandem-shard-1', out.root, [])).rejects.toThrow(
      'Uploading artifact tandem-shard-1 failed: no files to upload'
    )
    expect(service.calls.length).toBe(before)
  })

  it('a list refused by the service', async () => {
    actAs({ runId: 'run-f6', jobId: 'j' })
    service.failNext('ListArtifacts', { status: 403, msg: 'no' })
    await expect(listRunArtifacts('tandem-shard-*')).rejects.toThrow(
      "Listing this run's artifacts (tandem-shard-*) failed: Failed to ListArtifacts: " +
        'Received non-retryable error: Failed request: (403) Forbidden: no'
    )
  })

  it('a download refused by the service', async () => {
    const out = shardOutput({ 'results.json': '[]' })
    actAs({ runId: 'run-f7', jobId: 'j' })
    const { id } = await uploadShardArtifact('tandem-shard-3', out.root, out.paths)
    await listRunArtifacts('tandem-shard-*')
    service.failNext('GetSignedArtifactURL', { status: 404, msg: 'expired' })
    await expect(downloadArtifact(id, freshDir())).rejects.toThrow(
      `Downloading artifact tandem-shard-3 (id ${id}) failed: Failed to GetSignedArtifactURL: ` +
        'Received non-retryable error: Failed request: (404) Not Found: expired'
    )
    await expect(downloadArtifact(999_999, freshDir())).rejects.toThrow(
      /^Downloading artifact id 999999 failed: No artifacts found for ID: 999999/
    )
  })

  it('a download whose bytes differ from the digest recorded at upload', async () => {
    const out = shardOutput({ 'results.json': '[]' })
    actAs({ runId: 'run-f8', jobId: 'j' })
    const { id } = await uploadShardArtifact('tandem-shard-6', out.root, out.paths)
    await listRunArtifacts('tandem-shard-*')
    // Change a byte the streaming unzipper never reads (the end record's "number of this disk"),
    // so extraction succeeds and only the digest tells.
    const blob = service.stored('run-f8')[0]!.blob!
    blob[blob.length - 22 + 4] = 0x01
    await expect(downloadArtifact(id, freshDir())).rejects.toThrow(
      new RegExp(
        `^Downloading artifact tandem-shard-6 \\(id ${id}\\) failed: the download's sha256 differs`
      )
    )
  })
})

describe('names', () => {
  it('globToRegExp: * and ? only, everything else literal', () => {
    const shard = globToRegExp('tandem-shard-*')
    expect(shard.test('tandem-shard-1')).toBe(true)
    expect(shard.test('tandem-shard-')).toBe(true)
    expect(shard.test('my-tandem-shard-1')).toBe(false)
    expect(shard.test('tandem-shardx1')).toBe(false)
    expect(globToRegExp('a?c').test('abc')).toBe(true)
    expect(globToRegExp('a?c').test('ac')).toBe(false)
    expect(globToRegExp('a.c').test('abc')).toBe(false)
    expect(globToRegExp('a+(b)[c]{1}$^|\\').test('a+(b)[c]{1}$^|\\')).toBe(true)
    expect(globToRegExp('*').test('anything at all')).toBe(true)
  })

  it('naturalCompare: numbers as numbers, the rest by code unit', () => {
    const sorted = [
      'tandem-shard-10',
      'tandem-shard-2',
      'tandem-shard-1',
      'tandem-shard-02',
      'tandem-shard-100',
      'tandem-shard-1a',
      'tandem-shard-1b',
      'tandem-shard-'
    ].sort(naturalCompare)
    expect(sorted).toEqual([
      'tandem-shard-',
      'tandem-shard-1',
      'tandem-shard-1a',
      'tandem-shard-1b',
      'tandem-shard-2',
      'tandem-shard-02',
      'tandem-shard-10',
      'tandem-shard-100'
    ])
    expect(naturalCompare('a', 'a')).toBe(0)
    expect(naturalCompare('x99999999999999999999', 'x100000000000000000000')).toBeLessThan(0)
  })
})
