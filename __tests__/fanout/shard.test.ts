import { describe, expect, it } from '@jest/globals'
import { patchFileName, readResults, type TaskResult } from '../../src/fanout/results.js'
import {
  addedGitlinks,
  buildShardPrompt,
  firstLine,
  parseShardReport,
  refusalOf,
  renderShardSummary,
  shardBranchPrefix,
  shardOutputs,
  shardTotals,
  taskResult,
  type TaskRun
} from '../../src/fanout/shard.js'

const TOKEN = 'ghs_shardUnitToken0123456789abcdefABCD'
const redact = (text: string): string => text.split(TOKEN).join('***')

// Numbers as the CLI reports them against the scripted API (see harness/anthropic-api.ts): a
// Read → Edit → StructuredOutput session is 4 turns at $0.000175 a request.
const SESSION = { conclusion: 'success' as const, costUsd: 0.000525, numTurns: 4 }

function run(overrides: Partial<TaskRun>): TaskRun {
  return {
    task: 'src/lib/format-date.js',
    index: 2,
    session: SESSION,
    report: { status: 'ok', summary: 'Converted require/module.exports to import/export' },
    changed: true,
    durationMs: 8421.6,
    ...overrides
  }
}

describe('buildShardPrompt', () => {
  it('replaces every {task}, literally, and asks for the structured status last', () => {
    const prompt = buildShardPrompt(
      'Migrate {task} from CommonJS to ESM. Keep behaviour; {task} must still export the same names.',
      "src/a$&'.js",
      { allowWorkflowChanges: false }
    )
    expect(prompt.split('\n')[0]).toBe(
      "Migrate src/a$&'.js from CommonJS to ESM. Keep behaviour; src/a$&'.js must still export the same names."
    )
    expect(prompt).not.toContain('{task}')
    expect(prompt).toContain('.github/workflows')
    expect(prompt.split('\n').at(-1)).toMatch(
      /^When you have finished editing .*StructuredOutput.*`status`/
    )
  })

  it('says nothing about workflows when changing them is allowed', () => {
    expect(buildShardPrompt('Fix {task}', 'ci.yml', { allowWorkflowChanges: true })).not.toContain(
      '.github/workflows'
    )
  })
})

describe('parseShardReport', () => {
  it('reads ok and fail with a one-line summary', () => {
    expect(parseShardReport({ status: 'ok', summary: '  Converted to ESM\n\nDetails…' })).toEqual({
      status: 'ok',
      summary: 'Converted to ESM'
    })
    expect(parseShardReport({ status: 'fail', summary: 'Uses __dirname' })).toEqual({
      status: 'fail',
      summary: 'Uses __dirname'
    })
    expect(parseShardReport({ status: 'fail' })).toEqual({ status: 'fail', summary: '' })
  })

  it.each([undefined, null, 'ok', { status: 'OK', summary: 'x' }, { summary: 'done' }])(
    'gives undefined for %j',
    value => expect(parseShardReport(value)).toBeUndefined()
  )

  it('cuts a long summary', () => {
    expect([...firstLine('word '.repeat(200))]).toHaveLength(300)
  })
})

describe('taskResult', () => {
  it('ok: the report, the numbers, the patch named after the task', () => {
    expect(taskResult(run({}), redact)).toEqual({
      task: 'src/lib/format-date.js',
      status: 'ok',
      summary: 'Converted require/module.exports to import/export',
      cost_usd: 0.000525,
      num_turns: 4,
      duration_ms: 8422,
      error: null,
      patch: '0003-src-lib-format-date.js.patch'
    })
  })

  it('ok without a report: judged by its change, summarised by its last text', () => {
    const result = taskResult(
      run({ report: undefined, session: { ...SESSION, result: 'Done.\nI converted the file.' } }),
      redact
    )
    expect(result).toMatchObject({
      status: 'ok',
      summary: 'Done.',
      patch: '0003-src-lib-format-date.js.patch'
    })
  })

  it('no-changes when the worktree holds no change, whatever the report says', () => {
    expect(taskResult(run({ changed: false }), redact)).toMatchObject({
      status: 'no-changes',
      error: null,
      patch: null
    })
    expect(taskResult(run({ changed: false, report: undefined }), redact).status).toBe('no-changes')
  })

  it('fail when the writer says so; its change is dropped', () => {
    const result = taskResult(
      run({ report: { status: 'fail', summary: 'The file uses require.cache' } }),
      redact
    )
    expect(result).toMatchObject({
      status: 'fail',
      summary: 'The file uses require.cache',
      error: 'the writer reported that it could not do the task',
      patch: null,
      cost_usd: 0.000525
    })
  })

  it('timeout for a session stopped at its time limit', () => {
    const result = taskResult(
      run({
        session: { conclusion: 'timeout', costUsd: 0.00035, numTurns: 2 },
        report: undefined,
        failure:
          "The writer session ended with 'timeout': session stopped after its time limit (60000 ms)"
      }),
      redact
    )
    expect(result).toMatchObject({ status: 'timeout', patch: null, num_turns: 2 })
    expect(result.error).toContain('time limit')
  })

  it.each(['max-turns', 'budget', 'failure'] as const)(
    'fail for a session that ended with %s',
    conclusion => {
      const result = taskResult(
        run({
          session: { conclusion, costUsd: 0.01, numTurns: 31 },
          report: undefined,
          failure: `The writer session ended with '${conclusion}'`
        }),
        redact
      )
      expect(result).toMatchObject({ status: 'fail', patch: null, cost_usd: 0.01, num_turns: 31 })
      expect(result.error).toBe(`The writer session ended with '${conclusion}'`)
    }
  )

  it('fail with the reason when the change is refused; the patch is not kept', () => {
    const refusal = refusalOf({
      workflows: ['.github/workflows/ci.yml'],
      allowWorkflowChanges: false,
      leaking: [],
      gitlinks: []
    })
    expect(taskResult(run({ refusal }), redact)).toMatchObject({
      status: 'fail',
      summary: 'Converted require/module.exports to import/export',
      error:
        'the change touches workflow files (.github/workflows/ci.yml), which allow-workflow-changes does not allow',
      patch: null
    })
  })

  it('fail with the error for a task that never got a session', () => {
    expect(
      taskResult(
        {
          task: 'src/b.js',
          index: 0,
          changed: false,
          durationMs: 0,
          failure: 'git worktree add … failed (128): fatal: not a valid object name'
        },
        redact
      )
    ).toEqual({
      task: 'src/b.js',
      status: 'fail',
      summary: '',
      cost_usd: 0,
      num_turns: 0,
      duration_ms: 0,
      error: 'git worktree add … failed (128): fatal: not a valid object name',
      patch: null
    })
  })

  it('redacts the summary and the error', () => {
    const result = taskResult(
      run({
        report: { status: 'fail', summary: `The token ${TOKEN} was in .env` },
        failure: `stderr: ${TOKEN}`
      }),
      redact
    )
    expect(JSON.stringify(result)).not.toContain(TOKEN)
    expect(result.summary).toBe('The token *** was in .env')
  })

  it('writes entries that collect reads back unchanged', () => {
    const results = [
      taskResult(run({ index: 0, task: 'src/a.js' }), redact),
      taskResult(run({ index: 1, task: 'src/b.js', changed: false }), redact),
      taskResult(run({ index: 2, task: 'src/c d/ü.js' }), redact)
    ]
    expect(readResults(JSON.stringify(results))).toEqual(results)
    expect(results.map(r => r.patch)).toEqual([
      '0001-src-a.js.patch',
      null,
      '0003-src-c-d-.js.patch'
    ])
  })
})

describe('patch names and branches', () => {
  it('are unique per task position and safe as file and ref names', () => {
    expect(patchFileName(0, 'src/a.js')).toBe('0001-src-a.js.patch')
    expect(patchFileName(9, '../../etc/passwd')).toBe('0010-etc-passwd.patch')
    expect(patchFileName(41, '.hidden')).toBe('0042-hidden.patch')
    expect(patchFileName(3, '???')).toBe('0004-task.patch')
    expect(shardBranchPrefix('3')).toBe('tandem/shard-3/')
  })
})

describe('refusalOf', () => {
  const none = { workflows: [], allowWorkflowChanges: false, leaking: [], gitlinks: [] }

  it('refuses nothing for a plain change, and workflows when allowed', () => {
    expect(refusalOf(none)).toBeUndefined()
    expect(
      refusalOf({ ...none, workflows: ['.github/workflows/a.yml'], allowWorkflowChanges: true })
    ).toBeUndefined()
  })

  it('names the files that hold a credential, and a nested repository', () => {
    expect(refusalOf({ ...none, leaking: ['.env', 'the patch'] })).toBe(
      'the change would publish a credential of this run (in .env, the patch)'
    )
    expect(refusalOf({ ...none, gitlinks: ['vendor/lib'] })).toBe(
      'the change adds a nested git repository (vendor/lib), which a patch cannot carry'
    )
  })
})

describe('addedGitlinks', () => {
  it('finds a nested repository the writer made, and only new ones', () => {
    const patch = [
      'diff --git a/src/a.js b/src/a.js',
      'index 366f17ff507eeda97ee143e1ae7ef7933e52f89b..3e757656cf36eca53338e520d134963a44f793f8 100644',
      '--- a/src/a.js',
      '+++ b/src/a.js',
      '@@ -1 +1 @@',
      '-const a = require("a")',
      '+import a from "a"',
      'diff --git a/sub b/sub',
      'new file mode 160000',
      'index 0000000000000000000000000000000000000000..d0710324bcdce25fb4833e170fd19c67b58bc858',
      '--- /dev/null',
      '+++ b/sub',
      '@@ -0,0 +1 @@',
      '+Subproject commit d0710324bcdce25fb4833e170fd19c67b58bc858',
      'diff --git a/vendor/x b/vendor/x',
      'index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 160000',
      '--- a/vendor/x',
      '+++ b/vendor/x',
      '@@ -1 +1 @@',
      '-Subproject commit 1111111111111111111111111111111111111111',
      '+Subproject commit 2222222222222222222222222222222222222222',
      ''
    ].join('\n')
    expect(addedGitlinks(patch)).toEqual(['sub'])
  })
})

describe('totals, outputs and the summary', () => {
  const results: TaskResult[] = [
    taskResult(run({ index: 0, task: 'src/a.js' }), redact),
    taskResult(
      run({
        index: 1,
        task: 'src/b.js',
        report: { status: 'fail', summary: 'ask @octocat | uses eval' }
      }),
      redact
    ),
    taskResult(run({ index: 2, task: 'src/c.js', changed: false }), redact),
    taskResult(
      run({
        index: 3,
        task: 'src/d.js',
        session: { conclusion: 'timeout', costUsd: 0.0007, numTurns: 3 },
        failure: "The writer session ended with 'timeout'"
      }),
      redact
    )
  ]

  it('counts fail and timeout as failures and sums costs exactly', () => {
    expect(shardTotals(results)).toEqual({
      tasks: 4,
      ok: 1,
      noChanges: 1,
      failed: 1,
      timedOut: 1,
      costUsd: 0.002275,
      numTurns: 15
    })
    expect(shardOutputs(results, '/runner/_temp/tandem/shard-3-x/results.json', 61234.4)).toEqual({
      'ok-count': '1',
      'fail-count': '2',
      'results-file': '/runner/_temp/tandem/shard-3-x/results.json',
      conclusion: 'success',
      'cost-usd': '0.002275',
      'num-turns': '15',
      'duration-ms': '61234'
    })
  })

  it('renders one row per task in order, the model text inert', () => {
    const summary = renderShardSummary('3', results, 61234)
    const rows = summary.split('\n').filter(line => /^\| \d+ \|/.test(line))
    expect(rows).toHaveLength(4)
    expect(rows[0]).toBe(
      '| 1 | `src/a.js` | ✅ ok | Converted require/module.exports to import/export | $0.0005 | 4 | 8.4 s |'
    )
    expect(rows[1]).toContain('❌ fail | ask @\u2060octocat \\| uses eval — the writer reported')
    expect(rows[2]).toContain('➖ no-changes')
    expect(rows[3]).toContain('⏱️ timeout')
    expect(summary).toContain(
      '**1 ok, 1 without changes, 1 failed, 1 timed out** of 4 tasks · $0.0023 · 15 turns · 1 min 1 s'
    )
  })

  it('renders an empty shard', () => {
    expect(renderShardSummary('7', [], 5)).toContain('of 0 tasks')
  })
})
