// Fan-out collect figure: applyPatches of 2,000 one-file patches (one commit per task, what
// collect does after downloading the shards) against ONE `git apply --index` of the same patches
// concatenated, each on a fresh copy of the same repository, in the same run. The steps applyPatches takes are then
// replayed on their own (same commands, same inputs), so a miss shows where the time goes.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { taskCommitMessage } from '../src/fanout/merge.js'
import { git as tandemGit } from '../src/git/git.js'
import { applyPatches, type PatchTask } from '../src/git/patches.js'
import { parsePatch } from '../src/git/patch-parse.js'
import { patchRefusal } from '../src/git/patch-policy.js'
import { withWriteTrailer } from '../src/modes/steps/branch-pr.js'
import { makeTempDir } from '../__tests__/harness/claude.js'
import { git } from '../__tests__/harness/repo.js'
import type { Figure } from './figures.js'

const PATCHES = 2000
const RUNS = 5
const BRANCH = 'tandem/collect-bench'
// collect always has the run's token (and usually the model key) to keep out of patches.
const SECRETS = [
  'ghs_benchCollect0123456789abcdefABCDEF01',
  'sk-ant-api03-bench-collect-0123456789'
]
const APPLY_PINS = ['-c', 'apply.whitespace=nowarn', '-c', 'apply.ignoreWhitespace=no']

const execFileAsync = promisify(execFile)

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint()
  const value = await fn()
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value }
}

/** Plain git with user and system config shut out, as the harness runs it, but asynchronous. */
async function plainGit(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, {
    cwd,
    maxBuffer: 256 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com'
    }
  })
  return stdout.trim()
}

const fileOf = (n: number) => `src/pkg-${n % 20}/module-${n}.js`

/**
 * 2,000 CommonJS modules in 20 folders, committed; then each migrated in the working tree and
 * the whole change split into one patch per file, exactly as a shard's worktreePatch writes
 * them (`--binary --full-index`); the working tree goes back to the base.
 */
function buildRepo(root: string): { repo: string; base: string; tasks: PatchTask[]; all: string } {
  const repo = path.join(root, 'repo')
  mkdirSync(repo, { recursive: true })
  git(repo, ['init', '--quiet', '--initial-branch=main'])
  writeFileSync(path.join(repo, 'README.md'), '# monorepo\n')
  writeFileSync(path.join(repo, 'package.json'), '{ "name": "mono", "type": "commonjs" }\n')
  const body = (n: number, esm: boolean) =>
    [
      `'use strict'`,
      ...Array.from(
        { length: 20 },
        (_, i) => `const dep${i} = require('../shared/dep-${(n + i) % 50}')`
      ),
      '',
      `function run${n}() {`,
      `  return [${Array.from({ length: 5 }, (_, i) => `dep${i}`).join(', ')}]`,
      '}',
      '',
      esm ? `export default run${n}` : `module.exports = run${n}`,
      ''
    ].join('\n')
  for (let n = 0; n < PATCHES; n++) {
    const file = path.join(repo, fileOf(n))
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, body(n, false))
  }
  git(repo, ['add', '--all'])
  git(repo, ['commit', '--quiet', '-m', 'initial'])
  const base = git(repo, ['rev-parse', 'HEAD'])
  git(repo, ['checkout', '--quiet', '-b', BRANCH])
  for (let n = 0; n < PATCHES; n++) writeFileSync(path.join(repo, fileOf(n)), body(n, true))
  const allFile = path.join(root, 'all.patch')
  git(repo, [
    '-c',
    'core.quotePath=true',
    'diff',
    '--binary',
    '--full-index',
    '--no-color',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    `--output=${allFile}`,
    base,
    '--'
  ])
  git(repo, ['reset', '--hard', '--quiet', base])
  const all = readFileSync(allFile, 'utf8')
  const sections = all.split(/^(?=diff --git )/m).filter(s => s !== '')
  if (sections.length !== PATCHES) throw new Error(`${sections.length} sections in the diff`)
  const dir = path.join(root, 'patches')
  mkdirSync(dir)
  const tasks = sections.map((section, i) => {
    const task = /^diff --git a\/(\S+) /.exec(section)![1]!
    const file = path.join(
      dir,
      `${String(i + 1).padStart(4, '0')}-${task.replace(/\//g, '-')}.patch`
    )
    writeFileSync(file, section)
    const message = taskCommitMessage({ task, summary: `Migrated ${task} to ESM` })
    return { key: i, file, message: withWriteTrailer(message, BRANCH) }
  })
  return { repo, base, tasks, all: allFile }
}

interface Parts {
  read: number
  numstat: number
  apply: number
  listing: number
  fastImport: number
  reset: number
}

/**
 * The steps of applyPatches' fast path for independent patches, each on its own: reading and
 * checking every patch (parsePatch + patchRefusal), git's numstat of them all, `read-tree` +
 * ONE `git apply --cached` into a private index, the index listings before and after, ONE
 * `git fast-import` of the 2,000 commits, and the final `reset --hard` of the working tree.
 */
async function replay(repo: string, base: string, tasks: PatchTask[], scratch: string) {
  const parts: Partial<Parts> = {}
  const files = tasks.map(t => t.file)
  parts.read = (
    await timed(async () => {
      for (const t of tasks) {
        const text = readFileSync(t.file).toString('utf8')
        if (
          patchRefusal(parsePatch(text), text, { allowWorkflowChanges: false, secrets: SECRETS })
        ) {
          throw new Error(`refused: ${t.file}`)
        }
      }
    })
  ).ms
  parts.numstat = (
    await timed(() => tandemGit(repo, [...APPLY_PINS, 'apply', '--numstat', '-z', ...files]))
  ).ms
  const env = { GIT_INDEX_FILE: path.join(scratch, `index-${Date.now()}`) }
  const ls = () => tandemGit(repo, ['--literal-pathspecs', 'ls-files', '--stage', '-z'], { env })
  parts.apply = (
    await timed(async () => {
      await tandemGit(repo, ['read-tree', base], { env })
      await tandemGit(repo, [...APPLY_PINS, 'apply', '--cached', ...files], { env })
    })
  ).ms
  const listed = await timed(async () => {
    await ls()
    return ls()
  })
  parts.listing = listed.ms
  const entries = new Map<string, string>()
  for (const record of listed.value.stdout.split('\0')) {
    const m = /^([0-7]{6}) ([0-9a-f]+) \d\t(.*)$/s.exec(record)
    if (m) entries.set(m[3]!, `M ${m[1]} ${m[2]} "${m[3]}"`)
  }
  const ref = `refs/tandem/bench-${Date.now()}`
  const who = `Bench <bench@example.com> ${Math.floor(Date.now() / 1000)} +0000`
  const stream = tasks
    .map((t, i) => {
      const data = Buffer.from(t.message, 'utf8')
      const name = /^diff --git a\/(\S+) /.exec(readFileSync(t.file, 'utf8'))![1]!
      return (
        `commit ${ref}\nmark :${i + 1}\nauthor ${who}\ncommitter ${who}\ndata ${data.length}\n` +
        `${t.message}\n${i === 0 ? `from ${base}\n` : ''}${entries.get(name)}\n\n`
      )
    })
    .join('')
  const marks = path.join(scratch, `marks-${Date.now()}`)
  parts.fastImport = (
    await timed(() =>
      tandemGit(repo, ['fast-import', '--quiet', `--export-marks=${marks}`], { input: stream })
    )
  ).ms
  const head = (await tandemGit(repo, ['rev-parse', ref])).stdout.trim()
  await tandemGit(repo, ['update-ref', '-d', ref])
  parts.reset = (await timed(() => tandemGit(repo, ['reset', '--hard', '--quiet', head]))).ms
  return parts as Parts
}

export async function fanoutCollectFigures(): Promise<Figure[]> {
  const tmp = makeTempDir('tandem-bench-collect')
  const write = process.stdout.write.bind(process.stdout)
  try {
    const { repo: pristine, base, tasks, all } = buildRepo(tmp.path)
    const scratch = path.join(tmp.path, 'scratch')
    mkdirSync(scratch)
    // A checkout's objects come in a pack (actions/checkout fetches one).
    await plainGit(pristine, ['repack', '-a', '-d', '-q'])
    await plainGit(pristine, ['prune-packed'])
    // The patches' new blobs must be new to the repository, as they are to a collect job: a
    // repository that already holds them (a second apply in the same clone) skips writing them.
    const newBlob = /^index [0-9a-f]+\.\.([0-9a-f]+)/m.exec(
      readFileSync(tasks[0]!.file, 'utf8')
    )![1]!
    /** A fresh copy of the base repository under `parent`, its index fresh too (untimed). */
    let copies = 0
    const copy = async (parent: string): Promise<string> => {
      const dir = path.join(parent, `copy-${++copies}`)
      await execFileAsync('cp', ['-a', pristine, dir])
      await plainGit(dir, ['update-index', '--refresh', '-q'])
      const known = await plainGit(dir, ['cat-file', '-e', newBlob]).then(
        () => true,
        () => false
      )
      if (known) throw new Error('the base repository already holds the patched blobs')
      return dir
    }
    // git's sandbox and the disk cache of the patches are one-off costs, not collect's.
    await tandemGit(pristine, ['--version'])
    await plainGit(pristine, ['apply', '--numstat', all])

    let tree = ''
    /** RUNS rounds of applyPatches, the one git apply and the replay, each on its own copy. */
    const measure = async (repoFor: () => Promise<string>, scratch: string) => {
      const ours: number[] = []
      const plain: number[] = []
      const replays: Parts[] = []
      for (let i = 0; i < RUNS; i++) {
        const mine = await repoFor()
        // core's ::debug:: lines are not the figure.
        process.stdout.write = (() => true) as typeof process.stdout.write
        const run = await timed(() =>
          applyPatches(mine, tasks, {
            allowWorkflowChanges: false,
            secrets: SECRETS,
            scratchDir: scratch
          })
        )
        process.stdout.write = write
        const applied = [...run.value.outcomes.values()].filter(o => o.status === 'applied')
        const commits = Number(await plainGit(mine, ['rev-list', '--count', `${base}..HEAD`]))
        if (applied.length !== PATCHES || commits !== PATCHES || run.value.oneByOne !== 0) {
          throw new Error(
            `applyPatches: ${applied.length} applied, ${commits} commits, ${run.value.oneByOne} one by one`
          )
        }
        const ourTree = await plainGit(mine, ['rev-parse', 'HEAD^{tree}'])
        ours.push(run.ms)

        const theirs = await repoFor()
        const once = await timed(() => plainGit(theirs, ['apply', '--index', all]))
        const plainTree = await plainGit(theirs, ['write-tree'])
        if (plainTree !== ourTree || (tree !== '' && tree !== ourTree)) {
          throw new Error('applyPatches and git apply --index disagree on the result')
        }
        tree = ourTree
        plain.push(once.ms)

        const again = await repoFor()
        process.stdout.write = (() => true) as typeof process.stdout.write
        replays.push(await replay(again, base, tasks, scratch))
        process.stdout.write = write
      }
      return { ours, plain, replays }
    }

    // On this kind of VM the cost of writing 2,000 files swings several-fold with the disk's
    // state (writeback, ext4 `discard` at journal commit, other tenants), and it is the larger
    // part of the baseline. Two stable settings, the two ends of it:
    // 1. on disk, every copy made first and flushed once, so neither the copies' writeback nor
    //    discards land inside a measurement;
    const flushedCopies: string[] = []
    for (let i = 0; i < 3 * RUNS; i++) flushedCopies.push(await copy(tmp.path))
    await execFileAsync('sync')
    const flushed = await measure(async () => flushedCopies.shift()!, scratch)
    // 2. in memory (tmpfs), where writing files costs least: as hot as a just-made checkout can
    //    be, so Tandem's own share weighs the most.
    const shm = mkdtempSync(
      path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'tandem-bench-')
    )
    let hot: typeof flushed
    try {
      const shmScratch = path.join(shm, 'scratch')
      mkdirSync(shmScratch)
      hot = await measure(() => copy(shm), shmScratch)
    } finally {
      rmSync(shm, { recursive: true, force: true })
    }
    const hotLabel = shm.startsWith('/dev/shm') ? 'in memory (tmpfs)' : 'on disk, not flushed'

    const load = os.loadavg()[0]!.toFixed(1)
    const runs = (values: number[]) => values.map(ms => ms.toFixed(0)).join(' / ')
    const headline = (label: string, m: typeof flushed): Figure => {
      const value = median(m.ours)
      const baseline = median(m.plain)
      return {
        name: `collect: applyPatches of ${PATCHES.toLocaleString('en-US')} one-file patches, one commit per task, ${label} (median of ${RUNS}; runs ${runs(m.ours)} ms; ${os.cpus().length} CPUs, load ${load})`,
        value: `${value.toFixed(0)} ms`,
        baseline: `ONE git apply --index of them concatenated ${baseline.toFixed(0)} ms (runs ${runs(m.plain)})`,
        ratio: value / baseline,
        target: '≤ 3',
        ok: value / baseline <= 3
      }
    }
    const part = (m: typeof flushed, key: keyof Parts) => median(m.replays.map(r => r[key]))
    const parts: [keyof Parts, string][] = [
      [
        'read',
        `reading + checking ${PATCHES} patches in JS (parsePatch + patchRefusal, ${SECRETS.length} secrets)`
      ],
      ['numstat', `git apply --numstat -z of ${PATCHES} files (git reads what parsePatch read)`],
      ['apply', `read-tree + ONE git apply --cached of ${PATCHES} files into a private index`],
      ['listing', 'the private index listed twice (ls-files --stage, before and after)'],
      ['fastImport', `ONE git fast-import of ${PATCHES} commits`],
      ['reset', `reset --hard to the last commit (${PATCHES} files written to the working tree)`]
    ]
    const sum = (m: typeof flushed) => parts.reduce((total, [key]) => total + part(m, key), 0)
    const both = (f: number, h: number) =>
      `${f.toFixed(0)} ms on disk / ${h.toFixed(0)} ms in memory`
    const ours = median(flushed.ours)
    return [
      headline('on disk, flushed', flushed),
      headline(hotLabel, hot),
      ...[...parts, ['sum', 'the replayed steps together'] as const].map(([key, label]) => {
        const f = key === 'sum' ? sum(flushed) : part(flushed, key)
        const h = key === 'sum' ? sum(hot) : part(hot, key)
        return {
          name: `… replayed alone: ${label}`,
          value: both(f, h),
          baseline: `applyPatches ${both(ours, median(hot.ours))}`,
          ratio: f / ours,
          target: 'informational',
          ok: true
        }
      })
    ]
  } finally {
    process.stdout.write = write
    tmp.cleanup()
  }
}
