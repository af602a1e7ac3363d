// Fan-out plan figures: `files` over a checkout of 100,000 files (git's file list + matching +
// the regular-file check + planning + the output check) against a plain recursive fs.readdir of
// the same tree, with the parts measured on their own so a miss shows where the time goes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { matrixOutputProblem, planShards } from '../src/fanout/plan.js'
import { tasksFromGlobs } from '../src/fanout/tasks.js'
import { git as tandemGit } from '../src/git/git.js'
import { git } from '../__tests__/harness/repo.js'
import { BENCH_DIR, type Figure } from './figures.js'

const FILES = 100_000
const RUNS = 3
const TREE = path.join(BENCH_DIR, 'fanout-plan-tree')

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/**
 * 100,000 matched files in 1,000 directories (50 packages × 20 modules × 100 files), plus what a
 * real checkout holds beside them: ignored build output and node_modules, an ignored log per
 * module, dotfiles. Built once and kept in .bench/.
 */
function buildTree(): string {
  const done = path.join(TREE, '.bench-complete')
  if (existsSync(done) && readFileSync(done, 'utf8') === String(FILES)) return TREE
  mkdirSync(TREE, { recursive: true })
  git(TREE, ['init', '--quiet', '--initial-branch=main'])
  writeFileSync(path.join(TREE, '.gitignore'), 'dist/\nnode_modules/\n*.log\n.bench-complete\n')
  for (let pkg = 0; pkg < 50; pkg++) {
    for (let mod = 0; mod < 20; mod++) {
      const dir = path.join(TREE, 'src', `pkg-${pkg}`, `module-${mod}`)
      mkdirSync(dir, { recursive: true })
      for (let n = 0; n < 100; n++) writeFileSync(path.join(dir, `file-${n}.js`), '')
      writeFileSync(path.join(dir, 'debug.log'), '')
      writeFileSync(path.join(dir, '.eslintrc.json'), '{}')
    }
  }
  for (const ignored of ['dist', 'node_modules/pkg']) {
    mkdirSync(path.join(TREE, ignored), { recursive: true })
    for (let n = 0; n < 2000; n++) writeFileSync(path.join(TREE, ignored, `chunk-${n}.js`), '')
  }
  writeFileSync(done, String(FILES))
  return TREE
}

/** Runs `fn` with this process's stdout held back: core's ::debug:: lines are not the figure. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = (() => true) as typeof process.stdout.write
  try {
    return await fn()
  } finally {
    process.stdout.write = write
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint()
  const value = await quietly(fn)
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value }
}

async function planFiles(root: string): Promise<{ tasks: number; problem: boolean }> {
  const tasks = await tasksFromGlobs(['src/**/*.js'], root)
  const plan = planShards(tasks, { shardSize: 10, maxShards: 256, canary: 0 })
  const problem = matrixOutputProblem(JSON.stringify(plan.matrix)) !== undefined
  return { tasks: tasks.length, problem }
}

async function readdirWalk(root: string): Promise<number> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const src = path.join(root, 'src')
  return entries
    .filter(e => e.isFile() && e.name.endsWith('.js') && e.parentPath.startsWith(src))
    .map(e => path.relative(root, path.join(e.parentPath, e.name)))
    .sort().length
}

export async function fanoutPlanFigures(): Promise<Figure[]> {
  const root = buildTree()
  // git's sandbox and the first readdir of the tree are one-off costs of the process, not of a plan.
  await tandemGit(root, ['--version'])
  await readdirWalk(root)

  const plans: number[] = []
  const walks: number[] = []
  const listings: number[] = []
  const ignores: number[] = []
  let result = { tasks: 0, problem: false }
  for (let i = 0; i < RUNS; i++) {
    const run = await timed(() => planFiles(root))
    plans.push(run.ms)
    result = run.value
    const walk = await timed(() => readdirWalk(root))
    if (walk.value !== FILES) throw new Error(`the walk found ${walk.value} files`)
    walks.push(walk.ms)
    listings.push(
      (
        await timed(() =>
          tandemGit(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
        )
      ).ms
    )
    ignores.push(
      (
        await timed(() =>
          tandemGit(root, [
            'ls-files',
            '--others',
            '--ignored',
            '--exclude-standard',
            '--directory',
            '-z'
          ])
        )
      ).ms
    )
  }
  if (result.tasks !== FILES) throw new Error(`the plan found ${result.tasks} tasks`)
  const tasks = Array.from({ length: FILES }, (_, i) => `src/pkg-${i % 50}/module-x/file-${i}.js`)
  const planning = await timed(async () =>
    JSON.stringify(planShards(tasks, { shardSize: 10, maxShards: 256, canary: 0 }).matrix)
  )
  const matrixBytes = Buffer.byteLength(planning.value)

  const plan = median(plans)
  const walk = median(walks)
  const listing = median(listings)
  return [
    {
      name: `plan over ${FILES.toLocaleString('en-US')} files: git's list + matching + regular-file check + planning (median of ${RUNS}; runs ${plans.map(ms => ms.toFixed(0)).join(' / ')} ms)`,
      value: `${plan.toFixed(0)} ms`,
      baseline: `fs.readdir recursive walk ${walk.toFixed(0)} ms`,
      ratio: plan / walk,
      target: '< 1 s',
      ok: plan < 1000
    },
    {
      name: '… of which the candidate list (ls-files --cached --others --exclude-standard)',
      value: `${listing.toFixed(0)} ms`,
      baseline: `fs.readdir recursive walk ${walk.toFixed(0)} ms`,
      ratio: listing / walk,
      target: 'informational',
      ok: true
    },
    {
      name: '… the git ignore listing (ls-files --others --ignored --directory), alongside the list',
      value: `${median(ignores).toFixed(0)} ms`,
      baseline: `plan ${plan.toFixed(0)} ms`,
      ratio: median(ignores) / plan,
      target: 'informational',
      ok: true
    },
    {
      name: `… planning ${FILES.toLocaleString('en-US')} tasks into 256 shards + JSON (${(matrixBytes / 1e6).toFixed(1)} MB: over the 1 MB output limit${result.problem ? ', refused as it should be' : ''})`,
      value: `${planning.ms.toFixed(1)} ms`,
      baseline: `plan ${plan.toFixed(0)} ms`,
      ratio: planning.ms / plan,
      target: 'informational',
      ok: result.problem
    }
  ]
}
