import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  byUtf8Bytes,
  tasksFromCommand,
  tasksFromGlobs,
  tasksFromLines
} from '../../src/fanout/tasks.js'
import { git } from '../harness/repo.js'

const made: string[] = []
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

// Glob characters in the root's own name: it must be matched literally.
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-tasks-[x]*?-'))
  made.push(dir)
  return dir
}

function write(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
    writeFileSync(path.join(root, file), content)
  }
}

/** Everything the stdout of this process receives while `fn` runs (core's workflow commands). */
async function captureStdout<T>(fn: () => Promise<T>): Promise<{ value: T; out: string }> {
  let out = ''
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out += String(chunk)
    return true
  })
  try {
    return { value: await fn(), out }
  } finally {
    spy.mockRestore()
  }
}

describe('tasksFromLines', () => {
  it('one task a line: trimmed, blank lines and repeats dropped, first order kept', () => {
    const text = '  src/b.js \r\n\nsrc/a.js\n\t\nsrc/b.js\nissue #12: fix the flaky test\n'
    expect(tasksFromLines(text)).toEqual(['src/b.js', 'src/a.js', 'issue #12: fix the flaky test'])
    expect(tasksFromLines('')).toEqual([])
    expect(tasksFromLines('\n \n')).toEqual([])
  })
})

describe('byUtf8Bytes', () => {
  it('sorts as git and Buffer.compare do, not by UTF-16 units', () => {
    const names = ['b', 'B', 'a-b', 'a/b', 'ab', 'é', '\uE000x', '😀', '\uFFFD', 'z', '', 'a']
    const expected = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect([...names].sort(byUtf8Bytes)).toEqual(expected)
    // Where UTF-16 order differs: U+E000 comes before U+1F600 in bytes.
    expect(['😀', '\uE000'].sort()).toEqual(['😀', '\uE000'])
    expect(['😀', '\uE000'].sort(byUtf8Bytes)).toEqual(['\uE000', '😀'])
  })
})

describe('tasksFromGlobs on a real checkout', () => {
  let repo: string
  let outside: string

  beforeAll(() => {
    outside = tempDir()
    write(outside, { 'elsewhere.js': '', 'lib/x.js': '' })
    repo = tempDir()
    git(repo, ['init', '--quiet', '--initial-branch=main'])
    write(repo, {
      '.gitignore': 'dist/\nnode_modules/\n*.log\n!keep.log\n/generated.js\n',
      'README.md': '# app\n',
      'generated.js': '',
      'lib/a.js': '',
      'lib/b.ts': '',
      'src/index.js': '',
      'src/app.js': '',
      'src/.eslintrc.js': '',
      'src/.hidden/secret.js': '',
      'src/lib/util.js': '',
      'src/lib/deep/er/most.js': '',
      'src/legacy/old.js': '',
      'src/debug.log': '',
      'src/keep.log': '',
      'src/sub/.gitignore': 'local.js\n',
      'src/sub/local.js': '',
      'src/sub/kept.js': '',
      'src/tracked-ignored.js': '',
      'src/with space.js': '',
      'src/ünï.js': '',
      'src/[brackets].js': '',
      'dist/bundle.js': '',
      'node_modules/pkg/index.js': ''
    })
    symlinkSync('index.js', path.join(repo, 'src/link-to-file.js'))
    symlinkSync('lib', path.join(repo, 'src/link-to-dir'))
    symlinkSync('nowhere.js', path.join(repo, 'src/broken.js'))
    symlinkSync(path.join(outside, 'elsewhere.js'), path.join(repo, 'src/outside.js'))
    symlinkSync(outside, path.join(repo, 'vendor'))
    git(repo, ['add', 'README.md', '.gitignore', 'src/index.js', 'src/lib'])
    git(repo, ['add', '--force', 'src/tracked-ignored.js'])
    git(repo, ['commit', '--quiet', '-m', 'init'])
    // Ignored from now on, but tracked: still part of the checkout, so still a task.
    writeFileSync(path.join(repo, '.gitignore'), 'src/tracked-ignored.js\n', { flag: 'a' })
  })

  const ALL_JS = [
    'lib/a.js',
    'src/.eslintrc.js',
    'src/.hidden/secret.js',
    'src/[brackets].js',
    'src/app.js',
    'src/index.js',
    'src/legacy/old.js',
    'src/lib/deep/er/most.js',
    'src/lib/util.js',
    'src/sub/kept.js',
    'src/tracked-ignored.js',
    'src/with space.js',
    'src/ünï.js'
  ]

  it('**/*.js from another cwd: relative to root, dotfiles in, ignored files and symlinks out', async () => {
    expect(process.cwd()).not.toBe(repo)
    const { value, out } = await captureStdout(() => tasksFromGlobs(['**/*.js'], repo))
    expect(value).toEqual(ALL_JS)
    expect(out).toContain(
      'left out: 4 ignored by git, 3 not regular files, 0 behind a symlinked directory, 0 under .git/, 0 outside the working directory'
    )
  })

  it('** lists every file once, nothing under .git/, the .gitignore files and keep.log in', async () => {
    const all = await tasksFromGlobs(['**'], repo)
    expect(all.filter(file => file.startsWith('.git/'))).toEqual([])
    expect(all).toEqual(
      expect.arrayContaining(['.gitignore', 'README.md', 'src/keep.log', 'src/sub/.gitignore'])
    )
    expect(all).not.toContain('src/debug.log')
    expect(all).not.toContain('dist/bundle.js')
    expect(new Set(all).size).toBe(all.length)
    expect(all).toEqual([...all].sort(byUtf8Bytes))
  })

  it('negation, ./, a directory with a trailing slash, an absolute pattern inside root', async () => {
    expect(await tasksFromGlobs(['src/**/*.js', '!src/legacy/**', '! src/lib/**'], repo)).toEqual(
      ALL_JS.filter(f => f.startsWith('src/') && !f.startsWith('src/legacy/')).filter(
        f => !f.startsWith('src/lib/')
      )
    )
    expect(await tasksFromGlobs(['./lib/*', path.join(repo, 'README.md')], repo)).toEqual([
      'README.md',
      'lib/a.js',
      'lib/b.ts'
    ])
    expect(await tasksFromGlobs(['src/lib/'], repo)).toEqual([
      'src/lib/deep/er/most.js',
      'src/lib/util.js'
    ])
    // Overlapping patterns: each file once.
    expect(await tasksFromGlobs(['lib/*.js', 'lib/**', '**/a.js'], repo)).toEqual([
      'lib/a.js',
      'lib/b.ts'
    ])
  })

  it('never through a symlink: not into a linked directory, not to files outside root', async () => {
    expect(await tasksFromGlobs(['src/link-to-dir/**'], repo)).toEqual([])
    // A literal path through `vendor` (a link to a directory outside) reaches real files.
    const { value, out } = await captureStdout(() => tasksFromGlobs(['vendor/lib/*.js'], repo))
    expect(value).toEqual([])
    expect(out).toContain('1 behind a symlinked directory')
    expect(await tasksFromGlobs([path.join(outside, '**')], repo)).toEqual([])
  })

  it('a pattern with .. fails and names the input and the pattern', async () => {
    await expect(tasksFromGlobs(['../other/*.js'], repo)).rejects.toThrow(
      /^Input 'files' has an unusable pattern "\.\.\/other\/\*\.js": .*Relative pathing/
    )
  })

  it('warns that braces are not expanded', async () => {
    const { value, out } = await captureStdout(() => tasksFromGlobs(['lib/*.{js,ts}'], repo))
    expect(value).toEqual([])
    expect(out).toMatch(/::warning::Input 'files' pattern "lib\/\*\.\{js,ts\}" has braces/)
  })

  it('a subdirectory as root: paths relative to it, the repository ignore rules still apply', async () => {
    expect(await tasksFromGlobs(['**/*.js'], path.join(repo, 'src'))).toEqual(
      ALL_JS.filter(f => f.startsWith('src/')).map(f => f.slice('src/'.length))
    )
  })

  it('a root inside an ignored directory: everything is ignored', async () => {
    write(repo, { 'dist/deep/chunk.js': '' })
    expect(await tasksFromGlobs(['**'], path.join(repo, 'dist/deep'))).toEqual([])
    expect(await tasksFromGlobs(['**'], path.join(repo, 'dist'))).toEqual([])
  })

  it('outside a git repository nothing is ignored', async () => {
    const plain = tempDir()
    write(plain, { '.gitignore': 'dist/\n', 'dist/a.js': '', 'src/b.js': '', '.git-notes': '' })
    expect(await tasksFromGlobs(['**'], plain)).toEqual([
      '.git-notes',
      '.gitignore',
      'dist/a.js',
      'src/b.js'
    ])
  })

  it('2,000 files created in shuffled order come back sorted, each once', async () => {
    const root = tempDir()
    git(root, ['init', '--quiet'])
    const files: string[] = []
    for (let pkg = 0; pkg < 40; pkg++) {
      for (let n = 0; n < 50; n++) files.push(`packages/pkg-${pkg}/src/Module${n}.js`)
    }
    const shuffled = [...files].sort((a, b) => (hash(a) % 997) - (hash(b) % 997))
    write(root, Object.fromEntries(shuffled.map(file => [file, ''])))
    const tasks = await tasksFromGlobs(['packages/**/*.js', 'packages/pkg-1*/**'], root)
    expect(tasks).toHaveLength(2000)
    expect(tasks).toEqual([...files].sort(byUtf8Bytes))
  })
})

describe("tasksFromGlobs: @actions/glob's matching over git's file list", () => {
  let repo: string
  let plain: string
  let outside: string

  // The same files in a checkout and in a plain directory, which takes the readdir walk.
  const FILES = {
    'README.md': '',
    'src/a.js': '',
    'src/[a].js': '',
    'src/q?.js': '',
    'src/Upper.JS': '',
    'src/lib/util.js': '',
    'src/lib/deep/most.js': '',
    'src/legacy/old.js': '',
    'src/legacy/keep/k.js': '',
    'src/x.js/inner.md': ''
  }

  beforeAll(() => {
    // No glob characters in this one's name: a pattern outside root is taken as written.
    outside = mkdtempSync(path.join(tmpdir(), 'tandem-tasks-outside-'))
    made.push(outside)
    write(outside, { 'o.js': '', 'lib/x.js': '' })
    plain = tempDir()
    write(plain, FILES)
    repo = tempDir()
    git(repo, ['init', '--quiet', '--initial-branch=main'])
    write(repo, {
      ...FILES,
      '.gitignore': 'dist/\n',
      'dist/deep/chunk.js': '',
      'dist/deep/more/c.js': '',
      'gone.js': '',
      'nested/n.js': '',
      'sub/s.js': ''
    })
    // A nested repository (untracked) and a submodule (a gitlink): another repository's files.
    git(path.join(repo, 'nested'), ['init', '--quiet'])
    git(path.join(repo, 'sub'), ['init', '--quiet'])
    git(path.join(repo, 'sub'), ['add', 's.js'])
    git(path.join(repo, 'sub'), ['commit', '--quiet', '-m', 'sub'])
    git(repo, ['add', 'README.md', 'gone.js', 'sub'])
    git(repo, ['commit', '--quiet', '-m', 'init'])
    // Tracked, then deleted from the work tree: the index still lists it.
    rmSync(path.join(repo, 'gone.js'))
  })

  it('later patterns override earlier ones: an exclusion, then a re-inclusion', async () => {
    const patterns = ['src/**', '!src/legacy/**', 'src/legacy/keep/**']
    const expected = [
      'src/Upper.JS',
      'src/[a].js',
      'src/a.js',
      'src/legacy/keep/k.js',
      'src/lib/deep/most.js',
      'src/lib/util.js',
      'src/q?.js',
      'src/x.js/inner.md'
    ]
    expect(await tasksFromGlobs(patterns, repo)).toEqual(expected)
    expect(await tasksFromGlobs(patterns, plain)).toEqual(expected)
    expect(await tasksFromGlobs(['src/**/*.js', '!src/**'], repo)).toEqual([])
    expect(await tasksFromGlobs(['!src/**', 'src/lib/*.js'], repo)).toEqual(['src/lib/util.js'])
  })

  it('a pattern naming a directory stands for everything below it, even `**/*.js` for a dir x.js', async () => {
    for (const root of [repo, plain]) {
      expect(await tasksFromGlobs(['src/lib'], root)).toEqual([
        'src/lib/deep/most.js',
        'src/lib/util.js'
      ])
      expect(await tasksFromGlobs(['src/lib', '!src/lib/'], root)).toEqual([])
      // @actions/glob adds `<pattern>/**` to every pattern that does not end in `**`.
      expect(await tasksFromGlobs(['src/*.js'], root)).toEqual([
        'src/[a].js',
        'src/a.js',
        'src/q?.js',
        'src/x.js/inner.md'
      ])
    }
  })

  it('glob characters in names: a class, an escape by brackets, case-sensitive', async () => {
    for (const root of [repo, plain]) {
      expect(await tasksFromGlobs(['src/[a].js'], root)).toEqual(['src/a.js'])
      expect(await tasksFromGlobs(['src/[[]a].js'], root)).toEqual(['src/[a].js'])
      expect(await tasksFromGlobs(['src/q[?].js'], root)).toEqual(['src/q?.js'])
      // `?` is one character: `src/x.js` is a directory, so what is below it.
      expect(await tasksFromGlobs(['src/?.js'], root)).toEqual(['src/a.js', 'src/x.js/inner.md'])
      expect(await tasksFromGlobs(['SRC/**', 'src/*.JS'], root)).toEqual(['src/Upper.JS'])
    }
  })

  it("counts what lies beyond git's list: in an ignored directory, under .git/, outside root", async () => {
    const ignored = await captureStdout(() => tasksFromGlobs(['dist/deep/**'], repo))
    expect(ignored.value).toEqual([])
    expect(ignored.out).toContain('2 paths matched, 0 tasks (left out: 2 ignored by git,')
    const gitDir = await captureStdout(() => tasksFromGlobs(['.git/HEAD', 'src/a.js'], repo))
    expect(gitDir.value).toEqual(['src/a.js'])
    expect(gitDir.out).toContain('0 behind a symlinked directory, 1 under .git/, 0 outside')
    const far = await captureStdout(() => tasksFromGlobs([path.join(outside, '**/*.js')], repo))
    expect(far.value).toEqual([])
    expect(far.out).toContain('0 under .git/, 2 outside the working directory')
  })

  it('leaves out a nested repository, a submodule and a tracked file deleted from the work tree', async () => {
    expect(await tasksFromGlobs(['**/*.js'], repo)).toEqual([
      'src/[a].js',
      'src/a.js',
      'src/legacy/keep/k.js',
      'src/legacy/old.js',
      'src/lib/deep/most.js',
      'src/lib/util.js',
      'src/q?.js',
      'src/x.js/inner.md'
    ])
    expect(await tasksFromGlobs(['nested/**', 'sub/**'], repo)).toEqual([])
    const gone = await captureStdout(() => tasksFromGlobs(['gone.js'], repo))
    expect(gone.value).toEqual([])
    expect(gone.out).toContain('0 paths matched, 0 tasks')
  })

  it('a root reached through a symlink gives the tasks of its target', async () => {
    const link = path.join(tempDir(), 'checkout')
    symlinkSync(repo, link)
    expect(await tasksFromGlobs(['**'], link)).toEqual(await tasksFromGlobs(['**'], repo))
    expect(await tasksFromGlobs(['src/lib/**'], link)).toEqual([
      'src/lib/deep/most.js',
      'src/lib/util.js'
    ])
  })
})

function hash(text: string): number {
  let h = 0
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0
  return h
}

describe('tasksFromCommand', () => {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', FOO: 'from-env' }
  let cwd: string
  beforeAll(() => {
    cwd = tempDir()
    write(cwd, { 'b.js': '', 'a.js': '' })
  })

  it('its stdout lines are the tasks, through bash -c, in cwd, with the given environment', async () => {
    const tasks = await tasksFromCommand(
      'ls *.js | sort; echo "  $FOO  "; echo; echo a.js; [[ -n $BASH_VERSION ]] && echo bash',
      cwd,
      env
    )
    expect(tasks).toEqual(['a.js', 'b.js', 'from-env', 'bash'])
  })

  it('sees only the environment it is given', async () => {
    process.env.TANDEM_TEST_LEAK = 'leaked'
    try {
      expect(await tasksFromCommand('echo "x${TANDEM_TEST_LEAK}x"', cwd, env)).toEqual(['xx'])
    } finally {
      delete process.env.TANDEM_TEST_LEAK
    }
  })

  it('a non-zero exit fails with the exit code and the end of stderr', async () => {
    const command =
      'for i in $(seq 1 100); do echo "noise $i" >&2; done; echo "no such dir" >&2; exit 3'
    const error = await tasksFromCommand(command, cwd, env).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    const message = (error as Error).message
    expect(message).toMatch(/^task-command exited with code 3; the end of its stderr:\n/)
    expect(message).toContain('noise 100\nno such dir')
    expect(message).not.toContain('noise 1\n')
  })

  it('a command killed by a signal says so', async () => {
    await expect(tasksFromCommand('kill -TERM $$', cwd, env)).rejects.toThrow(
      'task-command was killed by SIGTERM'
    )
  })

  it('stdout past the cap stops the command with a clear error', async () => {
    const started = Date.now()
    await expect(
      tasksFromCommand('while :; do echo src/some/file.js; done', cwd, env, {
        maxStdoutBytes: 100_000
      })
    ).rejects.toThrow(
      /^task-command printed more than 100000 bytes on stdout and was stopped: a plan that large could not be a job output/
    )
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('a command that runs too long is stopped, with what it started', async () => {
    const started = Date.now()
    await expect(
      tasksFromCommand('sleep 30 & sleep 30; echo late', cwd, env, { timeoutMs: 300 })
    ).rejects.toThrow('task-command did not finish within 300 ms and was stopped')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('stderr of a command that succeeds is logged where it cannot issue workflow commands', async () => {
    const { value, out } = await captureStdout(() =>
      tasksFromCommand('echo "::set-output name=x::y" >&2; echo task', cwd, env)
    )
    expect(value).toEqual(['task'])
    const token = /::stop-commands::([0-9a-f]+)/.exec(out)![1]!
    const inside = out.slice(out.indexOf(`::stop-commands::${token}`), out.indexOf(`::${token}::`))
    expect(inside).toContain('::set-output name=x::y')
  })
})
