import { afterAll, describe, expect, it } from '@jest/globals'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fallbackSandbox, prepareSandbox, type Sandbox } from '../../src/agent/sandbox.js'

// These tests create real users: they need root (CI runs them as root, and skips none of them).
// Without root they only check that prepareSandbox picks what the machine allows.
const isRoot = process.platform === 'linux' && process.getuid?.() === 0
const hasSudo = !isRoot && spawnSync('sudo', ['-n', 'true']).status === 0

const AGENT_PATH = { PATH: '/usr/bin:/bin' }
const sandboxes: Sandbox[] = []
const scratchDirs: string[] = []
const strays: ChildProcess[] = []

function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-sandbox-test-'))
  scratchDirs.push(dir)
  return dir
}

async function sandbox(
  options: { parentDir?: string; env?: NodeJS.ProcessEnv } = {}
): Promise<Sandbox> {
  const made = await prepareSandbox({
    parentDir: options.parentDir ?? scratch(),
    label: 'test',
    env: options.env
  })
  sandboxes.push(made)
  return made
}

afterAll(async () => {
  for (const child of strays) child.kill('SIGKILL')
  for (const made of sandboxes) await made.dispose().catch(() => undefined)
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true })
})

interface Ran {
  code: number | null
  pid: number
  stdout: string
  stderr: string
}

/** Runs a shell script as the agent and waits for the shell to exit (not for what it left behind). */
function runAs(
  box: Sandbox,
  script: string,
  options: { cwd?: string; env?: Record<string, string> } = {}
): Promise<Ran> {
  const plan = box.command('/bin/sh', ['-c', script], options.env ?? AGENT_PATH)
  const child = spawn(plan.file, plan.args, {
    cwd: options.cwd ?? box.home,
    env: plan.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...plan.options
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', code => resolve({ code, pid: child.pid!, stdout, stderr }))
  })
}

/** Live (not zombie) processes whose real uid is `uid`, read from /proc independently of the module. */
function liveProcessesOf(uid: number): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let status: string
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8')
    } catch {
      continue
    }
    const real = /^Uid:\s+(\d+)/m.exec(status)?.[1]
    const state = /^State:\s+(\S)/m.exec(status)?.[1]
    if (real === String(uid) && state !== 'Z' && state !== 'X') pids.push(Number(entry))
  }
  return pids
}

function alive(pid: number): boolean {
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return state !== undefined && state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

function inPasswd(name: string): boolean {
  return readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .some(line => line.startsWith(`${name}:`))
}

function inGroup(name: string): boolean {
  return readFileSync('/etc/group', 'utf8')
    .split('\n')
    .some(line => line.startsWith(`${name}:`))
}

function mode(p: string): number {
  return lstatSync(p).mode & 0o7777
}

function read(p: string): string {
  return readFileSync(p, 'utf8').trim()
}

/** Every path below `root`, lstat-ed (symlinks not followed), `.git` included. */
function everything(root: string): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name)
      out.push(p)
      if (lstatSync(p).isDirectory()) walk(p)
    }
  }
  walk(root)
  return out
}

// A uid that owns nothing else on the machine: stands for "a file somebody else owns".
const STRANGER = 54321

if (!isRoot) {
  describe('prepareSandbox without root', () => {
    it(`picks ${hasSudo ? "kind 'user' through sudo" : 'the fallback, saying why'}`, async () => {
      const box = await sandbox()
      if (hasSudo) {
        expect(box.kind).toBe('user')
        expect(box.warning).toBeUndefined()
      } else {
        expect(box.kind).toBe('none')
        expect(box.warning).toMatch(/\/proc\/<pid>\/environ/)
      }
      await box.dispose()
      expect(existsSync(box.home)).toBe(false)
    })
  })
} else {
  describe('prepareSandbox as root', () => {
    it('creates a user of its own with a private home', async () => {
      const box = await sandbox()
      expect(box.kind).toBe('user')
      expect(box.warning).toBeUndefined()
      const user = box.user!
      expect(user.name).toMatch(/^tandem-[0-9a-f]{8}$/)
      expect(user.uid).toBeGreaterThan(0)
      expect(user.gid).toBeGreaterThan(0)
      expect(inPasswd(user.name)).toBe(true)
      for (const dir of [box.home, path.join(box.home, 'tmp'), path.join(box.home, '.claude')]) {
        const st = statSync(dir)
        expect(st.isDirectory()).toBe(true)
        expect(st.mode & 0o777).toBe(0o700)
        expect([st.uid, st.gid]).toEqual([user.uid, user.gid])
      }
      const other = await sandbox()
      expect(other.user!.name).not.toBe(user.name)
      expect(other.user!.uid).not.toBe(user.uid)
    })

    it('the agent cannot move its home away (and plant a symlink in its place)', async () => {
      const box = await sandbox({ parentDir: tmpdir() })
      const moved = path.join(tmpdir(), `${box.user!.name}-moved`)
      const ran = await runAs(box, `mv "$HOME" ${moved}; echo $?`, { cwd: '/' })
      expect(ran.stdout.trim()).not.toBe('0')
      expect(existsSync(moved)).toBe(false)
      const st = lstatSync(box.home)
      expect([st.isDirectory(), st.uid]).toEqual([true, box.user!.uid])
      // Its parent is the action's and lets the agent only pass.
      const parent = lstatSync(path.dirname(box.home))
      expect([parent.uid, parent.mode & 0o7777]).toEqual([0, 0o711])
      await box.dispose()
      expect(existsSync(path.dirname(box.home))).toBe(false)
    })

    it("runs agent code as the agent user, which cannot read the action's /proc/<pid>/environ", async () => {
      const secret = `secret-${Math.random().toString(36).slice(2)}`
      process.env.SANDBOX_TEST_SECRET = secret
      try {
        // The test's own environ block was fixed at exec: a process started now carries the secret.
        const holder = spawn('sleep', ['60'], { env: { ...process.env }, stdio: 'ignore' })
        strays.push(holder)
        await waitFor(() => readFileSync(`/proc/${holder.pid}/environ`).includes(secret))

        const box = await sandbox()
        const me = process.pid
        const targets = [
          `/proc/${me}/environ`,
          ...readdirSync(`/proc/${me}/task`).map(tid => `/proc/${me}/task/${tid}/environ`),
          `/proc/${holder.pid}/environ`,
          `/proc/${holder.pid}/task/${holder.pid}/environ`,
          // A symlink to /proc, as a pull request could commit one.
          `"$HOME/proc/${holder.pid}/environ"`,
          `"$HOME/proc/${holder.pid}/task/${holder.pid}/environ"`
        ]
        const script = [
          'id -u > "$HOME/uid"',
          'id -G > "$HOME/groups"',
          'grep -E "^(Uid|Gid|CapEff):" /proc/self/status > "$HOME/status"',
          'env > "$HOME/env"',
          'ln -s /proc "$HOME/proc"',
          ...targets.map(
            (t, i) => `cat ${t} > "$HOME/read.${i}" 2>/dev/null; echo $? > "$HOME/rc.${i}"`
          )
        ].join('\n')
        const ran = await runAs(box, script)
        expect(ran.code).toBe(0)

        const { uid, gid } = box.user!
        expect(read(path.join(box.home, 'uid'))).toBe(String(uid))
        expect(read(path.join(box.home, 'groups'))).toBe(String(gid))
        const status = read(path.join(box.home, 'status'))
        expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'))
        expect(status).toMatch(new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}$`, 'm'))
        expect(status).toMatch(/^CapEff:\s+0+$/m)
        expect(read(path.join(box.home, 'env'))).not.toContain(secret)
        targets.forEach((_, i) => {
          expect(read(path.join(box.home, `rc.${i}`))).not.toBe('0')
          expect(statSync(path.join(box.home, `read.${i}`)).size).toBe(0)
        })
        // The control: the same file is readable by the test's own uid, secret and all.
        expect(readFileSync(`/proc/${holder.pid}/environ`, 'utf8')).toContain(secret)
        holder.kill('SIGKILL')
      } finally {
        delete process.env.SANDBOX_TEST_SECRET
      }
    })

    it('sets HOME, USER, TMPDIR and the CLI directories to the sandbox and keeps the rest', async () => {
      const box = await sandbox()
      const plan = box.command('/bin/sh', ['-c', 'true'], {
        ...AGENT_PATH,
        FOO: 'bar',
        HOME: '/root'
      })
      expect(plan.env).toMatchObject({
        FOO: 'bar',
        PATH: AGENT_PATH.PATH,
        HOME: box.home,
        USER: box.user!.name,
        LOGNAME: box.user!.name,
        TMPDIR: path.join(box.home, 'tmp'),
        CLAUDE_CONFIG_DIR: path.join(box.home, '.claude'),
        CLAUDE_CODE_TMPDIR: path.join(box.home, 'tmp')
      })
      expect(plan.options).toEqual({ uid: box.user!.uid, gid: box.user!.gid })
      // A bare name resolves on the agent's PATH.
      expect(box.command('sh', [], AGENT_PATH).file).toMatch(/^\/(usr\/)?bin\/sh$/)
    })

    it('refuses a binary the agent user cannot reach, naming the directory in the way', async () => {
      const box = await sandbox()
      const closed = scratch() // mkdtemp: 0700, root's
      const bin = path.join(closed, 'bin')
      mkdirSync(bin)
      writeFileSync(path.join(bin, 'claude'), '#!/bin/sh\n')
      chmodSync(path.join(bin, 'claude'), 0o755)
      expect(() => box.command(path.join(bin, 'claude'), [], AGENT_PATH)).toThrow(
        `${closed} (mode 0700, owner uid 0) gives it no search (x) permission`
      )
      expect(() => box.command('claude', [], { PATH: `${bin}:/usr/bin:/bin` })).toThrow(closed)

      // Once the directory is granted, it runs.
      const restore = await box.grant(bin, 'read')
      const plan = box.command(path.join(bin, 'claude'), [], AGENT_PATH)
      expect(plan.file).toBe(path.join(bin, 'claude'))
      await restore()
    })

    it('ends every process the agent leaves behind (&, setsid, double fork, nohup, TERM ignored) within 2 s', async () => {
      const box = await sandbox()
      const { uid } = box.user!
      const script = [
        'sleep 300 &',
        'setsid -f sleep 300',
        '(sleep 300 &)',
        '(sh -c "sleep 300 &" &)',
        'nohup sleep 300 >/dev/null 2>&1 &',
        `sh -c 'trap "" TERM HUP INT; while :; do sleep 1; done' &`,
        'exit 0'
      ].join('\n')
      const ran = await runAs(box, script)
      expect(ran.code).toBe(0)
      await waitFor(() => liveProcessesOf(uid).length >= 6)

      const started = Date.now()
      await box.killAll(ran.pid)
      expect(Date.now() - started).toBeLessThan(2000)
      expect(liveProcessesOf(uid)).toEqual([])
    })

    it('kill -9 -1 sent once by the agent uid ends even a fork chain and a fork loop (atomic with fork)', async () => {
      const box = await sandbox()
      const { uid } = box.user!
      // chain.sh starts a copy of itself and exits: its pid keeps changing, so a kill by pid list
      // always misses the newest one.
      const script = [
        `printf '#!/bin/sh\\nsh "$0" &\\n' > "$HOME/chain.sh"`,
        'sh "$HOME/chain.sh" &',
        'sh "$HOME/chain.sh" &',
        `sh -c 'while :; do sleep 300 & sleep 0.01; done' &`,
        'exit 0'
      ].join('\n')
      try {
        await runAs(box, script)
        await new Promise(resolve => setTimeout(resolve, 300))
        expect(liveProcessesOf(uid).length).toBeGreaterThan(5)

        // The very command killAll sends, once, and nothing else.
        const kill = box.command('kill', ['-9', '-1'], AGENT_PATH)
        const killer = spawn(kill.file, kill.args, {
          env: kill.env,
          stdio: 'ignore',
          ...kill.options
        })
        await new Promise(resolve => killer.once('exit', resolve))
        await waitFor(() => liveProcessesOf(uid).length === 0, 1000)
      } finally {
        await box.killAll()
      }
    })

    it('grant(write): the agent edits the tree but not .git, symlinks and hard links are not followed; restore gives all back', async () => {
      const box = await sandbox()
      const { uid, gid } = box.user!
      const base = scratch()
      const ws = path.join(base, 'repo')
      const outside = path.join(base, 'outside')
      mkdirSync(path.join(ws, 'sub'), { recursive: true })
      mkdirSync(path.join(ws, '.git', 'objects'), { recursive: true })
      mkdirSync(outside)
      writeFileSync(path.join(ws, 'a.txt'), 'a\n')
      writeFileSync(path.join(ws, 'sub', 'b.txt'), 'b\n')
      writeFileSync(path.join(ws, '.git', 'config'), 'orig\n')
      writeFileSync(path.join(ws, '.git', 'HEAD'), 'ref: refs/heads/main\n')
      // A file somebody else owns, reached through a symlink committed in the tree.
      const target = path.join(outside, 'target.txt')
      writeFileSync(target, 'target\n')
      chownSync(target, STRANGER, STRANGER)
      chmodSync(target, 0o644)
      symlinkSync(target, path.join(ws, 'link'))
      // And one to a file the test's own uid owns.
      const mine = path.join(outside, 'mine.txt')
      writeFileSync(mine, 'mine\n', { mode: 0o644 })
      symlinkSync(mine, path.join(ws, 'link-mine'))
      // A hard link already in the tree (an earlier agent could have made it): not handed over.
      const pre = path.join(outside, 'pre.txt')
      writeFileSync(pre, 'pre\n')
      chownSync(pre, STRANGER, STRANGER)
      linkSync(pre, path.join(ws, 'hl-pre'))
      // World-writable, so the agent may hard-link it (fs.protected_hardlinks allows that).
      const victim = path.join(outside, 'victim.txt')
      writeFileSync(victim, 'victim\n')
      chownSync(victim, STRANGER, STRANGER)
      chmodSync(victim, 0o666)
      const rootMode = mode(ws)

      const restore = await box.grant(ws, 'write')
      expect(statSync(path.join(ws, 'a.txt')).uid).toBe(uid)
      expect(statSync(path.join(ws, '.git', 'config')).uid).toBe(0)
      expect(statSync(pre).uid).toBe(STRANGER)
      expect(statSync(mine).uid).toBe(0)
      expect(statSync(target).uid).toBe(STRANGER)
      expect(lstatSync(path.join(ws, 'link')).uid).toBe(uid)

      const script = [
        'r() { n=$1; shift; "$@" 2>/dev/null; echo $? > "$HOME/rc.$n"; }',
        `r edit sh -c 'echo more >> a.txt'`,
        `r create sh -c 'echo new > new.txt'`,
        `r setuid chmod 6755 new.txt`,
        `r deep sh -c 'mkdir -p newdir/deep && echo x > newdir/deep/f && chmod 000 newdir/deep'`,
        `r openup chmod 0777 sub`,
        `r gitwrite sh -c 'echo pwn > .git/config'`,
        `r gitplant sh -c 'echo pwn > .git/hooks'`,
        `r gitmove mv .git moved`,
        `r gitremove rm -rf .git`,
        `r throughlink sh -c 'echo pwn > link'`,
        `r throughmine sh -c 'echo pwn > link-mine'`,
        `r hardlink ln ${victim} hl-new`
      ].join('\n')
      const ran = await runAs(box, script, { cwd: ws })
      expect(ran.code).toBe(0)
      const rc = (name: string): string => read(path.join(box.home, `rc.${name}`))
      for (const ok of ['edit', 'create', 'setuid', 'deep', 'openup'])
        expect([ok, rc(ok)]).toEqual([ok, '0'])
      for (const no of [
        'gitwrite',
        'gitplant',
        'gitmove',
        'gitremove',
        'throughlink',
        'throughmine'
      ]) {
        expect([no, rc(no)]).not.toEqual([no, '0'])
      }
      expect(read(path.join(ws, 'a.txt'))).toBe('a\nmore')
      expect(read(path.join(ws, 'new.txt'))).toBe('new')
      expect(mode(path.join(ws, 'new.txt')) & 0o6000).toBe(0o6000)
      expect(read(path.join(ws, '.git', 'config'))).toBe('orig')
      expect(read(path.join(ws, '.git', 'HEAD'))).toBe('ref: refs/heads/main')
      expect(existsSync(path.join(ws, '.git', 'hooks'))).toBe(false)
      expect(existsSync(path.join(ws, 'moved'))).toBe(false)
      expect(read(target)).toBe('target')
      expect(read(mine)).toBe('mine')

      await restore()
      const foreign = new Set([path.join(ws, 'hl-pre'), path.join(ws, 'hl-new')])
      for (const p of everything(ws)) {
        const st = lstatSync(p)
        expect([p, st.uid, st.gid]).toEqual(foreign.has(p) ? [p, STRANGER, STRANGER] : [p, 0, 0])
      }
      expect(everything(ws)).toContain(path.join(ws, 'newdir', 'deep', 'f'))
      expect(mode(ws)).toBe(rootMode)
      expect(mode(path.join(ws, 'new.txt')) & 0o6000).toBe(0)
      expect(mode(path.join(ws, 'sub')) & 0o002).toBe(0)
      expect(mode(path.join(ws, 'newdir', 'deep')) & 0o700).toBe(0o700)
      for (const file of [target, pre, victim]) expect(statSync(file).uid).toBe(STRANGER)
      expect([statSync(mine).uid, mode(mine)]).toEqual([0, 0o644])
      expect(mode(victim)).toBe(0o666)
      expect(mode(target)).toBe(0o644)
      // The agent keeps nothing: it can no longer write there.
      const after = await runAs(box, `echo late >> ${path.join(ws, 'a.txt')}`)
      expect(after.code).not.toBe(0)
      expect([uid, gid]).not.toContain(statSync(path.join(ws, 'a.txt')).uid)
      // Idempotent.
      await restore()
    })

    it('grant(read): the agent reads the tree (a private top directory included); restore puts the modes back', async () => {
      const box = await sandbox()
      const ws = path.join(scratch(), 'tree')
      mkdirSync(path.join(ws, 'sub'), { recursive: true })
      chmodSync(ws, 0o700)
      chmodSync(path.join(ws, 'sub'), 0o744)
      writeFileSync(path.join(ws, 'sub', 'notes.txt'), 'hello\n', { mode: 0o644 })
      const restore = await box.grant(ws, 'read')
      const ran = await runAs(
        box,
        `cat ${path.join(ws, 'sub', 'notes.txt')}; touch ${path.join(ws, 'x')}`
      )
      expect(ran.stdout).toBe('hello\n')
      expect(existsSync(path.join(ws, 'x'))).toBe(false)
      await restore()
      expect(mode(ws)).toBe(0o700)
      expect(mode(path.join(ws, 'sub'))).toBe(0o744)
      expect(mode(path.join(ws, 'sub', 'notes.txt'))).toBe(0o644)
    })

    for (const access of ['read', 'write'] as const) {
      it(`grant(${access}) never hands the agent a file or directory the runner made private (gha-creds-*.json)`, async () => {
        const box = await sandbox()
        const ws = path.join(scratch(), 'ws')
        mkdirSync(path.join(ws, 'private'), { recursive: true })
        chmodSync(path.join(ws, 'private'), 0o700)
        writeFileSync(path.join(ws, 'private', 'inner.txt'), 'inner\n', { mode: 0o644 })
        writeFileSync(path.join(ws, 'a.txt'), 'a\n', { mode: 0o644 })
        const creds = path.join(ws, 'gha-creds-0123456789abcdef.json')
        writeFileSync(creds, '{"private_key": "-----BEGIN PRIVATE KEY-----"}\n', { mode: 0o600 })
        chmodSync(creds, 0o600)
        const restore = await box.grant(ws, access)
        expect(lstatSync(creds).uid).toBe(0)
        expect(mode(creds)).toBe(0o600)
        expect(lstatSync(path.join(ws, 'private')).uid).toBe(0)
        expect(lstatSync(path.join(ws, 'private', 'inner.txt')).uid).toBe(0)
        const ran = await runAs(
          box,
          [
            `cat ${creds}`,
            `cat ${path.join(ws, 'private', 'inner.txt')}`,
            `chmod 644 ${creds}`,
            `cat ${path.join(ws, 'a.txt')}`
          ].join('; ')
        )
        expect(ran.stdout).toBe('a\n')
        await restore()
        for (const [p, m] of [
          [creds, 0o600],
          [path.join(ws, 'private'), 0o700],
          [path.join(ws, 'private', 'inner.txt'), 0o644]
        ] as const) {
          const st = lstatSync(p)
          expect([p, st.uid, st.gid, st.mode & 0o7777]).toEqual([p, 0, 0, m])
        }
        expect(read(creds)).toContain('PRIVATE KEY')
      })
    }

    it('grant refuses a path through a symlink the agent planted, or one it owns or could replace', async () => {
      const box = await sandbox()
      const { uid } = box.user!
      const base = scratch()
      chmodSync(base, 0o755)
      // A directory on the action's PATH, as /usr/local/bin or a tool cache.
      const bin = path.join(base, 'bin')
      mkdirSync(path.join(bin, 'sub'), { recursive: true })
      writeFileSync(path.join(bin, 'git'), '#!/bin/sh\n', { mode: 0o755 })
      const binBefore = everything(bin).map(p => [p, lstatSync(p).uid, mode(p)])
      const projects = path.join(box.home, '.claude', 'projects')
      const ran = await runAs(box, `ln -s ${bin} ${projects} && mkdir "$HOME/.claude/own"`)
      expect(ran.code).toBe(0)
      for (const [dir, access] of [
        [projects, 'write'],
        [path.join(projects, 'sub'), 'write'],
        [projects, 'read'],
        [path.join(box.home, '.claude', 'own'), 'write']
      ] as const) {
        await expect(box.grant(dir, access)).rejects.toThrow(`Refusing to grant ${dir}`)
      }
      await expect(box.grant(path.join(box.home, '.claude', 'own'), 'write')).rejects.toThrow(
        'owned by the agent user'
      )
      expect(everything(bin).map(p => [p, lstatSync(p).uid, mode(p)])).toEqual(binBefore)
      expect([lstatSync(bin).uid, mode(bin)]).toEqual([0, 0o755])

      const ws = path.join(base, 'ws')
      mkdirSync(ws)
      writeFileSync(path.join(ws, 'f'), 'f\n')
      // A symlink somebody else made (neither root nor the action's user).
      const strangers = path.join(base, 'strangers-link')
      symlinkSync(ws, strangers)
      lchownSync(strangers, STRANGER, STRANGER)
      await expect(box.grant(strangers, 'write')).rejects.toThrow(
        `${strangers} is a symlink owned by uid ${STRANGER}`
      )
      await expect(box.grant(path.join(strangers, '.'), 'read')).rejects.toThrow(strangers)
      // A directory the agent could rename away and replace (writable by it, not sticky).
      const open = path.join(base, 'open')
      mkdirSync(path.join(open, 'ws'), { recursive: true })
      chmodSync(open, 0o777)
      await expect(box.grant(path.join(open, 'ws'), 'write')).rejects.toThrow(`${open}`)
      expect(statSync(path.join(ws, 'f')).uid).toBe(0)

      // The action's (here root's) own symlink, like /tmp -> /private/tmp on macOS, is followed.
      const mine = path.join(base, 'link')
      symlinkSync(ws, mine)
      const restore = await box.grant(mine, 'write')
      expect(statSync(path.join(ws, 'f')).uid).toBe(uid)
      await restore()
      expect(statSync(path.join(ws, 'f')).uid).toBe(0)
    })

    it('giveToAgent hands single entries of its home to the agent, never through a symlink', async () => {
      const box = await sandbox()
      const { uid, gid } = box.user!
      const base = scratch()
      chmodSync(base, 0o755)
      const bin = path.join(base, 'bin')
      mkdirSync(bin)
      writeFileSync(path.join(bin, 'git'), '#!/bin/sh\n', { mode: 0o755 })
      // What Tandem copies in (as the action's user) for --resume.
      const dir = path.join(box.home, '.claude', 'projects', '-work-repo')
      mkdirSync(dir, { recursive: true })
      const file = path.join(dir, '0b7a4c1e-0000-4000-8000-000000000000.jsonl')
      writeFileSync(file, '{}\n', { mode: 0o600 })
      await box.giveToAgent([path.join(box.home, '.claude', 'projects'), dir, file])
      for (const p of [path.join(box.home, '.claude', 'projects'), dir, file])
        expect([p, lstatSync(p).uid, lstatSync(p).gid]).toEqual([p, uid, gid])
      expect(mode(file)).toBe(0o600)
      const ran = await runAs(
        box,
        `echo more >> ${file} && ln -s ${bin} "$HOME/.claude/evil" && ln -s ${bin}/git "$HOME/.claude/git"`
      )
      expect(ran.code).toBe(0)
      await expect(box.giveToAgent([path.join(box.home, '.claude', 'git')])).rejects.toThrow(
        path.join(box.home, '.claude', 'git')
      )
      await expect(
        box.giveToAgent([path.join(box.home, '.claude', 'evil', 'git')])
      ).rejects.toThrow(path.join(box.home, '.claude', 'evil'))
      await expect(box.giveToAgent([path.join(bin, 'git')])).rejects.toThrow('not inside')
      expect([lstatSync(bin).uid, lstatSync(path.join(bin, 'git')).uid]).toEqual([0, 0])
    })

    it('makes a workspace inside a 0700 directory usable; dispose closes it again and removes user and home', async () => {
      const parentDir = scratch() // 0700 as well: the home's ancestor needs opening too
      const box = await sandbox({ parentDir })
      const { name } = box.user!
      const outer = scratch()
      expect(mode(outer)).toBe(0o700)
      const ws = path.join(outer, 'ws')
      mkdirSync(ws)
      writeFileSync(path.join(ws, 'file.txt'), 'one\n')

      const denied = await runAs(box, `cat ${path.join(ws, 'file.txt')}`)
      expect(denied.code).not.toBe(0)
      const restore = await box.grant(ws, 'write')
      const ran = await runAs(box, 'echo two >> file.txt && cat file.txt', { cwd: ws })
      expect(ran.stdout).toBe('one\ntwo\n')
      await restore()
      expect(mode(outer)).toBe(0o701)

      await box.dispose()
      expect(mode(outer)).toBe(0o700)
      expect(mode(parentDir)).toBe(0o700)
      expect(inPasswd(name)).toBe(false)
      expect(inGroup(name)).toBe(false)
      expect(spawnSync('getent', ['passwd', name]).status).toBe(2)
      expect(existsSync(box.home)).toBe(false)
      // Idempotent; and its uid may be the next sandbox's now, so nothing acts on it any more.
      await box.dispose()
      const next = await sandbox()
      await runAs(next, 'sleep 300 &')
      await waitFor(() => liveProcessesOf(next.user!.uid).length === 1)
      await box.killAll()
      expect(liveProcessesOf(next.user!.uid)).toHaveLength(1)
      expect(() => box.command('/bin/true', [], AGENT_PATH)).toThrow('was disposed')
      await next.killAll()
    })

    it('keeps an ancestor open while another sandbox still needs it', async () => {
      const outer = scratch()
      const first = await sandbox()
      const second = await sandbox()
      for (const [i, box] of [first, second].entries()) {
        const ws = path.join(outer, `ws${i}`)
        mkdirSync(ws)
        writeFileSync(path.join(ws, 'f'), `${i}\n`)
        await box.grant(ws, 'write')
      }
      expect(mode(outer)).toBe(0o701)
      await first.dispose()
      expect(mode(outer)).toBe(0o701)
      const ran = await runAs(second, 'cat f', { cwd: path.join(outer, 'ws1') })
      expect(ran.stdout).toBe('1\n')
      await second.dispose()
      expect(mode(outer)).toBe(0o700)
      expect(statSync(path.join(outer, 'ws0', 'f')).uid).toBe(0)
      expect(statSync(path.join(outer, 'ws1', 'f')).uid).toBe(0)
    })

    it('an ancestor it opens shows the agent only the way through (~/.gitconfig, ~/.docker stay out of reach)', async () => {
      const base = scratch()
      chmodSync(base, 0o755)
      const home = path.join(base, 'runner') // /home/runner: 0750 on hosted images
      mkdirSync(home, { mode: 0o750 })
      chmodSync(home, 0o750)
      const gitconfig = path.join(home, '.gitconfig')
      writeFileSync(
        gitconfig,
        '[url "https://x-access-token:ghs_secret@github.com/"]\n\tinsteadOf = https://github.com/\n',
        { mode: 0o644 }
      )
      const docker = path.join(home, '.docker')
      mkdirSync(docker, { mode: 0o755 })
      chmodSync(docker, 0o755)
      const dockerConfig = path.join(docker, 'config.json')
      writeFileSync(dockerConfig, '{"auths":{"ghcr.io":{"auth":"c2VjcmV0"}}}\n', { mode: 0o644 })
      const world = path.join(home, '.bashrc')
      writeFileSync(world, '# rc\n')
      chmodSync(world, 0o666)
      // A toolchain on the action's PATH (~/.cargo/bin): verify-command still runs it.
      const cargoBin = path.join(home, '.cargo', 'bin')
      mkdirSync(cargoBin, { recursive: true })
      chmodSync(path.join(home, '.cargo'), 0o755)
      chmodSync(cargoBin, 0o755)
      writeFileSync(path.join(cargoBin, 'cargo'), '#!/bin/sh\necho cargo ran\n', { mode: 0o755 })
      const ws = path.join(home, 'work', 'repo')
      mkdirSync(ws, { recursive: true })
      chmodSync(path.join(home, 'work'), 0o755)
      chmodSync(ws, 0o755)
      writeFileSync(path.join(ws, 'README'), 'readme\n', { mode: 0o644 })
      const watched = [home, ...everything(home)]
      const modes = (): Array<[string, number, number]> =>
        watched.map(p => [p, lstatSync(p).uid, mode(p)])
      const before = modes()

      const box = await sandbox({ env: { PATH: `${cargoBin}:/usr/bin:/bin` } })
      const restore = await box.grant(ws, 'write')
      expect(mode(home)).toBe(0o751)
      const ran = await runAs(
        box,
        [
          'r() { n=$1; shift; "$@" > "$HOME/out.$n" 2>/dev/null; echo $? > "$HOME/rc.$n"; }',
          `r readme cat ${path.join(ws, 'README')}`,
          `r gitconfig cat ${gitconfig}`,
          `r docker cat ${dockerConfig}`,
          `r listdocker ls ${docker}`,
          `r bashrc sh -c 'echo pwn >> ${world}'`,
          `r cargo ${path.join(cargoBin, 'cargo')}`
        ].join('\n')
      )
      expect(ran.code).toBe(0)
      const rc = (n: string): string => read(path.join(box.home, `rc.${n}`))
      const out = (n: string): string => read(path.join(box.home, `out.${n}`))
      expect([rc('readme'), out('readme')]).toEqual(['0', 'readme'])
      expect([rc('cargo'), out('cargo')]).toEqual(['0', 'cargo ran'])
      for (const no of ['gitconfig', 'docker', 'listdocker', 'bashrc']) {
        expect([no, rc(no)]).not.toEqual([no, '0'])
        expect(out(no)).toBe('')
      }
      expect(read(world)).toBe('# rc')
      await restore()
      await box.dispose()
      expect(modes()).toEqual(before)
    })

    it('an entry an open ancestor concealed and a later sandbox conceals too stays hidden until the last one is gone', async () => {
      const outer = scratch() // 0700: opened for the grant below
      const runnerTemp = path.join(outer, '_temp')
      mkdirSync(runnerTemp)
      chmodSync(runnerTemp, 0o755)
      const ws = path.join(outer, 'ws')
      mkdirSync(ws)
      const first = await sandbox()
      await first.grant(ws, 'read')
      expect([mode(outer), mode(runnerTemp)]).toEqual([0o701, 0o750])
      const second = await sandbox({ env: { ...AGENT_PATH, RUNNER_TEMP: runnerTemp } })
      await first.dispose()
      expect([mode(outer), mode(runnerTemp)]).toEqual([0o700, 0o750])
      await second.dispose()
      expect([mode(outer), mode(runnerTemp)]).toEqual([0o700, 0o755])
    })

    it("killAll of one sandbox leaves another sandbox's processes running", async () => {
      const first = await sandbox()
      const second = await sandbox()
      await runAs(first, 'sleep 300 &')
      await runAs(second, 'sleep 300 &')
      await waitFor(() => liveProcessesOf(first.user!.uid).length === 1)
      await waitFor(() => liveProcessesOf(second.user!.uid).length === 1)
      const survivor = liveProcessesOf(second.user!.uid)[0]!
      await first.killAll()
      expect(liveProcessesOf(first.user!.uid)).toEqual([])
      expect(alive(survivor)).toBe(true)
      await second.killAll()
      expect(alive(survivor)).toBe(false)
    })

    it('removes programs the agent put in a world-writable directory on the action PATH', async () => {
      const base = scratch()
      chmodSync(base, 0o755)
      const shared = path.join(base, 'bin')
      mkdirSync(shared)
      chmodSync(shared, 0o1777)
      writeFileSync(path.join(shared, 'tool'), '#!/bin/sh\n', { mode: 0o755 })
      const box = await sandbox({ env: { PATH: `${shared}:/usr/bin:/bin` } })
      const ran = await runAs(
        box,
        `printf '#!/bin/sh\\necho pwned\\n' > ${shared}/git && chmod +x ${shared}/git`
      )
      expect(ran.code).toBe(0)
      expect(existsSync(path.join(shared, 'git'))).toBe(true)
      await box.killAll()
      expect(existsSync(path.join(shared, 'git'))).toBe(false)
      expect(existsSync(path.join(shared, 'tool'))).toBe(true)
    })

    it('hides RUNNER_TEMP (where actions/checkout v6 keeps the token) from the agent while a sandbox lives', async () => {
      const runnerTemp = scratch()
      chmodSync(runnerTemp, 0o755)
      const credentials = path.join(runnerTemp, 'git-credentials-0123.config')
      writeFileSync(credentials, 'extraheader = AUTHORIZATION: basic c2VjcmV0\n', { mode: 0o644 })
      const env = { ...AGENT_PATH, RUNNER_TEMP: runnerTemp }
      const first = await sandbox({ env })
      expect(mode(runnerTemp)).toBe(0o750)
      const listed = await runAs(first, `ls ${runnerTemp}; cat ${credentials}`)
      expect(listed.stdout).toBe('')
      expect(listed.code).not.toBe(0)

      // A home below RUNNER_TEMP needs it passable, but still not listable.
      const second = await sandbox({ parentDir: path.join(runnerTemp, 'sandboxes'), env })
      expect(mode(runnerTemp)).toBe(0o751)
      const inside = await runAs(second, `echo ok > "$HOME/f" && cat "$HOME/f"; ls ${runnerTemp}`)
      expect(inside.stdout).toBe('ok\n')
      expect(inside.code).not.toBe(0)

      await first.dispose()
      expect(mode(runnerTemp)).toBe(0o751)
      await second.dispose()
      expect(mode(runnerTemp)).toBe(0o755)
      expect(mode(credentials)).toBe(0o644)
    })

    it('hides RUNNER_TEMP also when another uid owns it (a container job: the runner user owns it, the job runs as root)', async () => {
      const runnerTemp = scratch()
      chmodSync(runnerTemp, 0o755)
      const script = path.join(runnerTemp, '5f0c7e2a-1b2c-4d5e-8f90-123456789abc.sh')
      writeFileSync(script, 'curl -H "Authorization: token ghs_secret" https://api.github.com\n', {
        mode: 0o755
      })
      chownSync(script, STRANGER, STRANGER)
      chownSync(runnerTemp, STRANGER, STRANGER)
      const box = await sandbox({ env: { ...AGENT_PATH, RUNNER_TEMP: runnerTemp } })
      expect(mode(runnerTemp)).toBe(0o750)
      const ran = await runAs(box, `ls ${runnerTemp}; cat ${script}`)
      expect(ran.stdout).toBe('')
      expect(ran.code).not.toBe(0)
      await box.dispose()
      expect([statSync(runnerTemp).uid, mode(runnerTemp)]).toEqual([STRANGER, 0o755])
      expect([statSync(script).uid, mode(script)]).toEqual([STRANGER, 0o755])
    })

    it('dispose gives back a tree still granted and removes what the agent left in /tmp', async () => {
      const box = await sandbox()
      const ws = path.join(scratch(), 'ws')
      mkdirSync(ws)
      await box.grant(ws, 'write')
      const left = path.join(tmpdir(), `${box.user!.name}-left`)
      const ran = await runAs(box, `echo x > new.txt && mkdir ${left} && echo y > ${left}/f`, {
        cwd: ws
      })
      expect(ran.code).toBe(0)
      await box.dispose()
      expect(statSync(path.join(ws, 'new.txt')).uid).toBe(0)
      expect(existsSync(left)).toBe(false)
    })

    it('cleans up after a run that was killed: its agent processes, user, home and opened ancestors', async () => {
      const parentDir = scratch()
      const outer = scratch()
      const ws = path.join(outer, 'ws')
      mkdirSync(path.join(ws, 'sub'), { recursive: true })
      writeFileSync(path.join(ws, 'sub', 'f'), 'f\n')
      chmodSync(ws, 0o750)
      const script = path.join(scratch(), 'crash.mts')
      writeFileSync(
        script,
        [
          `import { spawn } from 'node:child_process'`,
          `import { prepareSandbox } from ${JSON.stringify(path.resolve('src/agent/sandbox.ts'))}`,
          `const box = await prepareSandbox({ parentDir: ${JSON.stringify(parentDir)} })`,
          `await box.grant(${JSON.stringify(ws)}, 'write')`,
          `const plan = box.command('/bin/sh', ['-c', 'echo x > new.txt; mkdir -p sub/new; echo y > /tmp/$USER-left; setsid -f sleep 300'], { PATH: '/usr/bin:/bin' })`,
          `const child = spawn(plan.file, plan.args, { cwd: ${JSON.stringify(ws)}, env: plan.env, stdio: 'ignore', ...plan.options })`,
          `await new Promise(resolve => child.once('exit', resolve))`,
          `console.log(JSON.stringify({ ...box.user, home: box.home }))`,
          `setInterval(() => undefined, 1000)`
        ].join('\n')
      )
      const crashing = spawn(process.execPath, ['--import', 'tsx', script], {
        stdio: ['ignore', 'pipe', 'inherit']
      })
      strays.push(crashing)
      const line = await new Promise<string>(resolve => {
        let out = ''
        crashing.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes('\n')) resolve(out.split('\n')[0]!)
        })
      })
      const stale = JSON.parse(line) as { name: string; uid: number; home: string }
      const leftover = liveProcessesOf(stale.uid)
      expect(leftover).toHaveLength(1)
      expect(lstatSync(path.join(ws, 'sub', 'f')).uid).toBe(stale.uid)
      expect(lstatSync(path.join(ws, 'new.txt')).uid).toBe(stale.uid)
      const left = path.join('/tmp', `${stale.name}-left`)
      expect(lstatSync(left).uid).toBe(stale.uid)
      expect(mode(outer)).toBe(0o701)
      crashing.kill('SIGKILL')
      await new Promise(resolve => crashing.once('exit', resolve))

      await sandbox()
      expect(inPasswd(stale.name)).toBe(false)
      expect(existsSync(stale.home)).toBe(false)
      expect(mode(outer)).toBe(0o700)
      expect(mode(parentDir)).toBe(0o700)
      // Its uid may already belong to the new sandbox: the process itself is what must be gone.
      expect(alive(leftover[0]!)).toBe(false)
      // And the tree it had granted is given back, not left to whoever gets that uid next.
      for (const p of [ws, ...everything(ws)]) expect([p, lstatSync(p).uid]).toEqual([p, 0])
      expect(mode(ws)).toBe(0o750)
      expect(everything(ws)).toContain(path.join(ws, 'new.txt'))
      // Nor what it left in /tmp.
      expect(existsSync(left)).toBe(false)
    })

    it('keeps the user of a tree it could not give back, so the next run gives it back before the uid is reused', async () => {
      const ws = path.join(scratch(), 'ws')
      mkdirSync(ws)
      writeFileSync(path.join(ws, 'f'), 'f\n')
      const stuck = path.join(ws, 'new.txt')
      // A run whose give-back fails: nothing, root included, may chown an immutable file.
      const script = path.join(scratch(), 'stuck.mts')
      writeFileSync(
        script,
        [
          `import { spawn, spawnSync } from 'node:child_process'`,
          `import { prepareSandbox } from ${JSON.stringify(path.resolve('src/agent/sandbox.ts'))}`,
          `const box = await prepareSandbox({ parentDir: ${JSON.stringify(scratch())} })`,
          `await box.grant(${JSON.stringify(ws)}, 'write')`,
          `const plan = box.command('/bin/sh', ['-c', 'echo x > new.txt'], { PATH: '/usr/bin:/bin' })`,
          `const child = spawn(plan.file, plan.args, { cwd: ${JSON.stringify(ws)}, env: plan.env, stdio: 'ignore', ...plan.options })`,
          `await new Promise(resolve => child.once('exit', resolve))`,
          `if (spawnSync('chattr', ['+i', ${JSON.stringify(stuck)}]).status !== 0) throw new Error('chattr failed')`,
          `const error = await box.dispose().then(() => 'none', e => e.message)`,
          `spawnSync('chattr', ['-i', ${JSON.stringify(stuck)}])`,
          `console.log(JSON.stringify({ ...box.user, error }))`
        ].join('\n')
      )
      const ran = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' })
      expect(ran.stderr).toBe('')
      const stale = JSON.parse(ran.stdout) as { name: string; uid: number; error: string }
      expect(stale.error).toContain('give back a granted tree')
      expect(inPasswd(stale.name)).toBe(true)
      expect(lstatSync(stuck).uid).toBe(stale.uid)

      await sandbox()
      expect(inPasswd(stale.name)).toBe(false)
      for (const p of [ws, ...everything(ws)]) expect([p, lstatSync(p).uid]).toEqual([p, 0])
      expect(read(stuck)).toBe('x')
    })

    it('gives back a tree of 10,000 files', async () => {
      const box = await sandbox()
      const ws = path.join(scratch(), 'big')
      for (let d = 0; d < 100; d++) {
        mkdirSync(path.join(ws, `d${d}`), { recursive: true })
        for (let f = 0; f < 100; f++) writeFileSync(path.join(ws, `d${d}`, `f${f}`), '')
      }
      const restore = await box.grant(ws, 'write')
      expect(statSync(path.join(ws, 'd99', 'f99')).uid).toBe(box.user!.uid)
      await runAs(box, 'for d in d0 d50; do for i in 1 2 3; do echo > $d/new$i; done; done', {
        cwd: ws
      })
      await restore()
      const owners = new Set(everything(ws).map(p => lstatSync(p).uid))
      expect([...owners]).toEqual([0])
      expect(everything(ws)).toHaveLength(100 + 10_000 + 6)
    })
  })

  describe('fallbackSandbox', () => {
    it('kills a setsid-ed child carrying its nonce and nothing else', async () => {
      const box = await fallbackSandbox({ parentDir: scratch(), reason: 'testing the fallback' })
      sandboxes.push(box)
      expect(box.kind).toBe('none')
      expect(box.user).toBeUndefined()
      expect(box.warning).toContain('testing the fallback')
      expect(box.warning).toContain('/proc/<pid>/environ')
      expect(mode(box.home)).toBe(0o700)
      expect(await box.grant(scratch(), 'write')).toBeInstanceOf(Function)

      const plan = box.command(
        '/bin/sh',
        ['-c', 'setsid -f sleep 301; sleep 302 & exit 0'],
        AGENT_PATH
      )
      const nonce = plan.env.TANDEM_SANDBOX
      expect(nonce).toMatch(/^[0-9a-f]{32}$/)
      expect(plan.options).toEqual({})
      const control = spawn('sleep', ['303'], { stdio: 'ignore' })
      strays.push(control)
      const child = spawn(plan.file, plan.args, { env: plan.env, stdio: 'ignore', detached: true })
      await new Promise(resolve => child.once('exit', resolve))
      const marked = (): number[] =>
        liveProcessesOf(0).filter(pid => {
          try {
            return readFileSync(`/proc/${pid}/environ`).includes(`TANDEM_SANDBOX=${nonce}`)
          } catch {
            return false
          }
        })
      await waitFor(() => marked().length === 2)

      await box.killAll(child.pid)
      expect(marked()).toEqual([])
      expect(alive(control.pid!)).toBe(true)
      control.kill('SIGKILL')
      await box.dispose()
      expect(existsSync(box.home)).toBe(false)
    })
  })
}
