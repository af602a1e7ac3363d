import { describe, expect, it } from '@jest/globals'
import {
  MATRIX_OUTPUT_LIMIT_BYTES,
  matrixOutputProblem,
  plannedTaskCount,
  planShards,
  renderPlanSummary
} from '../../src/fanout/plan.js'
import { readMatrix } from '../../src/fanout/results.js'

const DEFAULTS = { shardSize: 10, maxShards: 256, canary: 0 }

const numbered = (n: number, prefix = 'src/file') =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}.js`)

/** 2,000 paths shaped like a real JavaScript code base's: packages, nested dirs, tests. */
function codeBase(): string[] {
  const dirs = ['components', 'hooks', 'lib/http', 'lib/util', 'pages/admin', '__tests__']
  const names = ['index', 'Button', 'useFetch', 'retry', 'format-date', 'Table.spec']
  const files: string[] = []
  for (let pkg = 0; files.length < 2000; pkg++) {
    for (const dir of dirs) {
      for (const name of names) {
        if (files.length < 2000) files.push(`packages/pkg-${pkg}/src/${dir}/${name}.js`)
      }
    }
  }
  return files.sort()
}

describe('planShards', () => {
  it('12 tasks at shard-size 5: three shards of 5, 5 and 2, ids from 1, order kept', () => {
    const tasks = numbered(12)
    const plan = planShards(tasks, { ...DEFAULTS, shardSize: 5 })
    expect(plan.matrix.include.map(s => s.shard)).toEqual([1, 2, 3])
    expect(plan.matrix.include.map(s => s.tasks.length)).toEqual([5, 5, 2])
    expect(plan.matrix.include.flatMap(s => s.tasks)).toEqual(tasks)
    expect(plan).toMatchObject({ shardSize: 5, canaried: 0 })
  })

  it('the matrix JSON is exactly the contract shape, compact', () => {
    const plan = planShards(['src/a.js', 'src/b.js', 'src/c.js'], { ...DEFAULTS, shardSize: 2 })
    const json = JSON.stringify(plan.matrix)
    expect(json).toBe(
      '{"include":[{"shard":1,"tasks":["src/a.js","src/b.js"]},{"shard":2,"tasks":["src/c.js"]}]}'
    )
    expect(readMatrix(json)).toEqual(plan.matrix)
  })

  it('1,000 tasks at shard-size 1 and max-shards 256: the size grows to 4, giving 250 shards', () => {
    const tasks = numbered(1000)
    const plan = planShards(tasks, { ...DEFAULTS, shardSize: 1 })
    expect(plan.shardSize).toBe(4)
    expect(plan.matrix.include).toHaveLength(250)
    expect(plan.matrix.include.every(s => s.tasks.length === 4)).toBe(true)
    expect(plan.matrix.include.flatMap(s => s.tasks)).toEqual(tasks)
  })

  it('grows only past max-shards: 2,560 tasks fill 256 shards of 10, 2,561 need 11 per shard', () => {
    const exact = planShards(numbered(2560), DEFAULTS)
    expect(exact).toMatchObject({ shardSize: 10 })
    expect(exact.matrix.include).toHaveLength(256)
    const over = planShards(numbered(2561), DEFAULTS)
    expect(over.shardSize).toBe(11)
    expect(over.matrix.include).toHaveLength(233)
    expect(over.matrix.include.at(-1)!.tasks).toHaveLength(2561 - 232 * 11)
  })

  it('2,000 real-looking paths at size 10: 200 shards, every path once, in order', () => {
    const files = codeBase()
    const plan = planShards(files, DEFAULTS)
    expect(plan.matrix.include).toHaveLength(200)
    expect(plan.matrix.include[0]!.tasks[0]).toBe(files[0])
    expect(plan.matrix.include.flatMap(s => s.tasks)).toEqual(files)
    expect(matrixOutputProblem(JSON.stringify(plan.matrix))).toBeUndefined()
  })

  it('never an empty shard, never more than max-shards, every task once, for any sizes', () => {
    for (const n of [0, 1, 2, 9, 10, 11, 255, 256, 257, 1023]) {
      for (const shardSize of [1, 3, 10]) {
        for (const maxShards of [1, 7, 256]) {
          const tasks = numbered(n)
          const { matrix } = planShards(tasks, { shardSize, maxShards, canary: 0 })
          expect(matrix.include.length).toBeLessThanOrEqual(maxShards)
          expect(matrix.include.every(s => s.tasks.length > 0)).toBe(true)
          expect(matrix.include.map(s => s.shard)).toEqual(matrix.include.map((_, i) => i + 1))
          expect(matrix.include.flatMap(s => s.tasks)).toEqual(tasks)
        }
      }
    }
  })

  it('canary keeps the first N tasks and says how many it left out', () => {
    const tasks = numbered(12)
    const plan = planShards(tasks, { ...DEFAULTS, shardSize: 2, canary: 5 })
    expect(plan.matrix.include.flatMap(s => s.tasks)).toEqual(tasks.slice(0, 5))
    expect(plan.matrix.include.map(s => s.tasks.length)).toEqual([2, 2, 1])
    expect(plan.canaried).toBe(7)
    expect(planShards(tasks, { ...DEFAULTS, canary: 0 }).canaried).toBe(0)
    expect(planShards(tasks, { ...DEFAULTS, canary: 50 })).toMatchObject({ canaried: 0 })
    expect(plannedTaskCount(planShards(tasks, { ...DEFAULTS, canary: 50 }).matrix)).toBe(12)
  })

  it('zero tasks: an empty include list, no shard', () => {
    const plan = planShards([], DEFAULTS)
    expect(JSON.stringify(plan.matrix)).toBe('{"include":[]}')
    expect(plan).toMatchObject({ shardSize: 10, canaried: 0 })
  })

  it('refuses a shard size or a max-shards that is not a positive integer', () => {
    expect(() => planShards(['a'], { ...DEFAULTS, shardSize: 0 })).toThrow(/shardSize/)
    expect(() => planShards(['a'], { ...DEFAULTS, maxShards: 1.5 })).toThrow(/maxShards/)
  })
})

describe('matrixOutputProblem', () => {
  it('accepts a matrix up to the limit, byte for byte, and refuses one byte more', () => {
    const frame = '{"include":[{"shard":1,"tasks":[""]}]}'
    const at = frame.replace('""', `"${'a'.repeat(MATRIX_OUTPUT_LIMIT_BYTES - frame.length)}"`)
    expect(Buffer.byteLength(at)).toBe(MATRIX_OUTPUT_LIMIT_BYTES)
    expect(matrixOutputProblem(at)).toBeUndefined()
    expect(matrixOutputProblem(at.replace('"a', '"aa'))).toMatch(/over GitHub's 1 MB limit/)
  })

  it('counts UTF-8 bytes, not characters', () => {
    const tasks = Array.from({ length: 30_000 }, (_, i) => `src/ünïcödé-ファイル-${i}.js`)
    const json = JSON.stringify(planShards(tasks, DEFAULTS).matrix)
    expect(json.length).toBeLessThan(MATRIX_OUTPUT_LIMIT_BYTES)
    expect(Buffer.byteLength(json)).toBeGreaterThan(MATRIX_OUTPUT_LIMIT_BYTES)
    // Counted in UTF-8 bytes: json.length alone is under the limit.
    expect(matrixOutputProblem(json)).toContain(
      'The matrix output would be 1.2 MB (1,194,915 bytes of JSON for 30,000 tasks),'
    )
    expect(matrixOutputProblem(json)).toContain("('canary: 23851' would fit,")
  })

  it('an oversized plan: the size, why bigger shards do not help, and a canary that fits', () => {
    const tasks = numbered(50_000, 'packages/app/src/components/')
    const json = JSON.stringify(planShards(tasks, DEFAULTS).matrix)
    const problem = matrixOutputProblem(json)!
    expect(problem).toContain(`The matrix output would be 1.9 MB (`)
    expect(problem).toContain(`${Buffer.byteLength(json).toLocaleString('en-US')} bytes of JSON`)
    expect(problem).toContain('for 50,000 tasks')
    expect(problem).toContain('Bigger shards do not make it smaller')
    expect(problem).toContain("a 'task-command' that prints short ids")
    // The same tasks in 1 shard or 256: nearly the same bytes.
    const oneShard = JSON.stringify(planShards(tasks, { ...DEFAULTS, maxShards: 1 }).matrix)
    expect(Buffer.byteLength(oneShard) / Buffer.byteLength(json)).toBeGreaterThan(0.99)
    // The canary it suggests does fit.
    const canary = Number(/'canary: (\d+)'/.exec(problem)![1])
    expect(canary).toBeGreaterThan(20_000)
    const canaried = JSON.stringify(planShards(tasks, { ...DEFAULTS, canary }).matrix)
    expect(matrixOutputProblem(canaried)).toBeUndefined()
  })
})

describe('renderPlanSummary', () => {
  const summary = (tasks: string[], options = DEFAULTS, extra = {}) =>
    renderPlanSummary({
      plan: planShards(tasks, options),
      source: 'files',
      shardSize: options.shardSize,
      maxShards: options.maxShards,
      ...extra
    })

  it('a few shards: totals and one open row per shard with its first and last task', () => {
    expect(summary(numbered(12), { ...DEFAULTS, shardSize: 5 })).toBe(
      [
        '### Tandem · plan',
        '',
        '**12 tasks in 3 shards** from `files`, up to 5 per shard.',
        '',
        '| Shard | Tasks | First task | Last task |',
        '|---:|---:|---|---|',
        '| 1 | 5 | `src/file0000.js` | `src/file0004.js` |',
        '| 2 | 5 | `src/file0005.js` | `src/file0009.js` |',
        '| 3 | 2 | `src/file0010.js` | `src/file0011.js` |',
        ''
      ].join('\n')
    )
  })

  it('256 shards: the table collapsed in <details>, short enough for a summary', () => {
    const text = summary(numbered(2560))
    expect(text).toContain('**2,560 tasks in 256 shards**')
    expect(text).toContain('<details><summary>The 256 shards</summary>')
    expect(text.indexOf('<details>')).toBeLessThan(text.indexOf('| 1 | 10 |'))
    expect(text).toContain('| 256 | 10 | `src/file2550.js` | `src/file2559.js` |')
    expect(text.trimEnd().endsWith('</details>')).toBe(true)
    expect(Buffer.byteLength(text)).toBeLessThan(20_000)
  })

  it('says when the shard size grew and when a canary left tasks out', () => {
    const text = summary(numbered(1000), { shardSize: 1, maxShards: 256, canary: 0 })
    expect(text).toContain(
      'The shard size grew from 1 to 4: at 1 per shard the plan would need more than 256 shards (`max-shards`).'
    )
    const canary = summary(numbered(2000), { ...DEFAULTS, canary: 5 })
    expect(canary).toContain('**Canary:** the first 5 tasks of 2,000; 1,995 left for the full run.')
    expect(canary).toContain('**5 tasks in 1 shard**')
  })

  it('zero tasks: says so, and how to guard the shard job', () => {
    const text = summary([])
    expect(text).toContain('**0 tasks in 0 shards** from `files`.')
    expect(text).toContain("`if: needs.plan.outputs.task-count != '0'`")
    expect(text).not.toContain('| Shard |')
  })

  it('task strings stay inert and in their cell: pipes, backticks, markers, mentions, length', () => {
    const tasks = [
      'src/a|b.js',
      'docs/`weird`.md',
      '<!-- tandem:summary --> @octocat',
      `src/${'deep/'.repeat(30)}x.js`
    ]
    const text = summary(tasks, { ...DEFAULTS, shardSize: 1 })
    expect(text).toContain('| 1 | 1 | `src/a\\|b.js` |  |')
    expect(text).toContain('`` docs/`weird`.md ``')
    expect(text).not.toMatch(/<!--\s*tandem/)
    expect(text).toContain('`<!--\u200b tandem:summary --> @octocat`')
    const long = text.split('\n').find(line => line.startsWith('| 4 |'))!
    expect(long).toContain('…`')
    expect(long.length).toBeLessThan(120)
  })

  it('a plan that cannot be used says why', () => {
    const text = summary(numbered(3), DEFAULTS, { problem: 'too big' })
    expect(text).toContain('**Not usable:** too big')
  })
})
