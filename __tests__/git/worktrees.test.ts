// The worktree pool on real repositories: each change kind comes back as a patch that applies on
// the base and gives exactly the worktree's tree; the pool keeps order, survives a throwing
// task and leaves no worktree or branch behind, also when the process exits or is signalled.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { prepareSandbox } from '../../src/agent/sandbox.js'
import {
  addWorktree,
  removeWorktree,
  sweepWorktrees,
  worktreePatch,
  type Worktree
} from '../../src/git/worktree.js'
import { runInWorktrees, runPool } from '../../src/git/worktrees.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

const LINES = Array.from({ length: 40 }, (_, i) => `line ${i + 1} of a file long enough to rename`)
const LATIN1 = Buffer.from('caf\xe9 cr\xe8me\n', 'latin1')

let root: string
let repo: TestRepo
let base: string

beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'tandem-worktrees-test-')))
  repo = createTestRepo(root, {
    'src/edit.ts': 'export const a = 1\nexport const b = 2\n',
    'gone.txt': 'to be deleted\n',
    'docs/old-name.md': LINES.join('\n') + '\n',
    'run.sh': '#!/bin/sh\necho hi\n'
  })
  writeFileSync(path.join(repo.workspace, 'latin1.txt'), LATIN1)
  git(repo.workspace, ['add', 'latin1.txt'])
  git(repo.workspace, ['commit', '--quiet', '-m', 'latin-1 text'])
  base = repo.head()
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

function worktreeList(): string[] {
  return git(repo.workspace, ['worktree', 'list', '--porcelain'])
    .split('\n')
    .filter(line => line.startsWith('worktree '))
}

function tandemBranches(): string {
  return git(repo.workspace, ['for-each-ref', '--format=%(refname)', 'refs/heads/tandem/'])
}

/**
 * Applies `patch` (with --index) to a fresh worktree at the base and returns its tree: equal to
 * the tree of the worktree it came from when the patch holds exactly that change.
 */
function appliedTree(patch: Buffer): string {
  const file = path.join(root, 'check.patch')
  writeFileSync(file, patch)
  const dir = path.join(root, `apply-${Date.now()}`)
  git(repo.workspace, ['worktree', 'add', '--quiet', '--detach', dir, base])
  try {
    git(dir, ['apply', '--check', file])
    git(dir, ['apply', '--index', file])
    return git(dir, ['write-tree'])
  } finally {
    git(repo.workspace, ['worktree', 'remove', '--force', dir])
  }
}

async function patchOf(change: (dir: string) => void): Promise<{ patch: Buffer; tree: string }> {
  const worktree = await addWorktree(repo.workspace, base, 'tandem/shard-test/1')
  try {
    change(worktree.dir)
    const patch = await worktreePatch(worktree, base)
    expect(patch).toBeDefined()
    // worktreePatch leaves the change staged: the index is the change's tree.
    return { patch: patch!, tree: git(worktree.dir, ['write-tree']) }
  } finally {
    await removeWorktree(worktree)
  }
}

describe('worktreePatch', () => {
  it('starts each worktree on its own branch at the base commit, outside RUNNER_TEMP', async () => {
    const worktree = await addWorktree(repo.workspace, base, 'tandem/shard-test/7')
    try {
      expect(git(worktree.dir, ['rev-parse', 'HEAD'])).toBe(base)
      expect(git(worktree.dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('tandem/shard-test/7')
      expect(path.basename(path.dirname(worktree.dir))).toMatch(/^tandem-worktrees-/)
      expect(worktree.gitDir).toBe(
        path.join(
          realpathSync(path.join(repo.workspace, '.git')),
          'worktrees',
          path.basename(worktree.dir)
        )
      )
    } finally {
      await removeWorktree(worktree)
    }
    expect(existsSync(worktree.dir)).toBe(false)
    expect(tandemBranches()).toBe('')
  })

  it('gives undefined when nothing changed (an ignored file is no change)', async () => {
    const exclude = path.join(repo.workspace, '.git', 'info', 'exclude')
    const worktree = await addWorktree(repo.workspace, base, 'tandem/shard-test/1')
    try {
      expect(await worktreePatch(worktree)).toBeUndefined()
      // A worktree reads the common dir's info/exclude, which agent code cannot write.
      writeFileSync(exclude, 'node_modules/\n')
      mkdirSync(path.join(worktree.dir, 'node_modules'))
      writeFileSync(path.join(worktree.dir, 'node_modules', 'dep.js'), 'x')
      expect(await worktreePatch(worktree)).toBeUndefined()
    } finally {
      writeFileSync(exclude, '')
      await removeWorktree(worktree)
    }
  })

  it('an edit', async () => {
    const { patch, tree } = await patchOf(dir =>
      writeFileSync(path.join(dir, 'src/edit.ts'), 'export const a = 1\nexport const b = 3\n')
    )
    const text = patch.toString('utf8')
    expect(text).toContain('diff --git a/src/edit.ts b/src/edit.ts')
    expect(text).toMatch(/^index [0-9a-f]{40}\.\.[0-9a-f]{40} 100644$/m)
    expect(text).toContain('-export const b = 2\n+export const b = 3\n')
    expect(appliedTree(patch)).toBe(tree)
  })

  it('a new binary file with NUL bytes', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0xff, 0xfe, 0, 0x01, 0x80])
    const { patch, tree } = await patchOf(dir => writeFileSync(path.join(dir, 'logo.png'), bytes))
    const text = patch.toString('utf8')
    expect(text).toContain('new file mode 100644')
    expect(text).toContain('GIT binary patch')
    expect(appliedTree(patch)).toBe(tree)
  })

  it('a deleted file', async () => {
    const { patch, tree } = await patchOf(dir => unlinkSync(path.join(dir, 'gone.txt')))
    expect(patch.toString('utf8')).toContain('deleted file mode 100644')
    expect(appliedTree(patch)).toBe(tree)
  })

  it('a rename', async () => {
    const { patch, tree } = await patchOf(dir =>
      renameSync(path.join(dir, 'docs/old-name.md'), path.join(dir, 'docs/new-name.md'))
    )
    const text = patch.toString('utf8')
    expect(text).toContain('rename from docs/old-name.md')
    expect(text).toContain('rename to docs/new-name.md')
    expect(appliedTree(patch)).toBe(tree)
  })

  it('chmod +x', async () => {
    const { patch, tree } = await patchOf(dir => chmodSync(path.join(dir, 'run.sh'), 0o755))
    const text = patch.toString('utf8')
    expect(text).toContain('old mode 100644\nnew mode 100755')
    expect(appliedTree(patch)).toBe(tree)
  })

  it('a text file that is not UTF-8, byte for byte', async () => {
    const after = Buffer.concat([LATIN1, Buffer.from('na\xefve\n', 'latin1')])
    const { patch, tree } = await patchOf(dir => writeFileSync(path.join(dir, 'latin1.txt'), after))
    expect(patch.includes(Buffer.from('+na\xefve\n', 'latin1'))).toBe(true)
    expect(appliedTree(patch)).toBe(tree)
  })

  it('all of it at once', async () => {
    const { patch, tree } = await patchOf(dir => {
      writeFileSync(path.join(dir, 'src/edit.ts'), 'export const a = 2\n')
      writeFileSync(path.join(dir, 'blob.bin'), Buffer.from([0, 1, 2, 0, 255]))
      unlinkSync(path.join(dir, 'gone.txt'))
      renameSync(path.join(dir, 'docs/old-name.md'), path.join(dir, 'moved.md'))
      chmodSync(path.join(dir, 'run.sh'), 0o755)
    })
    expect(appliedTree(patch)).toBe(tree)
  })

  it('refuses a worktree whose .git file was replaced', async () => {
    const worktree = await addWorktree(repo.workspace, base, 'tandem/shard-test/1')
    try {
      writeFileSync(path.join(worktree.dir, '.git'), `gitdir: ${path.join(root, 'elsewhere')}\n`)
      await expect(worktreePatch(worktree)).rejects.toThrow(/was replaced/)
    } finally {
      await removeWorktree(worktree)
    }
    expect(worktreeList()).toHaveLength(1)
    expect(tandemBranches()).toBe('')
  })

  it('refuses a branch name that is taken, and leaves that branch alone', async () => {
    git(repo.workspace, ['branch', 'tandem/taken', base])
    await expect(addWorktree(repo.workspace, base, 'tandem/taken')).rejects.toThrow(/exists/)
    expect(tandemBranches()).toBe('refs/heads/tandem/taken')
    git(repo.workspace, ['branch', '-D', 'tandem/taken'])
  })
})

// As root (CI) the sandbox makes a real agent user: what it may do to a granted worktree.
const isRoot = process.platform === 'linux' && process.getuid?.() === 0

describe('a worktree granted to an agent user', () => {
  ;(isRoot ? it : it.skip)(
    'cannot replace, move, link or write its .git file, nor the admin dir or the common config',
    async () => {
      const worktree = await addWorktree(repo.workspace, base, 'tandem/shard-test/1')
      const box = await prepareSandbox({ parentDir: root, label: 'writer-1' })
      expect(box.kind).toBe('user')
      const giveBack = await box.grant(worktree.dir, 'write')
      const asAgent = (script: string): number | null => {
        const plan = box.command('/bin/sh', ['-c', script], { PATH: '/usr/bin:/bin' })
        const ran = spawnSync(plan.file, plan.args, {
          env: plan.env,
          ...plan.options,
          cwd: worktree.dir
        })
        return ran.status
      }
      try {
        const config = path.join(worktree.commonDir, 'config')
        expect(asAgent(`echo "gitdir: ${root}/evil" > .git`)).not.toBe(0)
        expect(asAgent('rm -f .git')).not.toBe(0)
        expect(asAgent('mv .git moved')).not.toBe(0)
        expect(asAgent('ln -f .git hard')).not.toBe(0)
        expect(asAgent(`echo x > '${worktree.gitDir}/HEAD'`)).not.toBe(0)
        expect(asAgent(`echo '[core]' >> '${config}'`)).not.toBe(0)
        // What it may do: change the files of its task.
        expect(asAgent('echo "export const a = 9" > src/edit.ts && echo new > new.txt')).toBe(0)
      } finally {
        await box.killAll()
        await giveBack()
        await box.dispose()
      }
      const patch = (await worktreePatch(worktree))!.toString('utf8')
      expect(patch).toContain('b/src/edit.ts')
      expect(patch).toContain('b/new.txt')
      expect(patch).not.toContain('moved')
      await removeWorktree(worktree)
      expect(tandemBranches()).toBe('')
    }
  )
})

describe('runPool', () => {
  it('keeps the order, runs at most `concurrency` at once in distinct slots, and catches throws', async () => {
    let running = 0
    let most = 0
    const busy = new Set<number>()
    const results = await runPool([30, 5, 20, 1, 10], 2, async (ms, slot, index) => {
      expect(busy.has(slot)).toBe(false)
      busy.add(slot)
      most = Math.max(most, ++running)
      await new Promise(resolve => setTimeout(resolve, ms))
      running--
      busy.delete(slot)
      if (index === 2) throw new Error('task 3 broke')
      return `${index}:${slot}`
    })
    expect(most).toBe(2)
    expect(results.map(r => (r.ok ? r.value.split(':')[0] : 'error'))).toEqual([
      '0',
      '1',
      'error',
      '3',
      '4'
    ])
    expect(results[2]).toEqual({ ok: false, error: new Error('task 3 broke') })
    for (const r of results) if (r.ok) expect(['1', '2']).toContain(r.value.split(':')[1])
  })

  it('runs nothing for no items', async () => {
    expect(await runPool([], 4, async () => 1)).toEqual([])
  })
})

describe('runInWorktrees', () => {
  it('gives each task its own worktree at the base, keeps order through a throw, and cleans up', async () => {
    const seen: Worktree[] = []
    const results = await runInWorktrees(
      { repo: repo.workspace, baseSha: base, branchPrefix: 'tandem/shard-9/', concurrency: 2 },
      ['a', 'b', 'c', 'd'],
      async ({ item, index, worktree }) => {
        seen.push(worktree)
        expect(git(worktree.dir, ['rev-parse', 'HEAD'])).toBe(base)
        expect(worktree.branch).toBe(`tandem/shard-9/${index + 1}`)
        if (item === 'b') throw new Error('b failed')
        writeFileSync(path.join(worktree.dir, `${item}.txt`), `${item}\n`)
        return (await worktreePatch(worktree))!.toString('utf8')
      }
    )
    expect(results.map(r => r.ok)).toEqual([true, false, true, true])
    expect(results[1]).toEqual({ ok: false, error: new Error('b failed') })
    results.forEach((r, i) => {
      if (r.ok) expect(r.value).toContain(`b/${'abcd'[i]}.txt`)
    })
    expect(new Set(seen.map(w => w.dir)).size).toBe(4)
    expect(worktreeList()).toEqual([`worktree ${repo.workspace}`])
    expect(tandemBranches()).toBe('')
    for (const w of seen) expect(existsSync(w.dir)).toBe(false)
    expect(existsSync(path.dirname(seen[0]!.dir))).toBe(false)
  })

  it('sweeps the worktrees and branches of its prefix that a killed run left behind', async () => {
    const stale = path.join(root, 'stale-worktree')
    git(repo.workspace, ['worktree', 'add', '--quiet', '-b', 'tandem/shard-5/1', stale, base])
    git(repo.workspace, ['branch', 'tandem/shard-5/2', base])
    git(repo.workspace, ['branch', 'tandem/shard-50/1', base])
    expect(await sweepWorktrees(repo.workspace, 'tandem/shard-5/')).toEqual([
      'tandem/shard-5/1',
      'tandem/shard-5/2'
    ])
    expect(worktreeList()).toEqual([`worktree ${repo.workspace}`])
    expect(tandemBranches()).toBe('refs/heads/tandem/shard-50/1')
    git(repo.workspace, ['branch', '-D', 'tandem/shard-50/1'])
  })

  it('a worktree + patch + removal costs little per task', async () => {
    const n = 20
    const started = Date.now()
    await runInWorktrees(
      { repo: repo.workspace, baseSha: base, branchPrefix: 'tandem/shard-bench/', concurrency: 1 },
      Array.from({ length: n }, (_, i) => i),
      async ({ item, worktree }) => {
        writeFileSync(path.join(worktree.dir, 'src/edit.ts'), `export const a = ${item}\n`)
        return worktreePatch(worktree)
      }
    )
    const perTask = (Date.now() - started) / n
    // The target is < 150 ms; the bound here only catches a regression by an order.
    process.stdout.write(`worktree + patch + removal: ${perTask.toFixed(1)} ms per task\n`)
    expect(perTask).toBeLessThan(1500)
  })
})

describe('at exit', () => {
  const script = (ending: string): string => `
    import { addWorktree } from ${JSON.stringify(path.resolve('src/git/worktree.ts'))}
    const [repo, base] = process.argv.slice(2)
    await addWorktree(repo, base, 'tandem/shard-exit/1')
    const second = await addWorktree(repo, base, 'tandem/shard-exit/2')
    process.stdout.write(second.dir + '\\n')
    ${ending}
  `

  async function runScript(ending: string): Promise<{ code: number | null; dir: string }> {
    const file = path.join(root, `exit-${Date.now()}.mts`)
    writeFileSync(file, script(ending))
    const child = spawn(process.execPath, ['--import', 'tsx', file, repo.workspace, base], {
      cwd: path.resolve('.'),
      stdio: ['ignore', 'pipe', 'inherit']
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    const code = await new Promise<number | null>(resolve => child.on('close', resolve))
    return { code, dir: out.trim() }
  }

  it('removes the worktrees and branches when the process exits without cleaning up', async () => {
    // launch.ts's exitCancelled: process.exit once the agents are stopped.
    const { code, dir } = await runScript('process.exit(1)')
    expect(code).toBe(1)
    expect(dir).not.toBe('')
    expect(existsSync(dir)).toBe(false)
    expect(existsSync(path.dirname(dir))).toBe(false)
    expect(worktreeList()).toEqual([`worktree ${repo.workspace}`])
    expect(tandemBranches()).toBe('')
  })

  it('removes them on SIGTERM when nothing else handles it, then exits', async () => {
    const { code, dir } = await runScript(
      "process.kill(process.pid, 'SIGTERM'); setInterval(() => undefined, 1000)"
    )
    expect(code).toBe(143)
    expect(existsSync(dir)).toBe(false)
    expect(existsSync(path.dirname(dir))).toBe(false)
    expect(worktreeList()).toEqual([`worktree ${repo.workspace}`])
    expect(tandemBranches()).toBe('')
  })

  it('leaves the exit to a cancellation handler that is there (launch.ts), and still cleans up', async () => {
    const { code, dir } = await runScript(
      "process.once('SIGTERM', () => setTimeout(() => process.exit(1), 100));" +
        "process.kill(process.pid, 'SIGTERM'); setInterval(() => undefined, 1000)"
    )
    expect(code).toBe(1)
    expect(existsSync(dir)).toBe(false)
    expect(existsSync(path.dirname(dir))).toBe(false)
    expect(worktreeList()).toEqual([`worktree ${repo.workspace}`])
    expect(tandemBranches()).toBe('')
  })
})
