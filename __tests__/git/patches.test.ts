import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { applyPatches, type PatchTask } from '../../src/git/patches.js'
import { patchRefusal } from '../../src/git/patch-policy.js'
import { parsePatch } from '../../src/git/patch-parse.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

const SECRET = 'ghs_patchTestSecret0123456789abcdefABCD'
const POLICY = { allowWorkflowChanges: false, secrets: [SECRET] }

const MODULE = (name: string) =>
  `const ${name} = require('./dep')\n\nfunction run() {\n  return ${name}.go()\n}\n\nmodule.exports = run\n`

describe('patchRefusal', () => {
  const section = (file: string) =>
    `diff --git a/${file} b/${file}\nnew file mode 100644\n--- /dev/null\n+++ b/${file}\n@@ -0,0 +1 @@\n+x\n`

  it('refuses workflow files unless allowed, symlinks that lead out, and the run’s secrets', () => {
    const workflow = section('.github/workflows/ci.yml')
    expect(patchRefusal(parsePatch(workflow), workflow, POLICY)).toMatch(/allow-workflow-changes/)
    expect(
      patchRefusal(parsePatch(workflow), workflow, { ...POLICY, allowWorkflowChanges: true })
    ).toBeUndefined()
    const link =
      'diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+/etc\n\\ No newline at end of file\n'
    expect(patchRefusal(parsePatch(link), link, POLICY)).toMatch(/symlink out of the repository/)
    const leak = section('a.txt').replace('+x', `+token=${SECRET}`)
    expect(patchRefusal(parsePatch(leak), leak, POLICY)).toMatch(/credential/)
    const git = section('.git/hooks/post-checkout')
    expect(patchRefusal(parsePatch(git), git, POLICY)).toMatch(/into \.git/)
  })
})

function patchMaker(repo: TestRepo, root: string) {
  const work = path.join(root, 'maker')
  execFileSync('git', ['clone', '--quiet', repo.remote, work])
  const dir = path.join(root, 'patches')
  mkdirSync(dir, { recursive: true })
  let n = 0
  return (changes: Record<string, string | Buffer | null | { symlink: string }>): string => {
    for (const [file, content] of Object.entries(changes)) {
      const full = path.join(work, file)
      if (content === null) rmSync(full)
      else {
        mkdirSync(path.dirname(full), { recursive: true })
        if (typeof content === 'object' && 'symlink' in content) symlinkSync(content.symlink, full)
        else writeFileSync(full, content)
      }
    }
    git(work, ['add', '--all'])
    const patch = execFileSync('git', ['diff', '--cached', '--binary', '--full-index', '-M'], {
      cwd: work
    })
    git(work, ['reset', '--quiet', '--hard'])
    git(work, ['clean', '-fdq'])
    const file = path.join(dir, `${String(++n).padStart(4, '0')}.patch`)
    writeFileSync(file, patch)
    return file
  }
}

function log(repo: TestRepo, range: string): string[] {
  return git(repo.workspace, ['log', '--format=%s', range]).split('\n').filter(Boolean).reverse()
}

function task(key: number, file: string, message = `task ${key}`): PatchTask {
  return { key, file, message: `${message}\n\nTandem-Write: tandem/collect\n` }
}

describe('applyPatches on a real repository', () => {
  let root: string
  let repo: TestRepo
  let makePatch: ReturnType<typeof patchMaker>
  let base: string

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'tandem-patches-'))
    const files: Record<string, string> = {
      'README.md': '# demo\n',
      'src/shared.js': MODULE('shared')
    }
    for (let i = 1; i <= 6; i++) files[`src/m${i}.js`] = MODULE(`m${i}`)
    repo = createTestRepo(root, files)
    base = repo.head()
    makePatch = patchMaker(repo, root)
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  beforeEach(() => {
    git(repo.workspace, ['checkout', '--quiet', '-B', 'tandem/collect', base])
    git(repo.workspace, ['reset', '--quiet', '--hard', base])
  })

  const esm = (name: string) => MODULE(name).replace(`require('./dep')`, `await import('./dep.js')`)

  it('commits one task per commit and reports the second of two same-line edits as a conflict', async () => {
    const first = makePatch({ 'src/shared.js': esm('shared') })
    const clash = makePatch({
      'src/shared.js': MODULE('shared').replace(`require('./dep')`, `require('./dep2')`)
    })
    const other = makePatch({ 'src/m1.js': esm('m1') })
    const result = await applyPatches(
      repo.workspace,
      [task(0, first), task(1, clash), task(2, other)],
      POLICY
    )
    // The two that share a file go one by one; the third in the one `git apply`.
    expect(result.oneByOne).toBe(2)
    expect(result.outcomes.get(0)).toMatchObject({ status: 'applied', paths: ['src/shared.js'] })
    expect(result.outcomes.get(1)).toEqual({
      status: 'conflict',
      reason: 'does not apply on top of the tasks before it: conflicts in src/shared.js'
    })
    expect(result.outcomes.get(2)).toMatchObject({ status: 'applied' })
    expect(log(repo, `${base}..HEAD`)).toEqual(['task 0', 'task 2'])
    expect(git(repo.workspace, ['rev-parse', 'HEAD'])).toBe(result.head)
    // The branch holds the first edit; the checkout is clean at its head.
    expect(readFileSync(path.join(repo.workspace, 'src/shared.js'), 'utf8')).toBe(esm('shared'))
    expect(git(repo.workspace, ['status', '--porcelain'])).toBe('')
    const body = git(repo.workspace, ['log', '-1', '--format=%B', result.head])
    expect(body).toContain('Tandem-Write: tandem/collect')
    // Each commit holds exactly its task: reverting one leaves the other.
    const commit0 = (result.outcomes.get(0) as { commit: string }).commit
    expect(git(repo.workspace, ['diff', '--name-only', `${commit0}^`, commit0])).toBe(
      'src/shared.js'
    )
  })

  it('merges two edits of different lines of one file three-way', async () => {
    const top = makePatch({
      'src/shared.js': MODULE('shared').replace('const shared', 'let shared')
    })
    const bottom = makePatch({
      'src/shared.js': MODULE('shared').replace('module.exports = run', 'export default run')
    })
    const result = await applyPatches(repo.workspace, [task(0, top), task(1, bottom)], POLICY)
    expect([...result.outcomes.values()].map(o => o.status)).toEqual(['applied', 'applied'])
    expect(readFileSync(path.join(repo.workspace, 'src/shared.js'), 'utf8')).toBe(
      MODULE('shared')
        .replace('const shared', 'let shared')
        .replace('module.exports = run', 'export default run')
    )
  })

  it('applies a binary patch, a rename and a deletion, all at once when files are disjoint', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 255, 254, 0, 0, 7])
    const patches = [
      makePatch({ 'assets/logo.png': png }),
      makePatch({
        'src/m2.js': null,
        'src/m2.mjs': readFileSync(path.join(repo.workspace, 'src/m2.js'))
      }),
      makePatch({ 'src/m3.js': null }),
      makePatch({ 'src/m4.js': esm('m4') })
    ]
    const result = await applyPatches(
      repo.workspace,
      patches.map((f, i) => task(i, f)),
      POLICY
    )
    expect(result.oneByOne).toBe(0)
    expect([...result.outcomes.values()].map(o => o.status)).toEqual([
      'applied',
      'applied',
      'applied',
      'applied'
    ])
    expect(readFileSync(path.join(repo.workspace, 'assets/logo.png')).equals(png)).toBe(true)
    expect(existsSync(path.join(repo.workspace, 'src/m3.js'))).toBe(false)
    expect(existsSync(path.join(repo.workspace, 'src/m2.mjs'))).toBe(true)
    expect(log(repo, `${base}..HEAD`)).toEqual(['task 0', 'task 1', 'task 2', 'task 3'])
    expect(git(repo.workspace, ['status', '--porcelain'])).toBe('')
    for (const [i, files] of [
      [0, 'assets/logo.png'],
      [1, 'src/m2.js\nsrc/m2.mjs'],
      [2, 'src/m3.js'],
      [3, 'src/m4.js']
    ] as const) {
      const commit = (result.outcomes.get(i) as { commit: string }).commit
      expect(
        git(repo.workspace, ['diff', '--no-renames', '--name-only', `${commit}^`, commit])
      ).toBe(files)
    }
  })

  it('builds the same commits all at once as one by one', async () => {
    const patches = [1, 2, 3, 4, 5, 6].map(i => makePatch({ [`src/m${i}.js`]: esm(`m${i}`) }))
    const batch = await applyPatches(
      repo.workspace,
      patches.map((f, i) => task(i, f)),
      POLICY
    )
    const batchTrees = git(repo.workspace, ['log', '--format=%T %s', `${base}..HEAD`])
    git(repo.workspace, ['reset', '--quiet', '--hard', base])
    const sequential = await applyPatches(
      repo.workspace,
      patches.map((f, i) => task(i, f)),
      {
        ...POLICY,
        strategy: 'sequential'
      }
    )
    expect([batch.oneByOne, sequential.oneByOne]).toEqual([0, 6])
    expect(git(repo.workspace, ['log', '--format=%T %s', `${base}..HEAD`])).toBe(batchTrees)
    expect(batchTrees.split('\n')).toHaveLength(6)
  })

  it('gives the same commits and outcomes all at once as one by one when some share a file', async () => {
    const patches = [
      makePatch({ 'src/m1.js': esm('m1') }),
      makePatch({ 'src/shared.js': MODULE('shared').replace('const shared', 'let shared') }),
      makePatch({ 'src/m2.js': esm('m2') }),
      makePatch({
        'src/shared.js': MODULE('shared').replace('module.exports = run', 'export default run')
      }),
      makePatch({ 'src/m3.js': esm('m3'), 'src/shared.js': esm('shared') }),
      makePatch({ 'src/m4.js': null })
    ]
    const tasks = patches.map((f, i) => task(i, f))
    const auto = await applyPatches(repo.workspace, tasks, POLICY)
    const autoLog = git(repo.workspace, ['log', '--format=%T %s', `${base}..HEAD`])
    const autoOutcomes = [...auto.outcomes.entries()].map(([k, o]) => [k, o.status])
    git(repo.workspace, ['reset', '--quiet', '--hard', base])
    const one = await applyPatches(repo.workspace, tasks, { ...POLICY, strategy: 'sequential' })
    expect(auto.oneByOne).toBe(3)
    expect(git(repo.workspace, ['log', '--format=%T %s', `${base}..HEAD`])).toBe(autoLog)
    expect([...one.outcomes.entries()].map(([k, o]) => [k, o.status]).sort()).toEqual(
      autoOutcomes.sort()
    )
    expect(autoOutcomes.sort()).toEqual([
      [0, 'applied'],
      [1, 'applied'],
      [2, 'applied'],
      [3, 'applied'],
      [4, 'conflict'],
      [5, 'applied']
    ])
    expect(autoLog.split('\n').map(line => line.slice(41))).toEqual([
      'task 5',
      'task 3',
      'task 2',
      'task 1',
      'task 0'
    ])
  })

  it('refuses .git paths, workflows and secrets, and reports a patch already on the branch as empty', async () => {
    const gitPath = path.join(root, 'patches', 'git-path.patch')
    writeFileSync(
      gitPath,
      'diff --git a/.git/hooks/post-checkout b/.git/hooks/post-checkout\nnew file mode 100755\n--- /dev/null\n+++ b/.git/hooks/post-checkout\n@@ -0,0 +1 @@\n+touch pwned\n'
    )
    const workflow = makePatch({ '.github/workflows/x.yml': 'on: push\n' })
    const leak = makePatch({ 'src/m5.js': `// ${SECRET}\n` })
    const noop = path.join(root, 'patches', 'noop.patch')
    writeFileSync(noop, '')
    const fine = makePatch({ 'src/m6.js': esm('m6') })
    const result = await applyPatches(
      repo.workspace,
      [
        task(0, gitPath),
        task(1, workflow),
        task(2, leak),
        task(3, noop),
        task(4, fine),
        task(5, fine)
      ],
      POLICY
    )
    expect(result.outcomes.get(0)).toEqual({
      status: 'refused',
      reason: 'the patch writes a path into .git (.git/hooks/post-checkout)'
    })
    expect(result.outcomes.get(1)).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/workflow/)
    })
    expect(result.outcomes.get(2)).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/credential/)
    })
    expect(result.outcomes.get(3)).toEqual({ status: 'empty' })
    expect(result.outcomes.get(4)).toMatchObject({ status: 'applied' })
    // The same patch twice: three-way, the second finds its change already there, and makes no
    // second commit.
    expect(result.outcomes.get(5)).toEqual({ status: 'empty' })
    expect(existsSync(path.join(repo.workspace, '.git/hooks/post-checkout'))).toBe(false)
    expect(log(repo, `${base}..HEAD`)).toEqual(['task 4'])
  })

  it('refuses symlinks into .git or out of the repository, and writes through a symlink', async () => {
    const intoGit = makePatch({ 'docs/link': { symlink: '../.git' } })
    const outside = makePatch({ up: { symlink: '../../etc' } })
    const inside = makePatch({ lib: { symlink: 'src' } })
    // A hand-made patch that writes through the link the task before it created.
    const through = path.join(root, 'patches', 'through.patch')
    writeFileSync(
      through,
      'diff --git a/lib/evil.js b/lib/evil.js\nnew file mode 100644\n--- /dev/null\n+++ b/lib/evil.js\n@@ -0,0 +1 @@\n+x\n'
    )
    const result = await applyPatches(
      repo.workspace,
      [task(0, intoGit), task(1, outside), task(2, inside), task(3, through)],
      POLICY
    )
    expect(result.outcomes.get(0)).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/into \.git/)
    })
    expect(result.outcomes.get(1)).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/out of the repository/)
    })
    expect(result.outcomes.get(2)).toMatchObject({ status: 'applied' })
    expect(result.outcomes.get(3)).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/through the symlink lib/)
    })
    expect(existsSync(path.join(repo.workspace, 'src/evil.js'))).toBe(false)
  })

  it('refuses a binary file holding a secret, one by one and all at once', async () => {
    const secretPng = Buffer.concat([
      Buffer.from([0x89, 0, 0, 1]),
      Buffer.from(SECRET),
      Buffer.from([0, 0xff])
    ])
    for (const strategy of ['auto', 'sequential'] as const) {
      git(repo.workspace, ['reset', '--quiet', '--hard', base])
      const bin = makePatch({ 'assets/leak.bin': secretPng })
      const fine = makePatch({ 'src/m1.js': esm('m1') })
      const result = await applyPatches(repo.workspace, [task(0, bin), task(1, fine)], {
        ...POLICY,
        strategy
      })
      expect([strategy, result.outcomes.get(0)]).toEqual([
        strategy,
        {
          status: 'refused',
          reason: 'the patch would publish a credential of this run (in assets/leak.bin)'
        }
      ])
      expect(result.outcomes.get(1)?.status).toBe('applied')
      expect(log(repo, `${base}..HEAD`)).toEqual(['task 1'])
    }
  })

  it('refuses a patch git reads differently from its sections', async () => {
    const sneaky = path.join(root, 'patches', 'sneaky.patch')
    const good = readFileSync(makePatch({ 'src/m1.js': esm('m1') }), 'utf8')
    // A traditional diff hidden where parsePatch sees the end of a binary section.
    writeFileSync(
      sneaky,
      good
        .replace(
          /^diff --git a\/src\/m1.js b\/src\/m1.js\n/,
          'diff --git a/x.bin b/x.bin\nnew file mode 100644\nGIT binary patch\nliteral 0\nHcmV?d00001\n\n--- a/src/m1.js\n+++ b/src/m1.js\n'
        )
        .replace(/^index .*\n--- a\/src\/m1.js\n\+\+\+ b\/src\/m1.js\n/m, '')
    )
    const result = await applyPatches(repo.workspace, [task(0, sneaky)], POLICY)
    expect(result.outcomes.get(0)).toEqual({
      status: 'refused',
      reason: 'git reads other files in the patch than its `diff --git` sections say'
    })
    expect(log(repo, `${base}..HEAD`)).toEqual([])
  })
})
