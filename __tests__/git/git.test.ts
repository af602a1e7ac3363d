import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { commitAll, pushBranch, remoteBranchSha } from '../../src/git/branch.js'
import { checkoutAt, diffBetween, git } from '../../src/git/git.js'
import { createTestRepo, git as sh, type TestRepo } from '../harness/repo.js'

/*
 * Every test plants something that would run a program, shows with plain git (the control)
 * that it does run, then runs Tandem's git() and checks that the program's marker file was never
 * written. Real git, real repositories, no mocks.
 */

let root: string
let repo: TestRepo
let ws: string
let markers: string
let plants: string
let savedEnv: NodeJS.ProcessEnv

beforeEach(() => {
  savedEnv = { ...process.env }
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'tandem-gittest-')))
  repo = createTestRepo(root, { 'a.txt': 'alpha\n', 'b.txt': 'one\ntwo\nthree\n' })
  ws = repo.workspace
  sh(ws, ['config', 'user.name', 'Tandem Test'])
  sh(ws, ['config', 'user.email', 'tandem@example.com'])
  markers = path.join(root, 'markers')
  plants = path.join(root, 'plants')
  mkdirSync(markers)
  mkdirSync(plants)
})

afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name]
  Object.assign(process.env, savedEnv)
  rmSync(root, { recursive: true, force: true })
})

/** A program that records in markers/<name> that it ran (with its environment), then `tail`. */
function plant(name: string, tail = 'exit 0', dir = plants): string {
  const file = path.join(dir, name)
  writeFileSync(file, `#!/bin/sh\nenv > '${markers}/${name}'\n${tail}\n`, { mode: 0o755 })
  return file
}

function ran(): string[] {
  return readdirSync(markers).sort()
}

function clearMarkers(): void {
  for (const name of readdirSync(markers)) rmSync(path.join(markers, name))
}

/** git the way a user (or a careless tool) runs it: the control that shows a plant fires. */
function plainGit(
  cwd: string,
  args: string[],
  env: Record<string, string> = {}
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(
      'git',
      args,
      {
        cwd,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: path.join(root, 'nohome'),
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          ...env
        }
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })
}

function gitConfig(key: string, value: string, cwd = ws): void {
  sh(cwd, ['config', '--local', key, value])
}

describe("Tandem's git runs nothing that was planted", () => {
  it('core.fsmonitor in .git/config: not on status, diff, add or commit', async () => {
    gitConfig('core.fsmonitor', plant('fsmonitor'))
    writeFileSync(path.join(ws, 'a.txt'), 'changed\n')
    await plainGit(ws, ['status', '--porcelain'])
    expect(ran()).toEqual(['fsmonitor'])
    clearMarkers()

    await git(ws, ['status', '--porcelain'])
    await git(ws, ['diff'])
    await git(ws, ['add', '--all'])
    await git(ws, ['diff', '--cached', '--quiet'], { allowFailure: true })
    await git(ws, ['commit', '--quiet', '-m', 'change'])
    expect(ran()).toEqual([])
    expect(sh(ws, ['log', '-1', '--format=%s'])).toBe('change')
  })

  const HOOKS = [
    'post-index-change',
    'reference-transaction',
    'pre-commit',
    'prepare-commit-msg',
    'commit-msg',
    'post-commit',
    'post-checkout',
    'pre-push',
    'pre-auto-gc'
  ]

  async function runHookedCommands(): Promise<void> {
    writeFileSync(path.join(ws, 'a.txt'), 'hooked\n')
    await git(ws, ['add', '--all'])
    await git(ws, ['commit', '--quiet', '-m', 'hooked'])
    await git(ws, ['checkout', '--quiet', '-b', 'topic'])
    const wt = path.join(root, 'wt')
    await git(ws, ['worktree', 'add', '--quiet', '--detach', wt, 'HEAD~1'])
    await git(ws, ['worktree', 'remove', '--force', wt])
    await git(ws, ['push', '--quiet', 'origin', 'HEAD:refs/heads/topic'])
    await git(ws, ['update-ref', 'refs/heads/other', 'HEAD'])
  }

  it('hooks in .git/hooks: not on add, commit, checkout, worktree add or push', async () => {
    for (const hook of HOOKS) plant(hook, 'exit 0', path.join(ws, '.git', 'hooks'))
    writeFileSync(path.join(ws, 'a.txt'), 'control\n')
    await plainGit(ws, ['commit', '--quiet', '-am', 'control'])
    expect(ran()).toEqual(
      expect.arrayContaining(['pre-commit', 'commit-msg', 'post-commit', 'reference-transaction'])
    )
    clearMarkers()

    await runHookedCommands()
    expect(ran()).toEqual([])
    // The push arrived; the worktree came and went.
    expect(sh(repo.remote, ['rev-parse', 'refs/heads/topic'])).toBe(repo.head())
    expect(sh(ws, ['worktree', 'list', '--porcelain'])).not.toContain(path.join(root, 'wt'))
  })

  it('core.hooksPath pointing at a planted directory', async () => {
    const planted = path.join(root, 'planted-hooks')
    mkdirSync(planted)
    for (const hook of HOOKS) plant(hook, 'exit 0', planted)
    gitConfig('core.hooksPath', planted)
    await plainGit(ws, ['commit', '--quiet', '--allow-empty', '-m', 'control'])
    expect(ran()).toContain('pre-commit')
    clearMarkers()

    await runHookedCommands()
    expect(ran()).toEqual([])
  })

  it('a global ~/.gitconfig or XDG config in HOME is not read', async () => {
    const home = path.join(root, 'home')
    mkdirSync(path.join(home, '.config', 'git'), { recursive: true })
    const planted = [
      '[core]',
      `\tfsmonitor = ${plant('fsmonitor')}`,
      `\tpager = ${plant('pager')}`,
      '[alias]',
      `\tplanted = !${plant('alias')}`,
      '[user]',
      '\tname = Planted',
      ''
    ].join('\n')
    writeFileSync(path.join(home, '.gitconfig'), planted)
    writeFileSync(path.join(home, '.config', 'git', 'config'), planted)
    writeFileSync(path.join(home, '.config', 'git', 'attributes'), '* filter=evil\n')
    process.env.HOME = home
    process.env.XDG_CONFIG_HOME = path.join(home, '.config')
    await plainGit(ws, ['status'], { HOME: home, GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig') })
    expect(ran()).toEqual(['fsmonitor'])
    clearMarkers()

    writeFileSync(path.join(ws, 'a.txt'), 'changed\n')
    await git(ws, ['status'])
    await git(ws, ['diff'])
    await git(ws, ['log', '-1'])
    const alias = await git(ws, ['planted'], { allowFailure: true })
    expect(alias.exitCode).not.toBe(0)
    expect((await git(ws, ['config', '--get', 'user.name'])).stdout.trim()).toBe('Tandem Test')
    expect(ran()).toEqual([])
  })

  it("the runner's GIT_* variables (system config, config parameters, external diff, dirs) are dropped", async () => {
    const system = path.join(root, 'gitconfig-system')
    writeFileSync(system, `[core]\n\tfsmonitor = ${plant('system-fsmonitor')}\n`)
    const other = path.join(root, 'other')
    sh(root, ['init', '--quiet', other])
    Object.assign(process.env, {
      GIT_CONFIG_SYSTEM: system,
      GIT_CONFIG_NOSYSTEM: '0',
      GIT_CONFIG_PARAMETERS: `'core.fsmonitor=${plant('params-fsmonitor')}'`,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.hooksPath',
      GIT_CONFIG_VALUE_0: plants,
      GIT_EXTERNAL_DIFF: plant('external-diff'),
      GIT_PAGER: plant('pager'),
      GIT_ASKPASS: plant('askpass'),
      GIT_DIR: path.join(other, '.git'),
      GIT_WORK_TREE: other
    })
    plant('pre-commit')
    writeFileSync(path.join(ws, 'a.txt'), 'changed\n')
    expect((await git(ws, ['rev-parse', '--show-toplevel'])).stdout.trim()).toBe(ws)
    await git(ws, ['status'])
    const diff = await git(ws, ['diff'])
    expect(diff.stdout).toContain('+changed')
    await git(ws, ['commit', '--quiet', '-am', 'x'])
    expect(ran()).toEqual([])
  })

  it('clean, smudge and process filters named by .gitattributes are not run', async () => {
    repo.commit({ '.gitattributes': '*.txt filter=evil\n' }, 'attributes')
    gitConfig('filter.evil.clean', plant('clean', 'exec tr a-z A-Z'))
    gitConfig('filter.evil.smudge', plant('smudge', 'exec cat'))
    gitConfig('filter.evil.process', plant('process', 'exit 1'))
    // A driver name git's -c syntax cannot carry: '=' and '.' in the subsection.
    writeFileSync(path.join(ws, '.gitattributes'), '*.txt filter=evil\n*.md filter=a=b.c\n')
    gitConfig('filter.a=b.c.clean', plant('clean-eq', 'exec cat'))
    writeFileSync(path.join(ws, 'a.txt'), 'lower case\n')
    writeFileSync(path.join(ws, 'n.md'), 'note\n')
    await plainGit(ws, ['add', 'n.md'])
    expect(ran()).toContain('clean-eq')
    clearMarkers()
    await git(ws, ['reset', '--quiet'])

    await git(ws, ['status', '--porcelain'])
    await git(ws, ['add', '--all'])
    await git(ws, ['commit', '--quiet', '-m', 'filtered?'])
    expect(sh(ws, ['cat-file', '-p', 'HEAD:a.txt'])).toBe('lower case')
    rmSync(path.join(ws, 'b.txt'))
    await git(ws, ['checkout', '--quiet', '--', 'b.txt'])
    const wt = await checkoutAt(ws, sh(ws, ['rev-parse', 'HEAD~1']), path.join(root, 'wts'))
    await wt.release()
    await git(ws, ['diff', 'HEAD~1', 'HEAD'])
    expect(ran()).toEqual([])

    // A required filter fails loudly rather than letting content pass unfiltered (git-lfs).
    gitConfig('filter.evil.required', 'true')
    writeFileSync(path.join(ws, 'a.txt'), 'again\n')
    const add = await git(ws, ['add', 'a.txt'], { allowFailure: true })
    expect(add.exitCode).not.toBe(0)
    expect(add.stderr).toContain("clean filter 'evil' failed")
    expect(ran()).toEqual([])
  })

  it('diff.external, diff drivers and textconv: not on diff, log -p, show or blame; output unchanged', async () => {
    repo.commit({ '.gitattributes': '*.txt diff=evil\n' }, 'attributes')
    gitConfig('diff.external', plant('external', 'exit 0'))
    gitConfig('diff.evil.command', plant('command', 'exit 0'))
    gitConfig('diff.evil.textconv', plant('textconv', 'exec tr a-z A-Z < "$1"'))
    const before = repo.head()
    repo.commit({ 'a.txt': 'beta\n' }, 'beta')
    writeFileSync(path.join(ws, 'b.txt'), 'one\n2\nthree\n')
    await plainGit(ws, ['diff'])
    await plainGit(ws, ['log', '-p', '-1'])
    expect(ran()).toEqual(['command', 'textconv'])
    clearMarkers()

    // What git prints with no driver at all.
    const plain = (args: string[]) =>
      sh(ws, [args[0]!, '--no-ext-diff', '--no-textconv', ...args.slice(1)])
    expect((await git(ws, ['diff'])).stdout.trim()).toBe(plain(['diff']))
    expect((await git(ws, ['diff', before, 'HEAD'])).stdout.trim()).toBe(
      plain(['diff', before, 'HEAD'])
    )
    expect((await git(ws, ['log', '-p', '-1'])).stdout.trim()).toBe(plain(['log', '-p', '-1']))
    expect((await git(ws, ['show', 'HEAD'])).stdout.trim()).toBe(plain(['show', 'HEAD']))
    await git(ws, ['blame', 'a.txt'])
    expect((await diffBetween(ws, before, 'HEAD')).trim()).toBe(
      plain(['diff', '--find-renames', before, 'HEAD'])
    )
    expect(ran()).toEqual([])
    // A diff command Tandem does not flag fails instead of running the planted program.
    const range = await git(ws, ['range-diff', 'HEAD~1', 'HEAD~1', 'HEAD'], { allowFailure: true })
    expect(range.exitCode).not.toBe(0)
    expect(ran()).toEqual([])
  })

  it('a merge driver is not run; the file is merged as text', async () => {
    repo.commit({ '.gitattributes': '*.txt merge=evil\n' }, 'attributes')
    gitConfig('merge.evil.driver', plant('merge-driver', 'exit 1'))
    gitConfig('merge.default', 'evil')
    repo.checkout('side', true)
    repo.commit({ 'b.txt': 'one\ntwo\nTHREE\n' }, 'side')
    repo.checkout('main')
    repo.commit({ 'b.txt': 'ONE\ntwo\nthree\n' }, 'main')
    await plainGit(ws, ['merge', '--no-edit', 'side'])
    expect(ran()).toEqual(['merge-driver'])
    clearMarkers()
    sh(ws, ['merge', '--abort'])

    await git(ws, ['merge', '--quiet', '--no-edit', 'side'])
    expect(readFileSync(path.join(ws, 'b.txt'), 'utf8')).toBe('ONE\ntwo\nTHREE\n')
    expect(ran()).toEqual([])
  })

  it('core.pager and pager.<cmd> are not run', async () => {
    gitConfig('core.pager', plant('pager'))
    gitConfig('pager.log', plant('pager-log'))
    gitConfig('pager.diff', plant('pager-diff'))
    await git(ws, ['log', '-1'])
    await git(ws, ['diff', 'HEAD'])
    await git(ws, ['-p', 'log', '-1'], { allowFailure: true })
    expect(ran()).toEqual([])
  })

  it('remote.<r>.uploadpack and receivepack are not run on ls-remote, fetch or push', async () => {
    gitConfig('remote.origin.uploadpack', `${plant('uploadpack')}; git-upload-pack`)
    gitConfig('remote.origin.receivepack', `${plant('receivepack')}; git-receive-pack`)
    await plainGit(ws, ['ls-remote', 'origin'])
    expect(ran()).toEqual(['uploadpack'])
    clearMarkers()

    expect((await git(ws, ['ls-remote', 'origin'])).stdout).toContain('refs/heads/main')
    await git(ws, ['fetch', '--quiet', 'origin'])
    await git(ws, ['push', '--quiet', 'origin', 'HEAD:refs/heads/copy'])
    expect(await remoteBranchSha(ws, 'copy')).toBe(repo.head())
    expect(ran()).toEqual([])
  })

  it('remote helpers (remote.<r>.vcs, x:: and unknown schemes, ext::) are refused', async () => {
    gitConfig('alias.remote-evil', `!${plant('remote-helper')}`)
    gitConfig('remote.evil1.vcs', 'evil')
    gitConfig('remote.evil1.url', 'anything')
    gitConfig('remote.evil2.url', 'evil::anything')
    gitConfig('remote.evil3.url', 'evil://host/repo')
    gitConfig('remote.evil4.url', `ext::sh -c ${plant('ext')}`)
    await plainGit(ws, ['ls-remote', 'evil1'])
    expect(ran()).toEqual(['remote-helper'])
    clearMarkers()

    for (const remote of ['evil1', 'evil2', 'evil3', 'evil4']) {
      const result = await git(ws, ['ls-remote', remote], { allowFailure: true })
      expect(result.exitCode).not.toBe(0)
      expect(result.stderr).toMatch(/not allowed/)
    }
    expect(ran()).toEqual([])
  })

  it('credential helpers and core.askPass are not run when a server asks for credentials', async () => {
    const server = await listen((_req, res) => {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' }).end()
    })
    try {
      const url = `${server.url}/repo.git`
      gitConfig(`credential.${server.url}.helper`, `!${plant('url-helper')}`)
      gitConfig('credential.helper', `!${plant('helper', 'echo username=u; echo password=p')}`)
      gitConfig('core.askPass', plant('askpass', 'echo secret'))
      await plainGit(ws, ['ls-remote', url])
      expect(ran()).toEqual(['helper', 'url-helper'])
      clearMarkers()

      const result = await git(ws, ['ls-remote', url], { allowFailure: true })
      expect(result.exitCode).not.toBe(0)
      expect(result.stderr).toContain('terminal prompts disabled')
      expect(ran()).toEqual([])
    } finally {
      await server.close()
    }
  })

  it('sees a driver planted after its scan was cached, also in an included file', async () => {
    writeFileSync(path.join(ws, '.gitattributes'), '*.txt filter=late\n')
    const included = path.join(root, 'included.config')
    writeFileSync(included, '[core]\n\tautocrlf = false\n')
    gitConfig('include.path', included)
    await sleep(150) // older than a clock tick: the scan below is cached
    await git(ws, ['status'])
    await git(ws, ['status'])

    gitConfig('filter.late.clean', plant('late-clean', 'exec cat'))
    writeFileSync(path.join(ws, 'a.txt'), 'one\n')
    await git(ws, ['add', 'a.txt'])
    expect(ran()).toEqual([])

    await sleep(150)
    await git(ws, ['status'])
    writeFileSync(included, `[filter "late2"]\n\tclean = ${plant('late2-clean', 'exec cat')}\n`)
    writeFileSync(path.join(ws, '.gitattributes'), '*.txt filter=late2\n')
    writeFileSync(path.join(ws, 'a.txt'), 'two\n')
    await git(ws, ['add', 'a.txt'])
    expect(ran()).toEqual([])
    writeFileSync(path.join(ws, 'a.txt'), 'three\n')
    await plainGit(ws, ['add', 'a.txt'])
    expect(ran()).toEqual(['late2-clean'])
  })
})

describe("Tandem's git environment", () => {
  it('holds no token, no INPUT_*, no ACTIONS_*, and pins its own global config', async () => {
    Object.assign(process.env, {
      'INPUT_GITHUB-TOKEN': 'ghs_input',
      INPUT_FOO: 'foo',
      GITHUB_TOKEN: 'ghs_env',
      ACTIONS_RUNTIME_TOKEN: 'runtime',
      ANTHROPIC_API_KEY: 'sk-ant',
      GIT_SSH_COMMAND: 'planted',
      HTTPS_PROXY: 'http://proxy.example:3128',
      no_proxy: '127.0.0.1',
      LC_ALL: 'C'
    })
    // `!env` runs through the shell with exactly the environment git has.
    const { stdout } = await git(ws, ['-c', 'alias.dumpenv=!env', 'dumpenv'])
    const env = new Map(
      stdout
        .split('\n')
        .filter(line => line.includes('='))
        .map(line => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
    )
    for (const name of env.keys()) {
      expect(name).not.toMatch(/^(INPUT_|ACTIONS_|GITHUB_|ANTHROPIC_|RUNNER_)/)
    }
    expect(stdout).not.toMatch(/ghs_|runtime|sk-ant|planted/)
    expect(env.get('HTTPS_PROXY')).toBe('http://proxy.example:3128')
    expect(env.get('no_proxy')).toBe('127.0.0.1')
    expect(env.get('LC_ALL')).toBe('C')
    // git puts its exec-path in front for the programs it runs.
    expect(env.get('PATH')).toContain(process.env.PATH)
    expect(env.get('GIT_CONFIG_NOSYSTEM')).toBe('1')
    expect(env.get('GIT_TERMINAL_PROMPT')).toBe('0')
    expect(env.get('GIT_PAGER')).toBe('cat')
    expect(env.has('GIT_ASKPASS')).toBe(false)
    expect(env.has('SSH_ASKPASS')).toBe(false)

    const global = env.get('GIT_CONFIG_GLOBAL')!
    expect(statSync(global).mode & 0o777).toBe(0o600)
    const listed = (await git(ws, ['config', '--global', '--list'])).stdout
    expect(listed).toContain('safe.directory=*')
    expect(listed).toContain('core.hookspath=/dev/null')
    expect(listed).toContain('core.fsmonitor=false')
    expect(listed).toContain('protocol.ext.allow=never')
    expect(listed).toContain('protocol.file.allow=user')
    expect(listed).toContain('credential.helper=')
  })

  it('rewrites its global config when something edited it', async () => {
    const { stdout } = await git(ws, ['-c', 'alias.dumpenv=!env', 'dumpenv'])
    const global = /^GIT_CONFIG_GLOBAL=(.*)$/m.exec(stdout)![1]!
    writeFileSync(global, `[core]\n\tfsmonitor = ${plant('fsmonitor')}\n`)
    writeFileSync(path.join(ws, 'a.txt'), 'changed\n')
    await git(ws, ['status'])
    expect(ran()).toEqual([])
    expect((await git(ws, ['config', '--global', '--list'])).stdout).toContain('safe.directory=*')
  })

  it('takes extra variables for one command, but none it pins', async () => {
    const { stdout } = await git(ws, ['-c', 'alias.dumpenv=!env', 'dumpenv'], {
      env: { GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z' }
    })
    expect(stdout).toContain('GIT_AUTHOR_DATE=2024-01-01T00:00:00Z')
    await expect(git(ws, ['status'], { env: { GIT_CONFIG_GLOBAL: '/dev/null' } })).rejects.toThrow(
      'may not set GIT_CONFIG_GLOBAL'
    )
    await expect(git(ws, ['status'], { env: { GIT_CONFIG_COUNT: '1' } })).rejects.toThrow(
      'may not set'
    )
    const blob = createHash('sha1').update('blob 2\0x\n').digest('hex')
    expect((await git(ws, ['hash-object', '--stdin'], { input: 'x\n' })).stdout.trim()).toBe(blob)
  })

  it('runs in a checkout owned by another user (safe.directory)', async () => {
    if (process.getuid?.() !== 0) return // only root can hand a directory to another user
    const head = repo.head()
    execFileSync('chown', ['-R', '65534:65534', ws])
    expect((await plainGit(ws, ['rev-parse', 'HEAD'])).stderr).toContain('dubious ownership')
    expect((await git(ws, ['rev-parse', 'HEAD'])).stdout.trim()).toBe(head)
    expect((await git(ws, ['status', '--porcelain'])).exitCode).toBe(0)
  })
})

describe('normal operations still work', () => {
  it('commit, push to a bare remote, worktree add and remove, diff', async () => {
    writeFileSync(path.join(ws, 'a.txt'), 'committed by tandem\n')
    const sha = await commitAll(ws, { message: 'tandem commit' })
    expect(sha).toBe(sh(ws, ['rev-parse', 'HEAD']))
    await pushBranch(ws, 'tandem/branch')
    expect(await remoteBranchSha(ws, 'tandem/branch')).toBe(sha)
    const first = sh(ws, ['rev-list', '--max-parents=0', 'HEAD'])
    const wt = await checkoutAt(ws, first, path.join(root, 'wts'))
    expect(readFileSync(path.join(wt.dir, 'a.txt'), 'utf8')).toBe('alpha\n')
    await wt.release()
    expect(sh(ws, ['worktree', 'list'])).not.toContain(wt.dir)
    expect(await diffBetween(ws, first, sha!)).toBe(repo.diff(first, sha!))
  })

  it("sends the auth header kept in .git/config and in actions/checkout v6's included file", async () => {
    const seen: Array<string | undefined> = []
    const server = await listen((req, res) => {
      seen.push(req.headers.authorization)
      res.writeHead(404).end()
    })
    try {
      gitConfig(`http.${server.url}/.extraheader`, 'AUTHORIZATION: basic djQ=')
      await git(ws, ['ls-remote', `${server.url}/v4.git`], { allowFailure: true })
      sh(ws, ['config', '--local', '--unset-all', `http.${server.url}/.extraheader`])

      const credentials = path.join(root, 'runner-temp', 'git-credentials-1234.config')
      mkdirSync(path.dirname(credentials))
      writeFileSync(
        credentials,
        `[http "${server.url}/"]\n\textraheader = AUTHORIZATION: basic djY=\n`
      )
      gitConfig(`includeIf.gitdir:${path.join(ws, '.git')}.path`, credentials)
      await git(ws, ['ls-remote', `${server.url}/v6.git`], { allowFailure: true })
      expect(seen).toEqual(['basic djQ=', 'basic djY='])
    } finally {
      await server.close()
    }
  })
})

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

async function listen(
  handler: http.RequestListener
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
