// Shard mode end to end: dist/index.js + the real CLI (each writer really edits its own worktree)
// + the scripted API + the loopback stand-ins of the Actions results service and blob storage,
// which the unmodified @actions/artifact client uploads the shard's artifact to.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runAction, type ActionRun } from '../harness/action.js'
import {
  startScriptedApi,
  type Expectation,
  type RecordedRequest,
  type Reply,
  type ScriptedApi,
  workingDirectoryOf
} from '../harness/anthropic-api.js'
import { startArtifactService, type ArtifactStandIn, type ZipEntry } from '../harness/artifacts.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

const TASKS = ['src/a.js', 'src/b.js', 'src/c.js', 'src/d.js']
const PROMPT = 'Migrate {task} from CommonJS to ESM. Keep behaviour.'
const JOB = { runId: 'run-8', jobId: 'job-shard-3' }

let tmp: TempDir
let repo: TestRepo
let artifacts: ArtifactStandIn
let api: ScriptedApi | undefined

beforeEach(async () => {
  tmp = makeTempDir('tandem-shard-e2e')
  const files: Record<string, string> = { 'README.md': '# app\n' }
  for (const task of TASKS)
    files[task] = `module.exports = ${JSON.stringify(path.basename(task))}\n`
  repo = createTestRepo(path.join(tmp.path, 'git'), files)
  artifacts = await startArtifactService()
})

afterEach(async () => {
  // Every session was shown what its scripted replies expected.
  api?.assertExpectations()
  await api?.close()
  api = undefined
  await artifacts.close()
  tmp.cleanup()
})

function text(req: RecordedRequest): string {
  return JSON.stringify(req.body?.messages?.[0] ?? '')
}

/** A task's session holds its own task and nothing of its siblings'. */
function ownTaskOnly(task: string, tasks: string[], extra: string[] = []): Expectation {
  const siblings = tasks.filter(other => other !== task)
  return {
    label: `session of ${task}`,
    contains: [PROMPT.replace('{task}', task), ...extra],
    notContains: siblings.flatMap(other => [
      `Migrate ${other} from`,
      `module.exports = ${JSON.stringify(path.basename(other))}`
    ])
  }
}

/** Read the task's file, turn its export into ESM, then report `status`. */
function migrate(req: RecordedRequest, turn: number, task: string, status: 'ok' | 'fail'): Reply {
  const file = path.join(workingDirectoryOf(req), task)
  const name = JSON.stringify(path.basename(task))
  const steps: Reply[] = [
    { toolUses: [{ name: 'Read', input: { file_path: file } }], expect: ownTaskOnly(task, TASKS) },
    {
      // The Read's result is this task's file, in this task's worktree.
      expect: ownTaskOnly(task, TASKS, [`1\tmodule.exports = ${name}`]),
      toolUses: [
        {
          name: 'Edit',
          input: {
            file_path: file,
            old_string: `module.exports = ${name}`,
            new_string: `export default ${name}`
          }
        }
      ]
    },
    {
      structuredOutput:
        status === 'ok'
          ? { status, summary: `Migrated ${task} to ESM` }
          : { status, summary: `${task} reads require.cache, which ESM has no equivalent for` }
    }
  ]
  return steps[turn] ?? { text: 'done' }
}

/** Routes each request by the task its prompt names: a and d migrate, b fails, c changes nothing. */
function writer(req: RecordedRequest, turn: number): Reply {
  const prompt = text(req)
  const task = TASKS.find(t => prompt.includes(`Migrate ${t} from CommonJS`))
  if (task === 'src/a.js' || task === 'src/d.js') return migrate(req, turn, task, 'ok')
  if (task === 'src/b.js') return migrate(req, turn, task, 'fail')
  if (task === 'src/c.js')
    return {
      structuredOutput: { status: 'ok', summary: 'src/c.js is already ESM' },
      expect: ownTaskOnly(task, TASKS)
    }
  return { text: 'no task found' }
}

async function shard(inputs: Record<string, string> = {}): Promise<ActionRun> {
  api = await startScriptedApi(writer)
  return runAction({
    api,
    home: path.join(tmp.path, 'home'),
    workspace: repo.workspace,
    inputs: {
      mode: 'shard',
      'shard-id': '3',
      tasks: JSON.stringify(TASKS),
      concurrency: '2',
      prompt: PROMPT,
      ...inputs
    },
    env: artifacts.env(JOB),
    timeoutMs: 120_000
  })
}

function entry(files: ZipEntry[], name: string): ZipEntry | undefined {
  return files.find(file => file.path === name)
}

/** `git apply --check` of a patch on the base commit, in a fresh worktree of the checkout. */
function appliesOnBase(patch: Buffer, base: string): string {
  const file = path.join(tmp.path, 'check.patch')
  writeFileSync(file, patch)
  const dir = path.join(tmp.path, `apply-${Date.now()}`)
  git(repo.workspace, ['worktree', 'add', '--quiet', '--detach', dir, base])
  try {
    git(dir, ['apply', '--check', file])
    git(dir, ['apply', file])
    return git(dir, ['diff', '--stat'])
  } finally {
    git(repo.workspace, ['worktree', 'remove', '--force', dir])
  }
}

/** Sends `signal` to the action process running in `workspace`, as the runner does on cancel. */
function signalAction(workspace: string, signal: NodeJS.Signals): void {
  for (const pid of readdirSync('/proc').filter(name => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmdline.includes('dist/index.js') && readlinkSync(`/proc/${pid}/cwd`) === workspace) {
        process.kill(Number(pid), signal)
        return
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  throw new Error(`no action process runs in ${workspace}`)
}

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('shard mode through dist/index.js', () => {
  it('runs 4 tasks 2 at a time in worktrees and uploads results.json with exactly the ok patches', async () => {
    const base = repo.head()
    const run = await shard()
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)

    // One artifact, named by the contract, holding results.json and two patches.
    const stored = artifacts.stored(JOB.runId).filter(a => a.finalized)
    expect(stored.map(a => a.name)).toEqual(['tandem-shard-3'])
    const files = stored[0]!.files
    expect(files.map(f => f.path).sort()).toEqual([
      '0001-src-a.js.patch',
      '0004-src-d.js.patch',
      'results.json'
    ])
    const results = JSON.parse(entry(files, 'results.json')!.data.toString('utf8'))
    expect(results).toEqual([
      {
        task: 'src/a.js',
        status: 'ok',
        summary: 'Migrated src/a.js to ESM',
        cost_usd: expect.any(Number),
        num_turns: 4,
        duration_ms: expect.any(Number),
        error: null,
        patch: '0001-src-a.js.patch'
      },
      {
        task: 'src/b.js',
        status: 'fail',
        summary: 'src/b.js reads require.cache, which ESM has no equivalent for',
        cost_usd: expect.any(Number),
        num_turns: 4,
        duration_ms: expect.any(Number),
        error: 'the writer reported that it could not do the task',
        patch: null
      },
      {
        task: 'src/c.js',
        status: 'no-changes',
        summary: 'src/c.js is already ESM',
        cost_usd: expect.any(Number),
        num_turns: 2,
        duration_ms: expect.any(Number),
        error: null,
        patch: null
      },
      {
        task: 'src/d.js',
        status: 'ok',
        summary: 'Migrated src/d.js to ESM',
        cost_usd: expect.any(Number),
        num_turns: 4,
        duration_ms: expect.any(Number),
        error: null,
        patch: '0004-src-d.js.patch'
      }
    ])

    // Each patch is exactly its task's edit, and applies on the base commit.
    for (const [name, task] of [
      ['0001-src-a.js.patch', 'src/a.js'],
      ['0004-src-d.js.patch', 'src/d.js']
    ] as const) {
      const patch = entry(files, name)!.data
      expect(patch.toString('utf8')).toContain(`diff --git a/${task} b/${task}`)
      expect(patch.toString('utf8').match(/^diff --git /gm)).toHaveLength(1)
      expect(patch.toString('utf8')).toContain(`+export default "${path.basename(task)}"`)
      expect(appliesOnBase(patch, base)).toContain('1 file changed, 1 insertion(+), 1 deletion(-)')
    }

    // Outputs; results-file is the same results.json.
    expect(run.outputs).toMatchObject({
      'ok-count': '2',
      'fail-count': '1',
      conclusion: 'success',
      'num-turns': '14'
    })
    const resultsFile = run.outputs['results-file']!
    expect(path.isAbsolute(resultsFile)).toBe(true)
    expect(JSON.parse(readFileSync(resultsFile, 'utf8'))).toEqual(results)
    const cost = results.reduce((sum: number, r: { cost_usd: number }) => sum + r.cost_usd, 0)
    expect(Number(run.outputs['cost-usd'])).toBeCloseTo(cost, 9)

    // The checkout is as it was: no change, no worktree, no branch of the shard.
    expect(repo.head()).toBe(base)
    expect(git(repo.workspace, ['status', '--porcelain'])).toBe('')
    expect(
      git(repo.workspace, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)
    ).toHaveLength(1)
    expect(git(repo.workspace, ['for-each-ref', 'refs/heads/tandem/'])).toBe('')
    for (const task of TASKS) {
      expect(readFileSync(path.join(repo.workspace, task), 'utf8')).toMatch(/^module\.exports/)
    }

    // Each session ran in a worktree of its own, never in the checkout, two at a time at most.
    const first = api!
      .mainRequests()
      .filter(req => !JSON.stringify(req.body.messages).includes('tool_result'))
    const cwds = first.map(workingDirectoryOf)
    expect(new Set(cwds).size).toBe(4)
    for (const cwd of cwds) {
      expect(cwd).not.toBe(repo.workspace)
      expect(existsSync(cwd)).toBe(false)
    }

    // Two slots, each with a sandbox user of its own: the end of one session kills every process
    // of its user, which must never be the other slot's session.
    expect(run.log).toMatch(/The writer-1's code runs as tandem-[0-9a-f]+/)
    expect(run.log).toMatch(/The writer-2's code runs as tandem-[0-9a-f]+/)
    expect(run.log).not.toMatch(/The writer-3's code/)

    // The job summary: one row per task, in task order.
    const rows = run.summary.split('\n').filter(line => /^\| \d+ \|/.test(line))
    expect(rows.map(row => row.split('|')[3]!.trim())).toEqual([
      '✅ ok',
      '❌ fail',
      '➖ no-changes',
      '✅ ok'
    ])
  })

  it("refuses a task's change as write mode would: workflow files, a credential of the run", async () => {
    const token = 'ghs_shardE2eToken0123456789abcdefABCDEF'
    const tasks = ['add a CI workflow', 'write the notes']
    api = await startScriptedApi((req, turn) => {
      const cwd = workingDirectoryOf(req)
      const ci = text(req).includes('Migrate add a CI workflow')
      const write = ci
        ? { file_path: path.join(cwd, '.github/workflows/ci.yml'), content: 'on: push\n' }
        : { file_path: path.join(cwd, 'notes.txt'), content: `token: ${token}\n` }
      const own = ci ? tasks[0]! : tasks[1]!
      const sees = ownTaskOnly(own, tasks)
      const steps: Reply[] = [
        { toolUses: [{ name: 'Write', input: write }], expect: sees },
        { structuredOutput: { status: 'ok', summary: 'Done' }, expect: sees }
      ]
      return steps[turn] ?? { text: 'done' }
    })
    const run = await runAction({
      api,
      home: path.join(tmp.path, 'home'),
      workspace: repo.workspace,
      inputs: {
        mode: 'shard',
        'shard-id': '4',
        tasks: JSON.stringify(tasks),
        prompt: PROMPT,
        'github-token': token
      },
      env: artifacts.env(JOB),
      timeoutMs: 120_000
    })
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({ 'ok-count': '0', 'fail-count': '2' })
    const [stored] = artifacts.stored(JOB.runId).filter(a => a.finalized)
    expect(stored!.name).toBe('tandem-shard-4')
    expect(stored!.files.map(f => f.path)).toEqual(['results.json'])
    const results = JSON.parse(entry(stored!.files, 'results.json')!.data.toString('utf8'))
    expect(
      results.map((r: { status: string; error: string; patch: null }) => [
        r.status,
        r.error,
        r.patch
      ])
    ).toEqual([
      [
        'fail',
        'the change touches workflow files (.github/workflows/ci.yml), which allow-workflow-changes does not allow',
        null
      ],
      ['fail', 'the change would publish a credential of this run (in notes.txt)', null]
    ])
    for (const file of stored!.files) expect(file.data.includes(token)).toBe(false)
  })

  it('fails the step when the artifact cannot be uploaded, with the results still there', async () => {
    artifacts.failNext('CreateArtifact', { status: 403, code: 'permission_denied', msg: 'no' })
    api = await startScriptedApi(() => ({
      structuredOutput: { status: 'ok', summary: 'Nothing to do' }
    }))
    const run = await runAction({
      api,
      home: path.join(tmp.path, 'home'),
      workspace: repo.workspace,
      inputs: { mode: 'shard', 'shard-id': '5', tasks: '["src/c.js"]', prompt: PROMPT },
      env: artifacts.env(JOB),
      timeoutMs: 120_000
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/::error::Uploading artifact tandem-shard-5 failed: .*403/)
    expect(run.outputs).toMatchObject({ 'ok-count': '0', 'fail-count': '0', conclusion: 'success' })
    expect(JSON.parse(readFileSync(run.outputs['results-file']!, 'utf8'))[0].status).toBe(
      'no-changes'
    )
    expect(run.summary).toContain('➖ no-changes')
    expect(artifacts.stored(JOB.runId).filter(a => a.finalized)).toEqual([])
  })

  it('cancelled: stops the sessions, removes every worktree and branch, restores the credentials, uploads nothing', async () => {
    const header = 'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX2NhbmNlbA=='
    git(repo.workspace, ['config', 'http.https://github.com/.extraheader', header])
    api = await startScriptedApi(() => ({ hang: true }))
    const running = runAction({
      api,
      home: path.join(tmp.path, 'home'),
      workspace: repo.workspace,
      inputs: {
        mode: 'shard',
        'shard-id': '3',
        tasks: JSON.stringify(TASKS),
        concurrency: '2',
        prompt: PROMPT
      },
      env: artifacts.env(JOB),
      timeoutMs: 60_000
    })
    // Both slots' sessions are waiting on the model.
    await until(() => api!.mainRequests().length >= 2)
    signalAction(repo.workspace, 'SIGINT')
    const run = await running
    expect(run.log).toContain('Cancelled (SIGINT)')
    expect(run.exitCode).toBe(1)
    expect(api.mainRequests()).toHaveLength(2)
    expect(
      git(repo.workspace, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)
    ).toHaveLength(1)
    expect(git(repo.workspace, ['for-each-ref', 'refs/heads/tandem/'])).toBe('')
    const temp = path.join(tmp.path, 'home', 'tmp')
    expect(readdirSync(temp).filter(name => name.startsWith('tandem-worktrees-'))).toEqual([])
    expect(git(repo.workspace, ['config', '--get', 'http.https://github.com/.extraheader'])).toBe(
      header
    )
    expect(artifacts.stored(JOB.runId)).toEqual([])
  })
})
