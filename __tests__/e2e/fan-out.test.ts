// Fan-out end to end, crossing jobs as GitHub does: plan → one process per matrix shard → collect,
// every job a separate run of dist/index.js with its own checkout (a clone of one bare remote),
// its own runner home and its own job id in ACTIONS_RUNTIME_TOKEN (one workflow run id), so the
// shards' artifacts reach collect only through the unmodified @actions/artifact client and the
// loopback stand-ins of the results service and blob storage. The writers are the real CLI
// against the scripted API, routed by the task their prompt names, and really edit their
// worktrees; collect talks to the OpenAPI-checked fake GitHub that follows the bare remote.
//
// The plan: 16 files, shard-size 4 → 4 shards. Shards 1-3 run (12 tasks, concurrency 2); shard 4
// never runs (its runner was lost), so its 4 tasks must come out `missing`.
//   shard 1: m01 ok · m02 ok (+ registry.js, line 2) · m03 edits but reports fail · m04 ok
//   shard 2: m05 ok · m06 hangs → timeout · m07 ok · m08 ok
//   shard 3: m09 changes nothing · m10 ok (+ registry.js, the same line as m02) → conflict
//            · m11 ok · m12 ok
//   shard 4: m13-m16, never run → missing
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { runAction, type ActionRun } from '../harness/action.js'
import {
  startScriptedApi,
  type RecordedRequest,
  type Reply,
  type ScriptedApi,
  workingDirectoryOf,
  firstMessageOf
} from '../harness/anthropic-api.js'
import { startArtifactService, type ArtifactStandIn } from '../harness/artifacts.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

const TOKEN = 'ghs_fanOutE2eToken0123456789abcdefABCDEF'
const OWNER = 'acme'
const REPO = 'widgets'
const RUN = 'run-fan-out-8'
const BRANCH = 'tandem/esm'
const PROMPT = 'Migrate {task} from CommonJS to ESM. Keep behaviour.'
const API_KEY = 'sk-ant-test' // what claudeTestEnv hands the CLI

const name = (i: number) => `m${String(i).padStart(2, '0')}`
const MODS = Array.from({ length: 16 }, (_, i) => `src/mods/${name(i + 1)}.js`)
const cjs = (mod: string) => `const name = '${mod}'\n\nmodule.exports = name\n`
const esm = (mod: string) => `const name = '${mod}'\n\nexport default name\n`
const REGISTRY = 'src/registry.js'
const REGISTRY_BASE = "// The module format of src/mods.\nexports.format = 'commonjs'\n"
const registryWith = (format: string) => REGISTRY_BASE.replace("'commonjs'", `'${format}'`)

const modOf = (task: string) => path.basename(task, '.js')
/** The tasks the writer handles specially; every other task migrates its file and says ok. */
const FAILS = 'src/mods/m03.js'
const HANGS = 'src/mods/m06.js'
const UNCHANGED = 'src/mods/m09.js'
const REGISTRY_EDITS: Record<string, string> = {
  'src/mods/m02.js': 'esm',
  'src/mods/m10.js': 'module'
}

const EXPECTED_MATRIX =
  '{"include":[' +
  `{"shard":1,"tasks":${JSON.stringify(MODS.slice(0, 4))}},` +
  `{"shard":2,"tasks":${JSON.stringify(MODS.slice(4, 8))}},` +
  `{"shard":3,"tasks":${JSON.stringify(MODS.slice(8, 12))}},` +
  `{"shard":4,"tasks":${JSON.stringify(MODS.slice(12, 16))}}]}`

let tmp: TempDir
let repo: TestRepo
let gh: FakeGitHub
let artifacts: ArtifactStandIn
let api: ScriptedApi
/** Every credential a job of this run held: none may reach the model server. */
const secrets: string[] = [TOKEN, Buffer.from(`x-access-token:${TOKEN}`).toString('base64')]
/** Which job ran each task's session (from the session's working directory). */
const ranIn = new Map<string, string[]>()

let matrix: { include: { shard: number; tasks: string[] }[] } | undefined
let shardRuns: Record<number, ActionRun> = {}
let collected: ActionRun | undefined
let resultsTable = ''

beforeAll(async () => {
  tmp = makeTempDir('tandem-fan-out-e2e')
  const files: Record<string, string> = {
    'README.md': '# Widgets\n',
    [REGISTRY]: REGISTRY_BASE,
    'package.json': '{ "name": "widgets", "private": true }\n'
  }
  for (const task of MODS) files[task] = cjs(modOf(task))
  repo = createTestRepo(path.join(tmp.path, 'git'), files)
  gh = await startFakeGitHub({ token: TOKEN })
  gh.seedRepo({ owner: OWNER, repo: REPO, gitDir: repo.remote })
  artifacts = await startArtifactService()
  api = await startScriptedApi(writer)
})

afterAll(async () => {
  if (resultsTable) console.log(`Fan-out e2e: collect's results table\n\n${resultsTable}\n`)
  await api?.close()
  await artifacts?.close()
  await gh?.close()
  tmp?.cleanup()
})

// --- The scripted writer ----------------------------------------------------------------------

/** The task a request's prompt names (the `{task}` of the template, replaced). */
function taskOf(req: RecordedRequest): string | undefined {
  const prompt = firstMessageOf(req)
  return MODS.find(task => prompt.includes(`Migrate ${task} from CommonJS to ESM`))
}

function writer(req: RecordedRequest, turn: number): Reply {
  const task = taskOf(req)
  if (!task) return { text: 'no task found' }
  const cwd = workingDirectoryOf(req)
  if (turn === 0) {
    const job = /home-(shard-\d+)/.exec(cwd)?.[1] ?? cwd
    ranIn.set(task, [...(ranIn.get(task) ?? []), job])
  }
  if (task === HANGS) return { hang: true }
  if (task === UNCHANGED) {
    return turn === 0
      ? { structuredOutput: { status: 'ok', summary: `${task} is already ESM` } }
      : { text: 'done' }
  }
  const file = path.join(cwd, task)
  const registry = REGISTRY_EDITS[task]
  const reads = [{ name: 'Read', input: { file_path: file } }]
  const edits = [
    {
      name: 'Edit',
      input: {
        file_path: file,
        old_string: 'module.exports = name',
        new_string: 'export default name'
      }
    }
  ]
  if (registry) {
    reads.push({ name: 'Read', input: { file_path: path.join(cwd, REGISTRY) } })
    edits.push({
      name: 'Edit',
      input: {
        file_path: path.join(cwd, REGISTRY),
        old_string: "exports.format = 'commonjs'",
        new_string: `exports.format = '${registry}'`
      }
    })
  }
  const report =
    task === FAILS
      ? { status: 'fail', summary: `${task} reads require.cache, which ESM has no equivalent for` }
      : {
          status: 'ok',
          summary: registry
            ? `Migrated ${task} to ESM and set the registry's format to ${registry}`
            : `Migrated ${task} to ESM`
        }
  const steps: Reply[] = [{ toolUses: reads }, { toolUses: edits }, { structuredOutput: report }]
  return steps[turn] ?? { text: 'done' }
}

// --- Jobs ---------------------------------------------------------------------------------------

/** A new job's checkout, as actions/checkout leaves it: a fresh clone of the remote's main. */
function checkoutFor(job: string): string {
  const dir = path.join(tmp.path, `ws-${job}`)
  mkdirSync(path.dirname(dir), { recursive: true })
  execFileSync('git', ['clone', '--quiet', '--branch', 'main', repo.remote, dir], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp.path, GIT_CONFIG_NOSYSTEM: '1' }
  })
  return dir
}

/** The environment of one job of the run: its runtime token, the repository, the fake GitHub. */
function jobEnv(job: string, attempt = 1): Record<string, string> {
  const env = artifacts.env({ runId: RUN, jobId: job, attempt })
  secrets.push(env.ACTIONS_RUNTIME_TOKEN!)
  return {
    ...env,
    GITHUB_API_URL: gh.url,
    GITHUB_GRAPHQL_URL: gh.graphqlUrl,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_WORKFLOW: 'Tandem fan-out migration',
    GITHUB_RUN_ID: '4242',
    GITHUB_JOB: job.replace(/-\d+$/, ''),
    GITHUB_TOKEN: TOKEN
  }
}

async function job(
  id: string,
  inputs: Record<string, string>,
  options: { attempt?: number; env?: Record<string, string>; timeoutMs?: number } = {}
): Promise<ActionRun> {
  return runAction({
    api,
    home: path.join(tmp.path, `home-${id}`),
    workspace: checkoutFor(id),
    inputs: { 'github-token': TOKEN, ...inputs },
    env: { ...jobEnv(id, options.attempt), ...options.env },
    timeoutMs: options.timeoutMs ?? 150_000
  })
}

function expectOk(run: ActionRun): void {
  if (run.exitCode !== 0) throw new Error(`action failed:\n${run.log}\n${run.stderr}`)
}

// --- What the remote and GitHub hold ------------------------------------------------------------

function remoteSha(branch: string): string | undefined {
  const out = git(repo.remote, ['for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`])
  return out === '' ? undefined : out
}

function remoteFile(ref: string, rel: string): string {
  return git(repo.remote, ['show', `${ref}:${rel}`]) + '\n'
}

function pulls() {
  return [...gh.state.repo(OWNER, REPO)!.issues.values()].filter(issue => issue.pull)
}

function writes(): string[] {
  return gh.requests
    .filter(r => r.method !== 'GET')
    .map(r => `${r.method} ${r.operationId ?? r.path}`)
}

interface Row {
  n: number
  task: string
  status: string
  summary: string
  cost: string
  turns: string
}

/** The results table of collect's pull request body, as rows of cells. */
function rowsOf(body: string): Row[] {
  return body
    .split('\n')
    .filter(line => /^\| \d+ \| `/.test(line))
    .map(line => {
      const cells = line
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map(c => c.trim())
      return {
        n: Number(cells[0]),
        task: cells[1]!.replace(/^`|`$/g, ''),
        status: cells[2]!,
        summary: cells[3]!,
        cost: cells[4]!,
        turns: cells[5]!
      }
    })
}

function tableOf(body: string): string {
  const lines = body.split('\n')
  const start = lines.indexOf('| # | Task | Status | Summary | Cost | Turns |')
  if (start < 0) return ''
  let end = start
  while (end < lines.length && lines[end]!.startsWith('|')) end++
  return lines.slice(start, end).join('\n')
}

const APPLIED = MODS.slice(0, 12).filter(
  t => ![FAILS, HANGS, UNCHANGED, 'src/mods/m10.js'].includes(t)
)

describe('fan-out: plan → 3 of 4 matrix shards (separate jobs) → collect, through dist/index.js', () => {
  it('plan: 16 files at shard-size 4 give the exact 4-shard matrix', async () => {
    const run = await job('plan', { mode: 'plan', files: 'src/mods/*.js', 'shard-size': '4' })
    expectOk(run)
    expect(run.outputs.matrix).toBe(EXPECTED_MATRIX)
    expect(run.outputs).toMatchObject({ 'task-count': '16', 'shard-count': '4' })
    matrix = JSON.parse(run.outputs.matrix!)
    expect(api.requests).toHaveLength(0)
  })

  it('shards 1-3: each its own job, 2 sessions at a time, one artifact each', async () => {
    expect(matrix).toBeDefined()
    const entries = matrix!.include.slice(0, 3) // shard 4's runner is lost: it never starts
    const runs = await Promise.all(
      entries.map(entry =>
        job(
          `shard-${entry.shard}`,
          {
            mode: 'shard',
            prompt: PROMPT,
            'shard-id': String(entry.shard),
            // What `${{ toJSON(matrix.tasks) }}` hands the step: pretty-printed JSON.
            tasks: JSON.stringify(entry.tasks, null, 2),
            concurrency: '2',
            // Shard 2 holds the task that hangs: a short limit, 9 s (every session of the shard has it,
            // and an ok one takes 2-3 s).
            ...(entry.shard === 2 ? { 'timeout-minutes': '0.15' } : {})
          },
          { env: { API_TIMEOUT_MS: '120000' } }
        )
      )
    )
    shardRuns = Object.fromEntries(entries.map((entry, i) => [entry.shard, runs[i]!]))
    for (const run of runs) {
      expectOk(run)
      expect(run.stderr).toBe('')
      // Two slots, never a third.
      expect(run.log).toMatch(/The writer-2's code runs as /)
      expect(run.log).not.toMatch(/The writer-3's code/)
    }
    expect(shardRuns[1]!.outputs).toMatchObject({ 'ok-count': '3', 'fail-count': '1' })
    expect(shardRuns[2]!.outputs).toMatchObject({ 'ok-count': '3', 'fail-count': '1' })
    expect(shardRuns[3]!.outputs).toMatchObject({ 'ok-count': '3', 'fail-count': '0' })

    // Each task's session ran once, in the job of its shard; shard 4's tasks never ran.
    for (const [i, task] of MODS.entries()) {
      expect([task, ranIn.get(task)]).toEqual([
        task,
        i < 12 ? [`shard-${Math.floor(i / 4) + 1}`] : undefined
      ])
    }

    // One artifact per shard that ran, each uploaded by its own job.
    const stored = artifacts.stored(RUN).filter(a => a.finalized)
    expect(stored.map(a => [a.name, a.jobId]).sort()).toEqual([
      ['tandem-shard-1', 'shard-1'],
      ['tandem-shard-2', 'shard-2'],
      ['tandem-shard-3', 'shard-3']
    ])
    const statuses = stored
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap(a => {
        const results = JSON.parse(a.files.find(f => f.path === 'results.json')!.data.toString())
        return (results as { task: string; status: string; patch: string | null }[]).map(
          r => `${r.task} ${r.status} ${r.patch ?? '-'}`
        )
      })
    expect(statuses).toEqual([
      'src/mods/m01.js ok 0001-src-mods-m01.js.patch',
      'src/mods/m02.js ok 0002-src-mods-m02.js.patch',
      'src/mods/m03.js fail -',
      'src/mods/m04.js ok 0004-src-mods-m04.js.patch',
      'src/mods/m05.js ok 0001-src-mods-m05.js.patch',
      'src/mods/m06.js timeout -',
      'src/mods/m07.js ok 0003-src-mods-m07.js.patch',
      'src/mods/m08.js ok 0004-src-mods-m08.js.patch',
      'src/mods/m09.js no-changes -',
      'src/mods/m10.js ok 0002-src-mods-m10.js.patch',
      'src/mods/m11.js ok 0003-src-mods-m11.js.patch',
      'src/mods/m12.js ok 0004-src-mods-m12.js.patch'
    ])
  })

  it('collect: ONE pull request with every planned task, exactly the successful edits', async () => {
    expect(Object.keys(shardRuns)).toHaveLength(3)
    const base = git(repo.remote, ['rev-parse', 'main'])
    const run = await job('collect', {
      mode: 'collect',
      matrix: JSON.stringify(matrix),
      branch: BRANCH,
      // Checks the merged tree: exactly the 8 applied tasks' files are ESM.
      'verify-command': `test "$(grep -l '^export default' src/mods/*.js | wc -l)" -eq ${APPLIED.length}`
    })
    collected = run
    expectOk(run)
    gh.assertClean()
    expect(run.outputs).toMatchObject({
      conclusion: 'success',
      'pr-operation': 'created',
      'pr-number': '1',
      branch: BRANCH,
      'applied-count': '8',
      'conflict-count': '1',
      'missing-count': '4',
      'verify-result': 'passed',
      'changed-files': JSON.stringify([REGISTRY, ...APPLIED].sort())
    })

    // The branch: one commit per applied task, in task order, holding exactly their edits.
    const sha = remoteSha(BRANCH)
    expect(sha).toBe(run.outputs['commit-sha'])
    const subjects = git(repo.remote, ['log', '--reverse', '--format=%s', `main..${BRANCH}`])
    expect(subjects.split('\n')).toEqual(
      APPLIED.map(task =>
        // Past 72 characters the subject is cut; the body keeps the whole line.
        task === 'src/mods/m02.js'
          ? `${task}: Migrated ${task} to ESM and set the registry's…`
          : `${task}: Migrated ${task} to ESM`
      )
    )
    expect(git(repo.remote, ['log', '--format=%B', `main..${BRANCH}`])).toContain(
      "src/mods/m02.js: Migrated src/mods/m02.js to ESM and set the registry's format to esm"
    )
    const trailers = git(repo.remote, [
      'log',
      '--format=%(trailers:key=Tandem-Write,valueonly)',
      `main..${BRANCH}`
    ])
    expect(trailers.split('\n').filter(Boolean)).toEqual(APPLIED.map(() => BRANCH))
    expect(git(repo.remote, ['merge-base', 'main', BRANCH])).toBe(base)
    expect(git(repo.remote, ['diff', '--name-only', base, BRANCH]).split('\n')).toEqual(
      [REGISTRY, ...APPLIED].sort()
    )
    for (const task of MODS) {
      const expected = APPLIED.includes(task) ? esm(modOf(task)) : cjs(modOf(task))
      expect([task, remoteFile(BRANCH, task)]).toEqual([task, expected])
    }
    // m02's edit of the shared line landed; m10's, on the same line, is the conflict.
    expect(remoteFile(BRANCH, REGISTRY)).toBe(registryWith('esm'))
    expect(git(repo.remote, ['diff', '--stat', base, BRANCH])).toContain(
      '9 files changed, 9 insertions(+), 9 deletions(-)'
    )

    // ONE pull request; its table shows every planned task's status, in plan order.
    expect(pulls()).toHaveLength(1)
    const [pr] = pulls()
    expect(pr!.pull).toMatchObject({ headRef: BRANCH, baseRef: 'main' })
    expect(pr!.title).toBe('Tandem fan-out: 8 of 16 tasks applied')
    const body = pr!.body ?? ''
    expect(body).toContain(
      '**16 tasks** · 8 applied · 1 no-changes · 1 conflict · 1 fail · 1 timeout · 4 missing'
    )
    resultsTable = tableOf(body)
    const rows = rowsOf(body)
    expect(rows.map(r => `${r.n} ${r.task} ${r.status}`)).toEqual([
      '1 src/mods/m01.js ✅ applied',
      '2 src/mods/m02.js ✅ applied',
      '3 src/mods/m03.js ❌ fail',
      '4 src/mods/m04.js ✅ applied',
      '5 src/mods/m05.js ✅ applied',
      '6 src/mods/m06.js ⏱️ timeout',
      '7 src/mods/m07.js ✅ applied',
      '8 src/mods/m08.js ✅ applied',
      '9 src/mods/m09.js ➖ no-changes',
      '10 src/mods/m10.js ⚠️ conflict',
      '11 src/mods/m11.js ✅ applied',
      '12 src/mods/m12.js ✅ applied',
      '13 src/mods/m13.js ❓ missing',
      '14 src/mods/m14.js ❓ missing',
      '15 src/mods/m15.js ❓ missing',
      '16 src/mods/m16.js ❓ missing'
    ])
    const byTask = new Map(rows.map(r => [r.task, r]))
    expect(byTask.get('src/mods/m01.js')!.summary).toBe('Migrated src/mods/m01.js to ESM')
    expect(byTask.get(FAILS)!.summary).toBe(
      'the writer reported that it could not do the task — src/mods/m03.js reads require.cache, which ESM has no equivalent for'
    )
    expect(byTask.get(HANGS)!.summary).toMatch(
      /^The writer session ended with 'timeout': session stopped after its time limit \(\d+ ms\)$/
    )
    expect(byTask.get(UNCHANGED)!.summary).toBe('src/mods/m09.js is already ESM')
    expect(byTask.get('src/mods/m10.js')!.summary).toMatch(
      /^does not apply on top of the tasks before it: conflicts in src\/registry\.js/
    )
    for (const task of MODS.slice(12)) {
      expect(byTask.get(task)).toMatchObject({
        summary: 'shard 4 uploaded no results',
        cost: '—',
        turns: '—'
      })
    }
    for (const task of MODS.slice(0, 12)) {
      expect(byTask.get(task)!.cost).toMatch(/^\$\d+\.\d{4}$/)
      expect(byTask.get(task)!.turns).toMatch(/^\d+$/)
    }
    expect(body).toContain('in the `tandem-conflicts` artifact of this run')
    expect(body.trimEnd().endsWith(`<!-- tandem:collect branch=${BRANCH} -->`)).toBe(true)

    // The conflicting patch is kept, uploaded by the collect job.
    const conflicts = artifacts.stored(RUN).filter(a => a.name === 'tandem-conflicts')
    expect(conflicts.map(a => [a.jobId, a.files.map(f => f.path)])).toEqual([
      ['collect', ['shard-3-0002-src-mods-m10.js.patch']]
    ])
    // The tasks to run again: failed, timed out, conflicting, missing.
    expect(run.summary).toContain(
      '```text\n' + [FAILS, HANGS, 'src/mods/m10.js', ...MODS.slice(12)].sort().join('\n') + '\n```'
    )
  })

  it('a re-run of collect on the same artifacts changes nothing on GitHub or the remote', async () => {
    expect(collected?.exitCode).toBe(0)
    const sha = remoteSha(BRANCH)
    const before = writes()
    const count = gh.requests.length
    const again = await job(
      'collect-2',
      {
        mode: 'collect',
        matrix: JSON.stringify(matrix),
        branch: BRANCH,
        'verify-command': `test "$(grep -l '^export default' src/mods/*.js | wc -l)" -eq ${APPLIED.length}`
      },
      { attempt: 2 }
    )
    expectOk(again)
    expect(again.outputs).toMatchObject({
      'pr-operation': 'none',
      'pr-number': '1',
      'commit-sha': sha,
      'applied-count': '8',
      'conflict-count': '1',
      'missing-count': '4'
    })
    expect(gh.requests.length).toBeGreaterThan(count) // it did look
    expect(writes()).toEqual(before)
    expect(remoteSha(BRANCH)).toBe(sha)
    expect(pulls()).toHaveLength(1)
    expect(tableOf(pulls()[0]!.body ?? '')).toBe(resultsTable)
  })

  it('GitHub saw only valid requests, and no credential reached the model server', () => {
    gh.assertClean()
    expect(api.mainRequests().length).toBeGreaterThan(0)
    const leaks = api.requests.filter(req => {
      const headers = JSON.stringify(req.headers)
      return (
        secrets.some(s => req.rawBody.includes(s) || headers.includes(s)) ||
        req.rawBody.includes(API_KEY)
      )
    })
    // Not toContain: a failure would print every request body, each tens of kilobytes.
    expect(leaks.map(req => `${req.method} ${req.url}`)).toEqual([])
  })
})
