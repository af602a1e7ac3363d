// plan mode end to end: the bundled action (dist/index.js) reads tasks from each source,
// plans shards and hands back the matrix as the runner would see it. No model is involved: the
// scripted API is there because the harness needs one, and it must see no request.
import { afterEach, describe, expect, it } from '@jest/globals'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runAction, type ActionRun } from '../harness/action.js'
import { startScriptedApi, type ScriptedApi } from '../harness/anthropic-api.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { createTestRepo } from '../harness/repo.js'

const GITHUB_TOKEN = 'ghs_e2ePlanToken0123456789abcdefABCDEF'

let api: ScriptedApi | undefined
const dirs: TempDir[] = []

afterEach(async () => {
  // Planning never talks to the model.
  expect(api?.requests).toHaveLength(0)
  await api?.close()
  api = undefined
  for (const dir of dirs.splice(0)) dir.cleanup()
})

async function plan(
  inputs: Record<string, string>,
  workspace?: string,
  env: Record<string, string> = {}
): Promise<ActionRun> {
  const home = makeTempDir('tandem-e2e-plan-home')
  dirs.push(home)
  if (!workspace) {
    const ws = makeTempDir('tandem-e2e-plan-ws')
    dirs.push(ws)
    workspace = ws.path
  }
  api = await startScriptedApi([])
  return runAction({
    api,
    home: home.path,
    workspace,
    inputs: { mode: 'plan', 'github-token': GITHUB_TOKEN, ...inputs },
    env
  })
}

/** A checkout with tracked, untracked, ignored, dot and symlinked files. */
function checkout(): string {
  const root = makeTempDir('tandem-e2e-plan-repo')
  dirs.push(root)
  const repo = createTestRepo(root.path, {
    '.gitignore': 'src/gen/\n*.log\n',
    'README.md': '# app\n',
    'src/a.js': 'module.exports = 1\n',
    'src/b.js': 'module.exports = 2\n',
    'src/.dot.js': '',
    'src/nested/deeper/c.js': '',
    'src/vendor/v.js': ''
  })
  const untracked: Record<string, string> = {
    'src/new.js': '',
    'src/gen/out.js': '',
    'src/debug.log': ''
  }
  for (const [file, content] of Object.entries(untracked)) {
    mkdirSync(path.dirname(path.join(repo.workspace, file)), { recursive: true })
    writeFileSync(path.join(repo.workspace, file), content)
  }
  return repo.workspace
}

describe('plan mode through dist/index.js', () => {
  it('files: globs on a checkout give the exact matrix, counts and a summary of the shards', async () => {
    const workspace = checkout()
    const run = await plan({ files: 'src/**/*.js\n!src/vendor/**', 'shard-size': '2' }, workspace)
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    expect(run.outputs.matrix).toBe(
      '{"include":[' +
        '{"shard":1,"tasks":["src/.dot.js","src/a.js"]},' +
        '{"shard":2,"tasks":["src/b.js","src/nested/deeper/c.js"]},' +
        '{"shard":3,"tasks":["src/new.js"]}]}'
    )
    expect(run.outputs).toMatchObject({ 'task-count': '5', 'shard-count': '3' })
    expect(run.log).toContain("::group::Reading tasks from 'files'")
    expect(run.log).toContain('::group::Planning shards')
    expect(run.log).toContain('1 ignored by git')
    expect(run.summary).toContain('**5 tasks in 3 shards** from `files`, up to 2 per shard.')
    expect(run.summary).toContain('| 1 | 2 | `src/.dot.js` | `src/a.js` |')
    expect(run.summary).toContain('| 2 | 2 | `src/b.js` | `src/nested/deeper/c.js` |')
    expect(run.summary).toContain('| 3 | 1 | `src/new.js` |  |')
  })

  it('tasks: 12 lines at shard-size 5 give 3 shards; canary 4 keeps the first 4', async () => {
    const tasks = Array.from({ length: 12 }, (_, i) => `Fix issue #${i + 1}`)
    const text = `${tasks.join('\n')}\n\n${tasks[0]}\n`
    const run = await plan({ tasks: text, 'shard-size': '5' })
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.outputs.matrix!)).toEqual({
      include: [
        { shard: 1, tasks: tasks.slice(0, 5) },
        { shard: 2, tasks: tasks.slice(5, 10) },
        { shard: 3, tasks: tasks.slice(10) }
      ]
    })
    // Compact: exactly what JSON.stringify writes, no space or newline between tokens.
    expect(run.outputs.matrix).toBe(JSON.stringify(JSON.parse(run.outputs.matrix!)))
    expect(run.outputs).toMatchObject({ 'task-count': '12', 'shard-count': '3' })

    const canary = await plan({ tasks: text, 'shard-size': '5', canary: '4' })
    expect(canary.outputs.matrix).toBe(
      `{"include":[{"shard":1,"tasks":${JSON.stringify(tasks.slice(0, 4))}}]}`
    )
    expect(canary.summary).toContain(
      '**Canary:** the first 4 tasks of 12; 8 left for the full run.'
    )
  })

  it('task-command: its stdout lines, run with bash in the checkout, without the credentials', async () => {
    const workspace = checkout()
    const run = await plan(
      {
        'task-command':
          "git ls-files 'src/*.js' | sort -r; env | grep -E '^(INPUT_|ACTIONS_|GITHUB_TOKEN=)' | cut -d= -f1; echo listed >&2",
        'shard-size': '10'
      },
      workspace,
      { ACTIONS_RUNTIME_TOKEN: 'runtime-secret', GITHUB_TOKEN }
    )
    expect(run.exitCode).toBe(0)
    expect(run.outputs.matrix).toBe(
      '{"include":[{"shard":1,"tasks":["src/vendor/v.js","src/nested/deeper/c.js","src/b.js","src/a.js","src/.dot.js"]}]}'
    )
    expect(run.log).toContain("task-command's stderr:\nlisted")
    // The runner is told to mask it, and nothing else shows it.
    expect(run.log.split(GITHUB_TOKEN)).toHaveLength(2)
    expect(run.log).toContain(`::add-mask::${GITHUB_TOKEN}`)
  })

  it('a failing task-command fails the step with its exit code and stderr', async () => {
    const run = await plan({ 'task-command': 'echo "cannot list tasks: no index" >&2; exit 7' })
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain(
      '::error::task-command exited with code 7; the end of its stderr:%0Acannot list tasks: no index'
    )
    expect(run.outputs.matrix).toBeUndefined()
  })

  it('a bad combination of sources fails at once, naming the inputs', async () => {
    const both = await plan({ tasks: 'a', files: 'src/**' })
    expect(both.exitCode).toBe(1)
    expect(both.log).toContain(
      `::error::Inputs 'tasks' and 'files' are both set: mode "plan" expected exactly one of 'tasks', 'files' or 'task-command'`
    )
    expect(both.outputs).toEqual({})
    const none = await plan({})
    expect(none.exitCode).toBe(1)
    expect(none.log).toContain(
      `::error::Inputs 'tasks', 'files' and 'task-command' are all empty: mode "plan" expected exactly one of them`
    )
  })

  it('no matching file: an empty matrix, 0 tasks, and the advice to guard the shard job', async () => {
    const run = await plan({ files: 'nothing/**/*.js' }, checkout())
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toEqual({ matrix: '{"include":[]}', 'task-count': '0', 'shard-count': '0' })
    expect(run.log).toMatch(/::warning::No tasks: the matrix is empty/)
    expect(run.summary).toContain("`if: needs.plan.outputs.task-count != '0'`")
  })

  it('a plan over the 1 MB output limit fails with its size and what to do', async () => {
    const run = await plan({
      'task-command': "seq 1 60000 | sed 's|^|packages/app/src/components/file-|'",
      'shard-size': '100'
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(
      /::error::The matrix output would be 2\.\d MB \([\d,]+ bytes of JSON for 60,000 tasks\), over GitHub's 1 MB limit/
    )
    expect(run.log).toContain('Bigger shards do not make it smaller')
    expect(run.outputs.matrix).toBeUndefined()
    expect(run.outputs).toMatchObject({ 'task-count': '60000', 'shard-count': '256' })
    expect(run.summary).toContain('**Not usable:** The matrix output would be')
  })
})
