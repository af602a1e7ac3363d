// Collect mode end to end: dist/index.js against the fake GitHub (following a real bare remote)
// and the loopback artifact service. The shards' artifacts are uploaded first by the unmodified
// @actions/artifact client, each from a process of its own acting as its own job, the way the
// matrix jobs would; then collect runs as one more job of the same workflow run.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runAction, type ActionRun } from '../harness/action.js'
import { startScriptedApi, type ScriptedApi } from '../harness/anthropic-api.js'
import {
  runClientInChild,
  startArtifactService,
  type ArtifactStandIn
} from '../harness/artifacts.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

const TOKEN = 'ghs_collectE2eToken0123456789abcdefABCD'
const OWNER = 'acme'
const REPO = 'widgets'
const RUN = 'run-8'
const BRANCH = 'tandem/esm'

const cjs = (name: string) =>
  `const dep = require('./dep')\n\nfunction ${name}() {\n  return dep.go('${name}')\n}\n\nmodule.exports = ${name}\n`
const esm = (name: string) =>
  `import dep from './dep.js'\n\nfunction ${name}() {\n  return dep.go('${name}')\n}\n\nexport default ${name}\n`

const MATRIX = {
  include: [
    { shard: 1, tasks: ['src/a.js', 'src/b.js', 'src/c.js'] },
    { shard: 2, tasks: ['src/d.js', 'src/e.js', 'src/f.js'] },
    { shard: 3, tasks: ['src/g.js', 'src/h.js'] }
  ]
}

let tmp: TempDir
let repo: TestRepo
let gh: FakeGitHub
let artifacts: ArtifactStandIn
let api: ScriptedApi

beforeEach(async () => {
  tmp = makeTempDir('tandem-collect-e2e')
  const files: Record<string, string> = {
    'README.md': '# Widgets\n',
    'src/dep.js': 'module.exports = {}\n'
  }
  for (const name of 'abcdefgh') files[`src/${name}.js`] = cjs(name)
  repo = createTestRepo(path.join(tmp.path, 'git'), files)
  gh = await startFakeGitHub({ token: TOKEN })
  gh.seedRepo({ owner: OWNER, repo: REPO, gitDir: repo.remote })
  artifacts = await startArtifactService()
  api = await startScriptedApi(() => ({ text: 'no session runs in collect' }))
})

afterEach(async () => {
  try {
    // Every request any test made was valid against GitHub's OpenAPI description.
    gh.assertClean()
  } finally {
    await api.close()
    await artifacts.close()
    await gh.close()
    tmp.cleanup()
  }
})

/** What a shard writes: a patch per task that changed something, made from the base commit. */
function makePatch(changes: Record<string, string>, file: string): void {
  const work = path.join(tmp.path, 'maker')
  rmSync(work, { recursive: true, force: true })
  execFileSync('git', ['clone', '--quiet', repo.remote, work])
  for (const [rel, content] of Object.entries(changes)) writeFileSync(path.join(work, rel), content)
  git(work, ['add', '--all'])
  writeFileSync(
    file,
    execFileSync('git', ['diff', '--cached', '--binary', '--full-index'], { cwd: work })
  )
}

interface ShardTask {
  task: string
  status: 'ok' | 'no-changes' | 'fail' | 'timeout'
  summary?: string
  error?: string
  changes?: Record<string, string>
}

/** One shard job: results.json and its patches, uploaded as `tandem-shard-<id>` by the client. */
async function uploadShard(shard: number, tasks: ShardTask[]): Promise<void> {
  const dir = path.join(tmp.path, `shard-${shard}`)
  mkdirSync(dir, { recursive: true })
  const results = tasks.map((t, i) => {
    let patch: string | null = null
    if (t.changes) {
      patch = `${String(i + 1).padStart(4, '0')}-${t.task.replace(/[^A-Za-z0-9._-]+/g, '-')}.patch`
      makePatch(t.changes, path.join(dir, patch))
    }
    return {
      task: t.task,
      status: t.status,
      summary: t.summary ?? '',
      cost_usd: 0.02 + i / 100,
      num_turns: 3 + i,
      duration_ms: 12_000,
      error: t.error ?? null,
      patch
    }
  })
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2))
  const files = ['results.json', ...results.flatMap(r => (r.patch ? [r.patch] : []))]
  const outcome = await runClientInChild(
    artifacts,
    { runId: RUN, jobId: `shard-${shard}` },
    {
      op: 'upload',
      name: `tandem-shard-${shard}`,
      rootDirectory: dir,
      files: files.map(f => path.join(dir, f))
    }
  )
  if (outcome.error) throw new Error(`upload of shard ${shard} failed: ${outcome.error}`)
}

async function collect(
  options: { job?: string; attempt?: number; inputs?: Record<string, string> } = {}
): Promise<ActionRun> {
  return runAction({
    api,
    home: path.join(tmp.path, 'home'),
    workspace: repo.workspace,
    inputs: {
      mode: 'collect',
      'github-token': TOKEN,
      matrix: JSON.stringify(MATRIX),
      branch: BRANCH,
      ...options.inputs
    },
    env: {
      ...artifacts.env({
        runId: RUN,
        jobId: options.job ?? 'collect',
        attempt: options.attempt ?? 1
      }),
      GITHUB_API_URL: gh.url,
      GITHUB_GRAPHQL_URL: gh.graphqlUrl,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_WORKFLOW: 'ESM migration',
      GITHUB_JOB: 'collect'
    }
  })
}

function pulls() {
  return [...gh.state.repo(OWNER, REPO)!.issues.values()].filter(issue => issue.pull)
}

function writes(): string[] {
  return gh.requests
    .filter(r => r.method !== 'GET')
    .map(r => `${r.method} ${r.operationId ?? r.path}`)
}

function remoteSha(branch: string): string | undefined {
  const out = git(repo.remote, ['for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`])
  return out === '' ? undefined : out
}

function expectOk(run: ActionRun): void {
  if (run.exitCode !== 0) throw new Error(`action failed:\n${run.log}\n${run.stderr}`)
}

/** A new job: a fresh checkout of main, as actions/checkout would leave it. */
function freshCheckout(): void {
  git(repo.workspace, ['checkout', '--quiet', '--force', 'main'])
  git(repo.workspace, ['clean', '-fdq'])
}

describe('collect mode through dist/index.js', () => {
  it('merges the shards into ONE pull request with the results table; a re-run changes nothing', async () => {
    await uploadShard(1, [
      {
        task: 'src/a.js',
        status: 'ok',
        summary: 'Converted a.js to ESM',
        changes: { 'src/a.js': esm('a') }
      },
      { task: 'src/b.js', status: 'fail', error: 'The writer session ended with failure' },
      { task: 'src/c.js', status: 'no-changes', summary: 'Already ESM-compatible' }
    ])
    await uploadShard(2, [
      {
        task: 'src/d.js',
        status: 'ok',
        summary: 'Converted d.js to ESM',
        changes: { 'src/d.js': esm('d') }
      },
      {
        // Its writer also touched a.js, on the same lines as task src/a.js did.
        task: 'src/e.js',
        status: 'ok',
        summary: 'Converted e.js, and a.js’s require of dep',
        changes: {
          'src/e.js': esm('e'),
          'src/a.js': cjs('a').replace(`require('./dep')`, `require('./dep.cjs')`)
        }
      },
      { task: 'src/f.js', status: 'timeout', error: 'stopped after 30 minutes' }
    ])
    // Shard 3 never uploads (its runner was lost).

    const run = await collect({
      inputs: { 'verify-command': "grep -q '^import dep' src/a.js src/d.js" }
    })
    expectOk(run)
    gh.assertClean()
    expect(run.outputs).toMatchObject({
      conclusion: 'success',
      'pr-operation': 'created',
      'pr-number': '1',
      branch: BRANCH,
      'applied-count': '2',
      'conflict-count': '1',
      'missing-count': '2',
      'verify-result': 'passed',
      'changed-files': JSON.stringify(['src/a.js', 'src/d.js'])
    })

    // The branch: one commit per applied task, in task order, holding exactly their edits.
    const sha = remoteSha(BRANCH)
    expect(sha).toBe(run.outputs['commit-sha'])
    expect(git(repo.remote, ['log', '--format=%s', `main..${BRANCH}`]).split('\n')).toEqual([
      'src/d.js: Converted d.js to ESM',
      'src/a.js: Converted a.js to ESM'
    ])
    expect(git(repo.remote, ['log', '-1', '--format=%B', BRANCH])).toContain(
      `Tandem-Write: ${BRANCH}`
    )
    expect(git(repo.remote, ['diff', '--name-only', 'main', BRANCH]).split('\n')).toEqual([
      'src/a.js',
      'src/d.js'
    ])
    expect(git(repo.remote, ['show', `${BRANCH}:src/a.js`]) + '\n').toBe(esm('a'))
    expect(git(repo.remote, ['show', `${BRANCH}:src/e.js`]) + '\n').toBe(cjs('e'))

    const [pr] = pulls()
    expect(pulls()).toHaveLength(1)
    expect(pr!.pull).toMatchObject({ headRef: BRANCH, baseRef: 'main' })
    expect(pr!.title).toBe('Tandem fan-out: 2 of 8 tasks applied')
    const body = pr!.body ?? ''
    expect(body).toContain(
      '**8 tasks** · 2 applied · 1 no-changes · 1 conflict · 1 fail · 1 timeout · 2 missing'
    )
    expect(body).toContain('| # | Task | Status | Summary | Cost | Turns |')
    expect(body).toContain('| 1 | `src/a.js` | ✅ applied | Converted a.js to ESM | $0.0200 | 3 |')
    expect(body).toContain(
      '| 2 | `src/b.js` | ❌ fail | The writer session ended with failure | $0.0300 | 4 |'
    )
    expect(body).toContain(
      '| 3 | `src/c.js` | ➖ no-changes | Already ESM-compatible | $0.0400 | 5 |'
    )
    expect(body).toContain(
      '| 5 | `src/e.js` | ⚠️ conflict | does not apply on top of the tasks before it: conflicts in src/a.js'
    )
    expect(body).toContain(
      '| 6 | `src/f.js` | ⏱️ timeout | stopped after 30 minutes | $0.0400 | 5 |'
    )
    expect(body).toContain('| 7 | `src/g.js` | ❓ missing | shard 3 uploaded no results | — | — |')
    expect(body).toContain('| 8 | `src/h.js` | ❓ missing | shard 3 uploaded no results | — | — |')
    expect(body).toContain("✅ `grep -q '^import dep' src/a.js src/d.js` passed")
    expect(body).toContain('in the `tandem-conflicts` artifact of this run')
    expect(body.trimEnd().endsWith(`<!-- tandem:collect branch=${BRANCH} -->`)).toBe(true)

    // The conflicting patch is kept, uploaded by the collect job.
    const conflicts = artifacts.stored(RUN).filter(a => a.name === 'tandem-conflicts')
    expect(conflicts.map(a => [a.jobId, a.files.map(f => f.path)])).toEqual([
      ['collect', ['shard-2-0002-src-e.js.patch']]
    ])
    // The job summary has the table, the conflicts and the tasks to run again.
    expect(run.summary).toContain('### Tandem · collect')
    expect(run.summary).toContain('- `src/e.js` → `shard-2-0002-src-e.js.patch`')
    expect(run.summary).toContain('```text\nsrc/b.js\nsrc/e.js\nsrc/f.js\nsrc/g.js\nsrc/h.js\n```')
    const resultsFile = JSON.parse(readFileSync(run.outputs['results-file']!, 'utf8')) as {
      task: string
      status: string
    }[]
    expect(resultsFile.map(r => `${r.task} ${r.status}`)).toEqual([
      'src/a.js applied',
      'src/b.js fail',
      'src/c.js no-changes',
      'src/d.js applied',
      'src/e.js conflict',
      'src/f.js timeout',
      'src/g.js missing',
      'src/h.js missing'
    ])
    expect(run.log).toContain('::warning::1 task(s) did not apply on top of the tasks before them')

    // "Re-run jobs": collect again as a new job of attempt 2, on the same artifacts.
    freshCheckout()
    gh.assertClean() // the first run's requests, before the log is cleared
    gh.clearLog()
    const again = await collect({
      job: 'collect-2',
      attempt: 2,
      inputs: { 'verify-command': "grep -q '^import dep' src/a.js src/d.js" }
    })
    expectOk(again)
    gh.assertClean()
    expect(again.outputs).toMatchObject({
      'pr-operation': 'none',
      'pr-number': '1',
      'commit-sha': sha,
      'applied-count': '2',
      'conflict-count': '1',
      'missing-count': '2'
    })
    expect(remoteSha(BRANCH)).toBe(sha)
    expect(writes()).toEqual([])
    expect(pulls()).toHaveLength(1)
    expect(again.summary).toContain('not pushed')
  })

  it('opens no pull request when nothing applied, and fails when no shard uploaded anything', async () => {
    await uploadShard(1, [
      { task: 'src/a.js', status: 'fail', error: 'budget' },
      { task: 'src/b.js', status: 'no-changes' },
      { task: 'src/c.js', status: 'timeout' }
    ])
    const run = await collect()
    expectOk(run)
    expect(run.outputs).toMatchObject({
      conclusion: 'no-changes',
      'pr-operation': 'none',
      'pr-number': '',
      'applied-count': '0',
      'missing-count': '5'
    })
    expect(pulls()).toHaveLength(0)
    expect(remoteSha(BRANCH)).toBeUndefined()
    expect(run.summary).toContain('| Result | nothing applied |')
    expect(run.summary).toContain('| 1 | `src/a.js` | ❌ fail | budget |')

    const nothing = await collect({ inputs: { 'artifact-pattern': 'other-*' } })
    expect(nothing.exitCode).toBe(1)
    expect(nothing.log).toContain("No artifact of this run matches artifact-pattern 'other-*'")
    expect(nothing.outputs['missing-count']).toBe('8')
    expect(pulls()).toHaveLength(0)
  })
})
