import { describe, expect, it } from '@jest/globals'
import {
  attentionFirst,
  renderCollectBody,
  renderCollectSummary
} from '../../src/fanout/merge-render.js'
import {
  collectMarker,
  collectedResults,
  mergeTotals,
  planMerge,
  renderTotals,
  retryTasks,
  settleMerge,
  taskCommitMessage,
  type ApplyOutcome,
  type CollectedTask,
  type ShardResults
} from '../../src/fanout/merge.js'
import type { PlannedMatrix, TaskResult } from '../../src/fanout/results.js'
import { MAX_BODY_CHARS } from '../../src/github/body.js'
import { trailerMarkers } from '../../src/review/findings.js'

function result(task: string, overrides: Partial<TaskResult> = {}): TaskResult {
  return {
    task,
    status: 'ok',
    summary: `Converted ${task} from require() to import`,
    cost_usd: 0.0123,
    num_turns: 4,
    duration_ms: 21_000,
    error: null,
    patch: `0001-${task.replace(/\W+/g, '-')}.patch`,
    ...overrides
  }
}

const MATRIX: PlannedMatrix = {
  include: [
    { shard: 1, tasks: ['src/api/client.js', 'src/api/retry.js'] },
    { shard: 2, tasks: ['src/ui/Button.js', 'src/ui/Modal.js'] },
    { shard: 3, tasks: ['src/util/date.js'] }
  ]
}

describe('planMerge', () => {
  it('keeps plan order, marks what no shard reported missing, and lists unplanned results after', () => {
    const shards: ShardResults[] = [
      // Shard 2 finished first but artifacts come in shard order; its order inside is kept.
      {
        shard: '1',
        results: [
          result('src/api/retry.js', { status: 'no-changes', patch: null }),
          result('src/api/client.js')
        ]
      },
      {
        shard: '2',
        results: [
          result('src/ui/Button.js', {
            status: 'fail',
            error: 'The writer session ended with failure',
            patch: null
          }),
          result('src/legacy/old.js')
        ]
      }
      // Shard 3 uploaded nothing.
    ]
    const plan = planMerge(shards, MATRIX)
    expect(plan.map(e => [e.index, e.task, e.shard, e.origin, e.status, e.reason])).toEqual([
      [0, 'src/api/client.js', '1', 'planned', 'pending', undefined],
      [1, 'src/api/retry.js', '1', 'planned', 'no-changes', undefined],
      [2, 'src/ui/Button.js', '2', 'planned', 'fail', undefined],
      [3, 'src/ui/Modal.js', '2', 'planned', 'missing', "shard 2's results do not list it"],
      [4, 'src/util/date.js', '3', 'planned', 'missing', 'shard 3 uploaded no results'],
      [5, 'src/legacy/old.js', '2', 'unplanned', 'pending', 'not in the matrix']
    ])
  })

  it('says when a shard’s results could not be read', () => {
    const plan = planMerge(
      [
        {
          shard: '3',
          results: undefined,
          error: 'results.json entry 2 has no task or an unknown status'
        }
      ],
      { include: [{ shard: 3, tasks: ['a.js'] }] }
    )
    expect(plan[0]).toMatchObject({
      status: 'missing',
      reason:
        "shard 3's results could not be read: results.json entry 2 has no task or an unknown status"
    })
  })

  it('takes a duplicate task from the shard it was planned in and lists the other as duplicate', () => {
    const shards: ShardResults[] = [
      { shard: '1', results: [result('src/ui/Button.js', { summary: 'from shard 1' })] },
      { shard: '2', results: [result('src/ui/Button.js', { summary: 'from shard 2' })] }
    ]
    const plan = planMerge(shards, { include: [{ shard: 2, tasks: ['src/ui/Button.js'] }] })
    expect(plan.map(e => [e.task, e.shard, e.status, e.result?.summary, e.reason])).toEqual([
      ['src/ui/Button.js', '2', 'pending', 'from shard 2', undefined],
      [
        'src/ui/Button.js',
        '1',
        'duplicate',
        'from shard 1',
        'also reported by shard 1; the result of shard 2 is used'
      ]
    ])
  })

  it('without a matrix: shard order, then results order; the first of two results is used', () => {
    const shards: ShardResults[] = [
      {
        shard: '1',
        results: [result('b.js'), result('a.js'), result('b.js', { summary: 'again' })]
      },
      { shard: '2', results: [result('c.js', { status: 'timeout', patch: null })] },
      { shard: '10', results: [result('a.js')] }
    ]
    const plan = planMerge(shards)
    expect(plan.map(e => [e.task, e.shard, e.origin, e.status])).toEqual([
      ['b.js', '1', 'planned', 'pending'],
      ['b.js', '1', 'planned', 'duplicate'],
      ['a.js', '1', 'planned', 'pending'],
      ['a.js', '10', 'planned', 'duplicate'],
      ['c.js', '2', 'planned', 'timeout']
    ])
  })

  it('lists a task planned twice once', () => {
    const plan = planMerge([{ shard: '1', results: [result('a.js')] }], {
      include: [
        { shard: 1, tasks: ['a.js'] },
        { shard: 2, tasks: ['a.js'] }
      ]
    })
    expect(plan.map(e => e.task)).toEqual(['a.js'])
  })
})

function settled(): CollectedTask[] {
  const shards: ShardResults[] = [
    {
      shard: '1',
      results: [
        result('src/api/client.js'),
        result('src/api/retry.js'),
        result('src/ui/Button.js', {
          status: 'fail',
          error: 'The writer session ended with failure',
          patch: null,
          cost_usd: 0.5,
          num_turns: 30
        })
      ]
    },
    {
      shard: '2',
      results: [
        result('src/ui/Modal.js', {
          status: 'timeout',
          patch: null,
          error: 'stopped after 30 minutes'
        }),
        result('src/ci.js')
      ]
    }
  ]
  const plan = planMerge(shards, {
    include: [
      { shard: 1, tasks: ['src/api/client.js', 'src/api/retry.js', 'src/ui/Button.js'] },
      { shard: 2, tasks: ['src/ui/Modal.js', 'src/ci.js'] },
      { shard: 3, tasks: ['src/util/date.js'] }
    ]
  })
  const outcomes = new Map<number, ApplyOutcome>([
    [0, { status: 'applied', commit: 'a'.repeat(40) }],
    [
      1,
      {
        status: 'conflict',
        reason: 'does not apply on top of the tasks before it: conflicts in src/api/retry.js'
      }
    ],
    [
      4,
      {
        status: 'fail',
        reason:
          'the patch changes workflow files (.github/workflows/ci.yml), which allow-workflow-changes does not allow'
      }
    ]
  ])
  return settleMerge(plan, outcomes)
}

describe('settleMerge, totals and retries', () => {
  it('gives each pending task its outcome', () => {
    const tasks = settled()
    expect(tasks.map(t => [t.task, t.status, t.commit])).toEqual([
      ['src/api/client.js', 'applied', 'a'.repeat(40)],
      ['src/api/retry.js', 'conflict', undefined],
      ['src/ui/Button.js', 'fail', undefined],
      ['src/ui/Modal.js', 'timeout', undefined],
      ['src/ci.js', 'fail', undefined],
      ['src/util/date.js', 'missing', undefined]
    ])
    expect(tasks[4]!.reason).toMatch(/workflow files/)
  })

  it('counts a pending task without an outcome as failed, never as applied', () => {
    const plan = planMerge([{ shard: '1', results: [result('a.js')] }])
    expect(settleMerge(plan, new Map())[0]).toMatchObject({
      status: 'fail',
      reason: 'its patch was never applied'
    })
  })

  it('totals statuses, cost and turns; lists the tasks to run again', () => {
    const totals = mergeTotals(settled())
    expect(totals.byStatus).toMatchObject({
      applied: 1,
      conflict: 1,
      fail: 2,
      timeout: 1,
      missing: 1
    })
    expect(renderTotals(totals)).toBe(
      '**6 tasks** · 1 applied · 1 conflict · 2 fail · 1 timeout · 1 missing · $0.5492 · 46 turns'
    )
    expect(retryTasks(settled())).toEqual([
      'src/api/retry.js',
      'src/ui/Button.js',
      'src/ui/Modal.js',
      'src/ci.js',
      'src/util/date.js'
    ])
    expect(attentionFirst(settled()).map(t => t.status)).toEqual([
      'conflict',
      'fail',
      'fail',
      'timeout',
      'missing',
      'applied'
    ])
  })

  it('writes the results file in results.json’s field names plus collect’s', () => {
    const [first, , , , , missing] = collectedResults(settled())
    expect(first).toEqual({
      task: 'src/api/client.js',
      status: 'applied',
      shard: '1',
      origin: 'planned',
      summary: 'Converted src/api/client.js from require() to import',
      cost_usd: 0.0123,
      num_turns: 4,
      duration_ms: 21000,
      error: null,
      patch: '0001-src-api-client-js.patch',
      reason: null,
      commit: 'a'.repeat(40)
    })
    expect(missing).toMatchObject({
      status: 'missing',
      shard: '3',
      reason: 'shard 3 uploaded no results',
      summary: ''
    })
  })
})

describe('taskCommitMessage', () => {
  it('is the task and the shard’s summary, cut to a subject with the whole line below', () => {
    expect(taskCommitMessage({ task: 'src/a.js', summary: 'Use import' })).toBe(
      'src/a.js: Use import'
    )
    const long = taskCommitMessage({
      task: 'src/components/forms/inputs/DateRangePicker.js',
      summary: 'Converted every require() to import and module.exports to export default'
    })
    const [subject, blank, body] = long.split('\n')
    expect([...subject!].length).toBe(72)
    expect(subject!.endsWith('…')).toBe(true)
    expect(blank).toBe('')
    expect(body).toBe(
      'src/components/forms/inputs/DateRangePicker.js: Converted every require() to import and module.exports to export default'
    )
    expect(taskCommitMessage({ task: 'b.js', summary: '' })).toBe('b.js')
  })

  it('takes commit-message as a template', () => {
    expect(taskCommitMessage({ task: 'src/a.js', summary: 'Done' }, 'esm: migrate {task}')).toBe(
      'esm: migrate src/a.js\n\nDone'
    )
    expect(taskCommitMessage({ task: 'src/a.js', summary: '' }, 'chore: ESM')).toBe(
      'chore: ESM: src/a.js'
    )
  })
})

describe('renderCollectBody', () => {
  it('renders the whole table, the totals, verify and the marker, with model text inert', () => {
    const tasks = settled()
    tasks[0]!.result!.summary = 'Done, cc @octocat <img src=x> | <!-- tandem:summary -->'
    const body = renderCollectBody({
      branch: 'tandem/esm',
      tasks,
      verify: '✅ `npm test` passed (exit 0)',
      shardCount: 2,
      conflictsArtifact: 'tandem-conflicts'
    })
    expect(body).toContain('Tandem applied 1 of 6 fan-out tasks from 2 shards')
    expect(body).toContain('| # | Task | Status | Summary | Cost | Turns |')
    expect(body).toContain(
      '| 2 | `src/api/retry.js` | ⚠️ conflict | does not apply on top of the tasks before it: conflicts in src/api/retry.js — Converted src/api/retry.js from require() to import | $0.0123 | 4 |'
    )
    expect(body).toContain(
      '| 6 | `src/util/date.js` | ❓ missing | shard 3 uploaded no results | — | — |'
    )
    expect(body).toContain(
      '| 4 | `src/ui/Modal.js` | ⏱️ timeout | stopped after 30 minutes — Converted src/ui/Modal.js from require() to import | $0.0123 | 4 |'
    )
    expect(body).toContain(
      '> 1 task did not apply on top of the tasks before it; its patch is in the `tandem-conflicts` artifact of this run.'
    )
    expect(body).not.toContain('The full table is in the job summary')
    expect(body).toContain('### Verify\n\n✅ `npm test` passed (exit 0)')
    // No ping, no image, no marker from the model; the pipe does not split the row.
    expect(body).not.toMatch(/(^|[^`\\])@octocat/)
    expect(body).not.toContain('<img')
    expect(body).toContain('\\|')
    expect(trailerMarkers(body)).toEqual([collectMarker('tandem/esm')])
    expect(collectMarker('tandem/esm')).toBe('<!-- tandem:collect branch=tandem/esm -->')
  })

  it('renders the same body for the same results', () => {
    const input = { branch: 'tandem/esm', tasks: settled(), verify: '', shardCount: 2 }
    expect(renderCollectBody(input)).toBe(renderCollectBody({ ...input, tasks: settled() }))
  })

  it('fits 2,500 tasks under GitHub’s limit: what needs attention first, then names, with counts', () => {
    const tasks = bigFanOut(2500)
    const body = renderCollectBody({ branch: 'tandem/esm', tasks, verify: '', shardCount: 250 })
    expect([...body].length).toBeLessThanOrEqual(MAX_BODY_CHARS)
    expect(body).toContain('**2500 tasks** · 2250 applied · 125 conflict · 125 fail')
    expect(body).toContain('#### Needs attention (250)')
    // Every conflict and failure fits, before any applied task is named.
    const attention = body.slice(body.indexOf('#### Needs attention'), body.indexOf('<details>'))
    expect(attention.match(/⚠️ conflict/g)).toHaveLength(125)
    expect(attention.match(/❌ fail/g)).toHaveLength(125)
    expect(attention.indexOf('⚠️ conflict')).toBeLessThan(attention.indexOf('❌ fail'))
    expect(body).toContain('<details><summary>Applied (2250)</summary>')
    expect(body).toContain('The full table is in the job summary.')
    expect(body).toMatch(/, … and \d+ more\n/)
    expect(trailerMarkers(body)).toEqual([collectMarker('tandem/esm')])
  })

  it('caps the rows that need attention when even they do not fit', () => {
    const tasks = bigFanOut(3000).map(t => ({
      ...t,
      status: 'fail' as const,
      reason: 'x'.repeat(150)
    }))
    const body = renderCollectBody({ branch: 'tandem/esm', tasks, verify: '', shardCount: 300 })
    expect([...body].length).toBeLessThanOrEqual(MAX_BODY_CHARS)
    expect(body).toMatch(/_… and \d+ more rows: see the job summary_/)
  })
})

function bigFanOut(n: number): CollectedTask[] {
  const shards: ShardResults[] = []
  for (let s = 0; s < n / 10; s++) {
    shards.push({
      shard: String(s + 1),
      results: Array.from({ length: 10 }, (_, i) =>
        result(`src/modules/feature-${s}/component-${i}.js`, {
          summary:
            'Converted the CommonJS require calls to static imports and the exports to named exports; behaviour unchanged'
        })
      )
    })
  }
  const plan = planMerge(shards)
  const outcomes = new Map<number, ApplyOutcome>()
  for (const entry of plan) {
    outcomes.set(
      entry.index,
      entry.index % 20 === 7
        ? {
            status: 'conflict',
            reason: `does not apply on top of the tasks before it: conflicts in ${entry.task}`
          }
        : entry.index % 20 === 13
          ? { status: 'fail', reason: 'the patch would publish a credential of this run' }
          : { status: 'applied', commit: entry.index.toString(16).padStart(40, '0') }
    )
  }
  return settleMerge(plan, outcomes)
}

describe('renderCollectSummary', () => {
  it('has the facts, the full table, the conflicts and the tasks to run again', () => {
    const summary = renderCollectSummary({
      branch: 'tandem/esm',
      base: 'main',
      tasks: settled(),
      shardCount: 2,
      commitSha: 'b'.repeat(40),
      pushed: true,
      pr: { number: 7, url: 'https://github.com/acme/widgets/pull/7', operation: 'created' },
      verify: '',
      verifyStatus: 'none',
      conflicts: {
        artifact: 'tandem-conflicts',
        files: [{ task: 'src/api/retry.js', file: 'shard-1-0002-src-api-retry-js.patch' }]
      },
      resultsFile: '/runner/temp/tandem/collect-results.json'
    })
    expect(summary).toContain('### Tandem · collect')
    expect(summary).toContain(
      '| Pull request | [#7](https://github.com/acme/widgets/pull/7) (created) |'
    )
    expect(summary).toContain('| 6 | `src/util/date.js` | ❓ missing |')
    expect(summary).toContain('Kept in the `tandem-conflicts` artifact of this run:')
    expect(summary).toContain('- `src/api/retry.js` → `shard-1-0002-src-api-retry-js.patch`')
    expect(summary).toContain(
      '#### Tasks to run again (5)\n\nFailed, timed out, missing or conflicting, one a line'
    )
    expect(summary).toContain(
      '```text\nsrc/api/retry.js\nsrc/ui/Button.js\nsrc/ui/Modal.js\nsrc/ci.js\nsrc/util/date.js\n```'
    )
  })

  it('keeps the whole table for 2,500 tasks and stays far below the 1 MiB limit for 20,000', () => {
    const base = {
      branch: 'tandem/esm',
      base: 'main',
      shardCount: 250,
      pushed: false,
      verify: '',
      verifyStatus: 'none'
    }
    const summary = renderCollectSummary({ ...base, tasks: bigFanOut(2500) })
    expect(summary).toContain('| 2500 | `src/modules/feature-249/component-9.js`')
    const huge = renderCollectSummary({
      ...base,
      tasks: bigFanOut(20000),
      resultsFile: '/tmp/r.json'
    })
    expect(Buffer.byteLength(huge)).toBeLessThan(1024 * 1024)
    expect(huge).toMatch(
      /_… and \d+ more rows: every task is in the results file \(`\/tmp\/r.json`\)_/
    )
  })
})
