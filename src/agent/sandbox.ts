/**
 * Agent code (a CLI session and everything it starts; a verify-command and everything it starts)
 * runs as a dedicated unprivileged user, created for one sandbox and removed with it:
 *
 * - another uid cannot read `/proc/<action pid>/environ` (the GitHub token, the model API key and
 *   the runner's ACTIONS_* credentials are in that block, whatever the action deletes later);
 * - the checkout's `.git` stays the action's, and the directory holding it is sticky, so the agent
 *   can neither write into it nor rename it away and plant another one;
 * - `kill(-1)` sent by that uid ends every process it left behind (`&`, `setsid`, double forks),
 *   and on Linux it is atomic with respect to fork: no child created during the kill escapes it;
 * - what the agent gets is handed over by root without following anything the agent could have
 *   planted (grant refuses such a path, giveToAgent an entry reached through a symlink), never
 *   includes what others could not read already (a 0600 credentials file an earlier step left),
 *   and an ancestor opened for it shows nothing but the way through (`~/.gitconfig` stays out of
 *   reach); a run that dies has its grants given back by the next one, before the uid is reused.
 *
 * Root creates the user directly (a container job); a non-root action with passwordless sudo (the
 * GitHub-hosted runners) goes through `sudo -n`. Anywhere else `fallbackSandbox` runs agent code
 * as the action's own user and says, in `warning`, exactly what is then not isolated.
 *
 * Tandem's own helper commands never go through a shell, get a fixed PATH and environment (never
 * the action's, which carries the token), and are run by absolute path from root-owned directories
 * only: `/usr/local/bin` is world-writable on GitHub-hosted images, and sudo's secure_path searches
 * it first, so a bare `chown` there could be an agent's program running as root.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  lchownSync,
  lstatSync,
  readdirSync,
  readlinkSync,
  openSync,
  promises as fs,
  readSync,
  realpathSync,
  statSync,
  type Stats
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export type IsolationKind = 'user' | 'none'

export interface AgentUser {
  name: string
  uid: number
  gid: number
}

export interface SpawnPlan {
  file: string
  args: string[]
  env: Record<string, string>
  options: { uid?: number; gid?: number }
}

export interface Sandbox {
  kind: IsolationKind
  user?: AgentUser
  /**
   * The agent's own HOME (owned by the agent user): CLAUDE_CONFIG_DIR = home/.claude, TMPDIR =
   * home/tmp. Created 0700; kind 'user' in a directory of the action's the agent may only pass.
   * Below it everything is the agent's: a path there may cross a symlink it planted.
   */
  home: string
  /** Why isolation is partial; undefined when kind === 'user'. The caller prints it as a warning. */
  warning?: string
  /**
   * What to pass to child_process.spawn to run `file` as the agent. `env` is the agent env as
   * built by the caller; HOME, USER, LOGNAME, TMPDIR, CLAUDE_CONFIG_DIR and CLAUDE_CODE_TMPDIR are
   * set to the sandbox's. Throws when the agent user could not run `file` (naming the directory or
   * file that stops it).
   */
  command(file: string, args: string[], env: Record<string, string>): SpawnPlan
  /**
   * Lets the agent read (`read`) or read and write (`write`) a directory tree, and traverse every
   * ancestor. Resolves to the function that gives the tree back; call it after killAll() (it kills
   * again itself). Refuses a path the agent could have steered (a symlink it made, a directory it
   * owns or could replace). A file or directory others could not read stays out of the agent's
   * reach. See UserSandbox.grant for the details.
   */
  grant(dir: string, access: 'read' | 'write'): Promise<() => Promise<void>>
  /**
   * Makes each of `paths` (inside `home`: files and directories Tandem put there, e.g. a session
   * to resume) the agent's own: that entry only, never recursively, never through a symlink (a
   * symlink anywhere below `home` on the way is refused). No-op for kind 'none'.
   */
  giveToAgent(paths: string[]): Promise<void>
  /**
   * Kills every process of the agent user (kind 'user'), or (kind 'none') every process carrying
   * this sandbox's TANDEM_SANDBOX nonce plus the given process group. Resolves when none is left,
   * rejects when some survive 2 s.
   */
  killAll(processGroup?: number): Promise<void>
  /** Kills, gives back every tree still granted, undoes ancestor permission changes, removes the user and its home. Idempotent. */
  dispose(): Promise<void>
}

export interface SandboxOptions {
  /**
   * Where the agent's home is created: an OS temp dir the caller picks. Kind 'user':
   * `<parentDir>/<name>-home/home`, in a directory of the action's (0711) so the agent, which
   * owns its home, cannot rename it away and leave a symlink there. Kind 'none':
   * `<parentDir>/<name>-home`.
   */
  parentDir: string
  /** Names the sandbox in the user's comment field, e.g. "writer". */
  label?: string
  /** The action's environment (default process.env): its PATH tells which directories hold programs the action runs. */
  env?: NodeJS.ProcessEnv
}

export interface FallbackOptions extends SandboxOptions {
  /** Why no agent user could be made; it starts the warning. */
  reason?: string
}

/** The variable command() puts in every agent environment of a fallback sandbox. */
const NONCE_VARIABLE = 'TANDEM_SANDBOX'

const KILL_DEADLINE_MS = 2000
const HELPER_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' }
const TRUSTED_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin']
/** Where agent code could leave something that outlives it: cron and at spool directories. */
const SPOOL_DIRS = [
  '/var/spool/cron',
  '/var/spool/cron/crontabs',
  '/var/spool/cron/tabs',
  '/var/spool/cron/atjobs',
  '/var/spool/at'
]
/** World-writable places whose agent-owned leftovers dispose() removes (the uid is reused). */
const TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm']
const S_ISUID = 0o4000
const S_ISGID = 0o2000
const S_ISVTX = 0o1000
const R = 4
const W = 2
const X = 1

// ─── entry points ────────────────────────────────────────────────────────────────────────────

/**
 * A sandbox with a user of its own when the action is root or has passwordless sudo on Linux,
 * else the fallback. Fails (after cleaning up) only when the user was made but could not be set
 * up; a user that cannot be made at all means the fallback, its warning saying why.
 */
export async function prepareSandbox(options: SandboxOptions): Promise<Sandbox> {
  const privilege = await detectPrivilege()
  if ('reason' in privilege) return fallbackSandbox({ ...options, reason: privilege.reason })
  const ops = new Ops(privilege.privilege)
  const missing = [
    'kill',
    'env',
    'find',
    'true',
    ...(ops.root ? [] : ['chown', 'chmod', 'rm'])
  ].filter(tool => !trustedTool(tool))
  if (missing.length > 0) {
    return fallbackSandbox({
      ...options,
      reason: `${missing.join(', ')} not found in ${TRUSTED_DIRS.join(', ')}`
    })
  }
  const parent = await ensureParent(options.parentDir)
  await reapStaleSandboxes(ops)
  let user: AgentUser
  try {
    user = await createUser(ops, parent, options.label)
  } catch (error) {
    return fallbackSandbox({ ...options, reason: (error as Error).message })
  }
  let sandbox: UserSandbox | undefined
  try {
    sandbox = new UserSandbox(ops, user, userHome(parent, user.name), options.env)
    await sandbox.setUp()
  } catch (error) {
    if (sandbox) await sandbox.dispose().catch(() => undefined)
    else await deleteUser(ops, user).catch(() => undefined)
    throw error
  }
  return sandbox
}

/**
 * The sandbox when no second user is possible: agent code runs as the action's own user, with
 * its own HOME, and leftovers are found by a nonce in their environment. A process that clears
 * or rewrites its environment (`env -i`, exec with a new env) is not found: that, and the
 * shared uid, is why kind 'user' is preferred.
 */
export async function fallbackSandbox(options: FallbackOptions): Promise<Sandbox> {
  const parent = await ensureParent(options.parentDir)
  const name = `tandem-${randomBytes(4).toString('hex')}`
  const home = path.join(parent, `${name}-home`)
  await makeHome(home)
  return new SharedUserSandbox(
    home,
    randomBytes(16).toString('hex'),
    fallbackWarning(options.reason)
  )
}

// ─── privilege and helper commands ───────────────────────────────────────────────────────────

type Privilege = { kind: 'root' } | { kind: 'sudo'; sudo: string }

interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

function run(
  file: string,
  args: string[],
  options: { uid?: number; gid?: number; timeoutMs?: number } = {}
): Promise<RunResult> {
  return new Promise(resolve => {
    execFile(
      file,
      args,
      {
        env: HELPER_ENV,
        uid: options.uid,
        gid: options.gid,
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8'
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, stdout, stderr: stderr || (error && code === null ? error.message : '') })
      }
    )
  })
}

function describeRun(file: string, args: string[], result: RunResult): string {
  const shown = [file, ...args].join(' ')
  const command = shown.length > 300 ? `${shown.slice(0, 300)}…` : shown
  const status = result.code === null ? 'could not run or was killed' : `exited with ${result.code}`
  return `\`${command}\` ${status}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`
}

/** A program in a root-owned directory nobody else can write, or undefined. */
function trustedTool(...names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of TRUSTED_DIRS) {
      const file = path.join(dir, name)
      try {
        const real = realpathSync(file)
        const st = statSync(real)
        const parent = statSync(path.dirname(real))
        if (!st.isFile() || (st.mode & 0o111) === 0) continue
        if (st.uid !== 0 || parent.uid !== 0 || st.mode & 0o022 || parent.mode & 0o022) continue
        return file
      } catch {
        // Not there.
      }
    }
  }
  return undefined
}

function requireTool(...names: string[]): string {
  const found = trustedTool(...names)
  if (!found) throw new Error(`${names[0]} was not found in ${TRUSTED_DIRS.join(', ')}`)
  return found
}

async function detectPrivilege(): Promise<{ privilege: Privilege } | { reason: string }> {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') {
    return { reason: `user isolation is implemented for Linux only (this is ${process.platform})` }
  }
  if (process.getuid() === 0) return { privilege: { kind: 'root' } }
  const sudo = trustedTool('sudo')
  if (!sudo) return { reason: 'the action does not run as root and sudo is not installed' }
  const check = await run(sudo, ['-n', requireTool('true')], { timeoutMs: 15_000 })
  if (check.code !== 0) {
    return {
      reason: `the action does not run as root and passwordless sudo is not available (${describeRun(sudo, ['-n', 'true'], check)})`
    }
  }
  return { privilege: { kind: 'sudo', sudo } }
}

/** File operations that need root: done in-process as root, or through `sudo -n` by absolute path. */
class Ops {
  constructor(readonly privilege: Privilege) {}

  get root(): boolean {
    return this.privilege.kind === 'root'
  }

  run(file: string, args: string[], timeoutMs?: number): Promise<RunResult> {
    return this.privilege.kind === 'root'
      ? run(file, args, { timeoutMs })
      : run(this.privilege.sudo, ['-n', '--', file, ...args], { timeoutMs })
  }

  async must(file: string, args: string[], timeoutMs?: number): Promise<string> {
    const result = await this.run(file, args, timeoutMs)
    if (result.code !== 0) throw new Error(describeRun(this.prefix(file), args, result))
    return result.stdout
  }

  private prefix(file: string): string {
    return this.privilege.kind === 'sudo' ? `${this.privilege.sudo} -n -- ${file}` : file
  }

  /** lchown: a symlink itself, never what it points to. */
  async lchownMany(paths: string[], uid: number, gid: number): Promise<void> {
    if (paths.length === 0) return
    if (this.root) {
      for (const [i, p] of paths.entries()) {
        try {
          lchownSync(p, uid, gid)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        }
        if (i % CHUNK === CHUNK - 1) await breather()
      }
      return
    }
    const chown = requireTool('chown')
    for (const batch of batches(paths))
      await this.must(chown, ['-h', '--', `${uid}:${gid}`, ...batch])
  }

  /** chmod on a path that is not a symlink (callers lstat first); sudo only when not ours. */
  async chmod(p: string, mode: number): Promise<void> {
    try {
      await fs.chmod(p, mode)
    } catch (error) {
      if (this.root || (error as NodeJS.ErrnoException).code !== 'EPERM') throw error
      // Five digits: GNU chmod keeps a directory's setuid/setgid bits for a four-digit mode.
      await this.must(requireTool('chmod'), [
        '--',
        `0${(mode & 0o7777).toString(8).padStart(4, '0')}`,
        p
      ])
    }
  }

  async removeTree(p: string): Promise<void> {
    if (this.root) {
      await fs.rm(p, { recursive: true, force: true })
      return
    }
    await this.must(requireTool('rm'), ['-rf', '--one-file-system', '--', p])
  }
}

function batches(paths: string[], maxBytes = 100_000): string[][] {
  const out: string[][] = []
  let current: string[] = []
  let bytes = 0
  for (const p of paths) {
    const size = Buffer.byteLength(p) + 1
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(p)
    bytes += size
  }
  if (current.length > 0) out.push(current)
  return out
}

// ─── the agent user ──────────────────────────────────────────────────────────────────────────

async function createUser(ops: Ops, parent: string, label: string | undefined): Promise<AgentUser> {
  const useradd = trustedTool('useradd')
  const adduser = trustedTool('adduser')
  const busybox = adduser !== undefined && realpathSync(adduser).endsWith('/busybox')
  if (!useradd && !busybox) {
    throw new Error(`neither useradd nor BusyBox adduser is installed (${TRUSTED_DIRS.join(', ')})`)
  }
  const nologin = ['/usr/sbin/nologin', '/sbin/nologin', '/bin/false'].find(isFile) ?? '/bin/false'
  // The creating pid tells a live sandbox from one a crashed run left behind.
  const comment = `Tandem agent${label ? ` ${label.replace(/[^A-Za-z0-9 ._-]/g, '-').slice(0, 40)}` : ''} pid=${process.pid}`
  let last = ''
  for (let attempt = 0; attempt < 8; attempt++) {
    // Unique per sandbox: parallel runs on one machine must never kill each other's agents.
    const name = `tandem-${randomBytes(4).toString('hex')}`
    const home = userHome(parent, name)
    let result: RunResult
    let shown: [string, string[]]
    if (useradd) {
      const args = [
        '--system',
        '--no-create-home',
        '--user-group',
        '--no-log-init',
        '--shell',
        nologin,
        '--home-dir',
        home,
        '--comment',
        comment,
        name
      ]
      shown = [useradd, args]
      result = await ops.run(useradd, args)
      // 9: the name is taken. 1/10: passwd or group file busy (another useradd holds the lock).
      last = describeRun(useradd, args, result)
      if (result.code === 9) continue
      if ((result.code === 1 || result.code === 10) && /lock/i.test(result.stderr)) {
        await sleep(50 * (attempt + 1))
        continue
      }
    } else {
      const addgroup = requireTool('addgroup')
      const group = await ops.run(addgroup, ['-S', name])
      if (group.code !== 0)
        throw new Error(`useradd is missing and ${describeRun(addgroup, ['-S', name], group)}`)
      const args = ['-S', '-D', '-H', '-h', home, '-s', nologin, '-G', name, '-g', comment, name]
      shown = [adduser!, args]
      result = await ops.run(adduser!, args)
    }
    if (result.code !== 0)
      throw new Error(`could not create the agent user: ${describeRun(...shown, result)}`)
    const ids = await readIds(name)
    const user = { name, ...ids }
    if (user.uid === 0 || user.gid === 0 || user.uid === process.getuid!()) {
      await deleteUser(ops, user).catch(() => undefined)
      throw new Error(
        `the new user ${name} got uid ${user.uid}, gid ${user.gid}: refusing to use it`
      )
    }
    if (ops.privilege.kind === 'sudo') {
      const probe = await run(ops.privilege.sudo, ['-n', '-u', name, '--', requireTool('true')])
      if (probe.code !== 0) {
        await deleteUser(ops, user).catch(() => undefined)
        throw new Error(
          `sudo cannot run commands as the agent user: ${describeRun(ops.privilege.sudo, ['-n', '-u', name, 'true'], probe)}`
        )
      }
    }
    return user
  }
  throw new Error(`could not create the agent user after 8 attempts: ${last}`)
}

function runAsUser(ops: Ops, user: AgentUser, file: string, args: string[]): Promise<RunResult> {
  if (ops.privilege.kind === 'root')
    return run(file, args, { uid: user.uid, gid: user.gid, timeoutMs: 5000 })
  return run(ops.privilege.sudo, ['-n', '-u', user.name, '--', file, ...args], { timeoutMs: 5000 })
}

/**
 * Users of sandboxes whose creating process is gone (a crashed or cancelled run: the runner
 * cannot kill, nor even see the environment of, another uid's processes): their processes are
 * killed, the user and its home removed. Best effort; a live sandbox's creator is alive.
 */
async function reapStaleSandboxes(ops: Ops): Promise<void> {
  const kill = trustedTool('kill')
  const passwd = await fs.readFile('/etc/passwd', 'utf8').catch(() => '')
  const records = await registry.grantRecords()
  const users = new Set<string>()
  const uids = new Set<number>()
  for (const line of passwd.split('\n')) {
    const [name = '', , uid = '', gid = '', comment = '', home = ''] = line.split(':')
    users.add(name)
    uids.add(Number(uid))
    const creator = /^Tandem agent\b.* pid=(\d+)$/.exec(comment)?.[1]
    if (!/^tandem-[0-9a-f]{8}$/.test(name) || !creator || pidAlive(Number(creator))) continue
    const user = { name, uid: Number(uid), gid: Number(gid) }
    if (!(user.uid > 0) || user.uid === process.getuid!()) continue
    try {
      if (kill) await runAsUser(ops, user, kill, ['-9', '-1'])
      await untilNone(() => processesOf(user.uid), 500)
      // Trees it had granted go back before its uid is free for the next `useradd --system`.
      for (const [file, record] of records) {
        if (record.user !== name || record.uid !== user.uid || pidAlive(record.pid)) continue
        await giveBackRecord(ops, record)
        await fs.rm(file, { force: true })
      }
      if (home === userHome(path.dirname(path.dirname(home)), name)) {
        const wrapper = path.dirname(home)
        const st = await fs.lstat(wrapper).catch(() => undefined)
        if (st?.isDirectory() && (st.uid === 0 || st.uid === process.getuid!())) {
          await ops.removeTree(wrapper)
        }
      } else if (path.basename(home) === `${name}-home`) {
        // Made by an earlier version: the home right in the temp dir.
        const st = await fs.lstat(home).catch(() => undefined)
        if (st?.isDirectory() && st.uid === user.uid) await ops.removeTree(home)
      }
      // As dispose does: nothing of it (a file in /tmp, an at job) may pass to the uid's next user.
      await removeLeftoversOf(ops, user, TEMP_DIRS, SPOOL_DIRS)
      await deleteUser(ops, user)
    } catch {
      // Left for the next run to try again.
    }
  }
  // Records of users that are gone: given back only while their uid belongs to nobody.
  for (const [file, record] of records) {
    if (users.has(record.user) || pidAlive(record.pid)) continue
    if (!uids.has(record.uid)) await giveBackRecord(ops, record).catch(() => undefined)
    await fs.rm(file, { force: true })
  }
}

/** Deletes what `user` owns in `temps` (recursively) and in `spools` (cron and at jobs). */
async function removeLeftoversOf(
  ops: Ops,
  user: AgentUser,
  temps: string[],
  spools: string[]
): Promise<void> {
  const find = requireTool('find')
  const uid = String(user.uid)
  // Best effort, as in dispose: an unreadable corner must not keep the stale user forever.
  const inTemp = temps.filter(dir => isDirectory(dir))
  if (inTemp.length > 0) {
    await ops.run(find, ['-P', ...inTemp, '-xdev', '-uid', uid, '-delete'], 120_000)
  }
  const inSpool = spools.filter(dir => isDirectory(dir))
  if (inSpool.length > 0) {
    await ops.run(find, [
      '-P',
      ...inSpool,
      '-mindepth',
      '1',
      '-maxdepth',
      '1',
      '(',
      '-uid',
      uid,
      '-o',
      '-name',
      user.name,
      ')',
      '!',
      '-type',
      'd',
      '-delete'
    ])
  }
}

async function readIds(name: string): Promise<{ uid: number; gid: number }> {
  try {
    for (const line of (await fs.readFile('/etc/passwd', 'utf8')).split('\n')) {
      const fields = line.split(':')
      if (fields[0] === name && fields.length >= 4)
        return { uid: Number(fields[2]), gid: Number(fields[3]) }
    }
  } catch {
    // Fall through to id(1).
  }
  const id = requireTool('id')
  const uid = await run(id, ['-u', name])
  const gid = await run(id, ['-g', name])
  if (uid.code !== 0 || gid.code !== 0)
    throw new Error(
      `the new user ${name} cannot be looked up: ${describeRun(id, ['-u', name], uid)}`
    )
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

async function userExists(name: string): Promise<boolean> {
  const passwd = await fs.readFile('/etc/passwd', 'utf8').catch(() => '')
  return passwd.split('\n').some(line => line.startsWith(`${name}:`))
}

async function groupExists(name: string): Promise<boolean> {
  const group = await fs.readFile('/etc/group', 'utf8').catch(() => '')
  return group.split('\n').some(line => line.startsWith(`${name}:`))
}

async function deleteUser(ops: Ops, user: AgentUser): Promise<void> {
  const userdel = trustedTool('userdel')
  const deluser = trustedTool('deluser')
  for (let attempt = 0; (await userExists(user.name)) && attempt < 8; attempt++) {
    const [file, args] = userdel ? [userdel, [user.name]] : [deluser ?? 'deluser', [user.name]]
    let result = await ops.run(file, args)
    // 8: "currently used by process N" — userdel counts zombies, and a container's PID 1 may never
    // reap the orphans it inherited. --force only once /proc shows nothing of the user still runs.
    if (result.code === 8 && userdel && (await processesOf(user.uid)).length === 0) {
      result = await ops.run(userdel, ['--force', user.name])
    }
    if (result.code === 0) break
    // 1/10: the user database is locked by another useradd/userdel; retry.
    if (attempt === 7 || !/lock/i.test(result.stderr)) {
      throw new Error(`could not remove the agent user: ${describeRun(file, args, result)}`)
    }
    await sleep(50 * (attempt + 1))
  }
  // userdel removes the user's own group only when USERGROUPS_ENAB is set; deluser never does.
  if (await groupExists(user.name)) {
    const groupdel = trustedTool('groupdel', 'delgroup')
    if (groupdel) await ops.must(groupdel, [user.name])
  }
}

// ─── homes and ancestors ─────────────────────────────────────────────────────────────────────

/** An agent user's home: see SandboxOptions.parentDir. */
function userHome(parent: string, name: string): string {
  return path.join(parent, `${name}-home`, 'home')
}

async function ensureParent(parentDir: string): Promise<string> {
  await fs.mkdir(parentDir, { recursive: true })
  return fs.realpath(parentDir)
}

/** home, home/tmp and home/.claude, 0700. mkdir without `recursive`: a home that exists (planted) is an error. */
async function makeHome(home: string): Promise<void> {
  await fs.mkdir(home, { mode: 0o700 })
  await fs.chmod(home, 0o700)
  for (const sub of ['tmp', '.claude']) await fs.mkdir(path.join(home, sub), { mode: 0o700 })
}

function ancestorsOf(dir: string): string[] {
  const out: string[] = []
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    out.push(current)
    if (current === path.dirname(current)) return out
  }
}

function canAccess(st: Stats, user: { uid: number; gid: number }, bits: number): boolean {
  const shift = st.uid === user.uid ? 6 : st.gid === user.gid ? 3 : 0
  return ((st.mode >> shift) & bits) === bits
}

interface AncestorRecord {
  path: string
  /** Permission bits for others that sandboxes added and the last one out takes away. */
  added: number
  /** Permission bits for others that sandboxes took away (concealed) and the last one out puts back. */
  removed: number
  /** Sandbox name → pid of the process that made it. */
  holders: Record<string, number>
  /**
   * While sandboxes keep the directory open (others' x added): the names of its entries some
   * sandbox must pass through (towards a granted tree, its home, a directory on the action's
   * PATH). Every other entry is concealed.
   */
  passes?: string[]
  /** Entries concealed (others' bits taken away) while the directory is open, by name. */
  entries?: Record<string, ConcealedEntry>
}

interface ConcealedEntry {
  removed: number
  dev: number
  ino: number
}

/** What a grant changed, on disk until it is given back: a crashed run's reaper gives it back. */
interface GrantRecord {
  user: string
  uid: number
  pid: number
  root: string
  access: 'read' | 'write'
  top: Recorded
  /** write: every entry handed to the agent, as it was: [path, dev, ino, uid, gid, mode]. */
  handed: Array<[string, number, number, number, number, number]>
  /** read: every entry others got bits on: [path, dev, ino, mode, added]. */
  changed: Array<[string, number, number, number, number]>
}

/**
 * Several sandboxes (parallel sessions of one run, parallel jobs on one machine) may need the same
 * ancestor opened: the bit is taken away again only when the last of them lets go, so one
 * sandbox's dispose never cuts off another's workspace. The records live in a directory only the
 * action's uid can write (the agent must not be able to steer what is chmod-ed), under a lock.
 *
 * An ancestor opened this way (`/home/runner`, 0750 on GitHub-hosted images) would show the agent
 * everything others may read at a guessable path inside it: `~/.gitconfig` with a token in a
 * `url.<…>.insteadOf`, `~/.npmrc`, `~/.docker/config.json`. So while it is open, every entry
 * directly inside it that no sandbox passes through is concealed: a directory loses others' r
 * and x, anything else (symlinks aside) others' r and w. Nobody but the agent users notices: no
 * other user could reach those entries before the directory was opened either. A directory
 * others could already traverse is the machine owner's choice and left alone. Files created in
 * an open ancestor after the last grant are not concealed (Tandem runs as one step: the steps
 * that write such files ran before it).
 */
class AncestorRegistry {
  private dir: Promise<string> | undefined

  private stateDir(): Promise<string> {
    this.dir ??= (async () => {
      const uid = process.getuid!()
      const candidates = [
        path.join(os.userInfo().homedir, '.cache', 'tandem-sandbox'),
        path.join('/tmp', `tandem-sandbox-${uid}`)
      ]
      for (const candidate of candidates) {
        try {
          await fs.mkdir(candidate, { recursive: true, mode: 0o700 })
          const st = await fs.lstat(candidate)
          if (st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0) return candidate
        } catch {
          // Try the next one.
        }
      }
      // Nothing shared and safe: coordinate within this process only.
      return fs.mkdtemp(path.join(os.tmpdir(), 'tandem-sandbox-'))
    })()
    return this.dir
  }

  private async locked<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = await this.stateDir()
    const lock = path.join(dir, 'lock')
    const started = Date.now()
    for (;;) {
      try {
        await fs.mkdir(lock)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        const age = await fs.stat(lock).then(
          st => Date.now() - st.mtimeMs,
          () => 0
        )
        // A holder keeps the lock for milliseconds; one held for 10 s belongs to a dead process.
        if (age > 10_000) await fs.rm(lock, { recursive: true, force: true })
        else if (Date.now() - started > 30_000) throw new Error(`${lock} stayed locked for 30 s`)
        else await sleep(5 + Math.random() * 10)
      }
    }
    try {
      return await fn(dir)
    } finally {
      await fs.rm(lock, { recursive: true, force: true })
    }
  }

  private file(dir: string, p: string): string {
    return path.join(dir, `${createHash('sha256').update(p).digest('hex').slice(0, 32)}.json`)
  }

  private async read(file: string, p: string): Promise<AncestorRecord> {
    try {
      const record = JSON.parse(await fs.readFile(file, 'utf8')) as AncestorRecord
      if (record.path === p) {
        record.removed ??= 0
        record.passes ??= []
        record.entries ??= {}
        for (const [name, pid] of Object.entries(record.holders)) {
          if (!pidAlive(pid)) delete record.holders[name]
        }
        return record
      }
    } catch {
      // None yet.
    }
    return { path: p, added: 0, removed: 0, holders: {}, passes: [], entries: {} }
  }

  private async write(file: string, record: AncestorRecord): Promise<void> {
    const concealing = Object.keys(record.entries ?? {}).length > 0
    if (
      Object.keys(record.holders).length === 0 ||
      (record.added === 0 && record.removed === 0 && !concealing)
    ) {
      await fs.rm(file, { force: true })
      return
    }
    const temp = `${file}.${process.pid}.tmp`
    await fs.writeFile(temp, JSON.stringify(record), { mode: 0o600 })
    await fs.rename(temp, file)
  }

  /** Takes away the bits of records whose holders all died without closing (a crashed run). */
  private async sweep(dir: string, ops: Ops): Promise<void> {
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      if (!name.endsWith('.json')) continue
      const file = path.join(dir, name)
      const p = await fs.readFile(file, 'utf8').then(
        text => (JSON.parse(text) as AncestorRecord).path,
        () => undefined
      )
      if (p === undefined || this.file(dir, p) !== file) continue
      const record = await this.read(file, p)
      if (Object.keys(record.holders).length > 0) continue
      await this.takeAway(record, ops).catch(() => undefined)
      await fs.rm(file, { force: true })
    }
  }

  /**
   * Puts the directory back: what sandboxes added goes, what they concealed comes back — the
   * directory's own bits first (closing it), then its entries'.
   */
  private async takeAway(record: AncestorRecord, ops: Ops): Promise<void> {
    const st = await fs.stat(record.path).catch(() => undefined)
    if (st) {
      const want = (st.mode & 0o7777 & ~record.added) | record.removed
      if (want !== (st.mode & 0o7777)) await ops.chmod(record.path, want)
    }
    record.added = 0
    record.removed = 0
    for (const name of Object.keys(record.entries ?? {})) {
      await this.reveal(record, name, ops)
    }
    record.passes = []
  }

  /** Gives a concealed entry its bits back (when it is still the same file). */
  private async reveal(record: AncestorRecord, name: string, ops: Ops): Promise<void> {
    const entry = record.entries?.[name]
    if (!entry) return
    delete record.entries![name]
    const p = path.join(record.path, name)
    const st = await ignoreMissing(fs.lstat(p))
    if (st && st.dev === entry.dev && st.ino === entry.ino && !st.isSymbolicLink()) {
      await ops.chmod(p, (st.mode & 0o7777) | entry.removed)
    }
  }

  /** Conceals every entry of an open directory that no sandbox passes through; reveals passes. */
  private async concealEntries(record: AncestorRecord, ops: Ops): Promise<void> {
    const passes = new Set(record.passes)
    for (const name of passes) await this.reveal(record, name, ops)
    let names: string[]
    try {
      names = readdirSync(record.path)
    } catch (error) {
      throw new Error(
        `Cannot list ${record.path} to hide its entries from the agent before opening it: ${(error as Error).message}`
      )
    }
    const entries = (record.entries ??= {})
    for (const name of names) {
      if (passes.has(name)) continue
      const p = path.join(record.path, name)
      let st: Stats
      try {
        st = lstatSync(p)
      } catch {
        continue
      }
      if (st.isSymbolicLink()) continue
      const bits = st.mode & (st.isDirectory() ? R | X : R | W)
      if (bits === 0) continue
      await ops.chmod(p, st.mode & 0o7777 & ~bits)
      const before = entries[name]
      const kept = before && before.dev === st.dev && before.ino === st.ino ? before.removed : 0
      entries[name] = { removed: kept | bits, dev: st.dev, ino: st.ino }
    }
  }

  /**
   * Gives `user` search permission on every ancestor of `target` (others' x bit where missing),
   * from `/` down. Inside each ancestor sandboxes opened, everything but the entries towards
   * `target` and towards the directories in `keep` is concealed first.
   */
  async open(
    holder: string,
    target: string,
    keep: string[],
    user: AgentUser,
    ops: Ops
  ): Promise<string[]> {
    return this.locked(async dir => {
      await this.sweep(dir, ops)
      const held: string[] = []
      const chain = [...ancestorsOf(target).reverse(), target]
      for (let i = 0; i < chain.length - 1; i++) {
        const p = chain[i]!
        const file = this.file(dir, p)
        const record = await this.read(file, p)
        const st = await fs.stat(p)
        const missing = canAccess(st, user, X) ? 0 : X & ~st.mode
        if (missing !== 0 || record.added & X) {
          const passes = new Set(record.passes)
          passes.add(path.basename(chain[i + 1]!))
          for (const k of keep) {
            const rel = path.relative(p, k)
            if (rel && !rel.startsWith('..') && !path.isAbsolute(rel))
              passes.add(rel.split('/')[0]!)
          }
          record.passes = [...passes].sort()
          // Before the directory opens: nothing in it is ever reachable unconcealed.
          await this.concealEntries(record, ops)
          if (missing !== 0) {
            await ops.chmod(p, (st.mode & 0o7777) | missing)
            record.added |= missing
          }
        }
        if (record.added !== 0 || record.removed !== 0) {
          record.holders[holder] = process.pid
          held.push(p)
        }
        await this.write(file, record)
      }
      return held
    })
  }

  /**
   * Takes others' read permission (and search permission, unless a sandbox needs to pass) away
   * from each of `dirs` until the last sandbox holding them closes.
   */
  async conceal(holder: string, dirs: string[], ops: Ops): Promise<string[]> {
    return this.locked(async dir => {
      // A crashed run's records first: their give-back must not reveal what is concealed now.
      await this.sweep(dir, ops)
      const held: string[] = []
      for (const p of dirs) {
        const file = this.file(dir, p)
        const record = await this.read(file, p)
        const st = await fs.lstat(p)
        // Already concealed as an entry of an open parent: the bits are this record's from now on,
        // so they come back when the last sandbox concealing `p` closes, not before.
        const parentFile = this.file(dir, path.dirname(p))
        const parent = await this.read(parentFile, path.dirname(p))
        const asEntry = parent.entries?.[path.basename(p)]
        const live = Object.keys(parent.holders).length > 0
        if (live && asEntry && asEntry.dev === st.dev && asEntry.ino === st.ino) {
          record.removed |= asEntry.removed & (R | X)
          delete parent.entries![path.basename(p)]
          await this.write(parentFile, parent)
        }
        const bits = st.mode & (R | (record.added & X ? 0 : X))
        if (bits !== 0) {
          await ops.chmod(p, st.mode & 0o7777 & ~bits)
          record.removed |= bits
        }
        if (record.added !== 0 || record.removed !== 0) {
          record.holders[holder] = process.pid
          held.push(p)
        }
        await this.write(file, record)
      }
      return held
    })
  }

  /** Lets go of `dirs`; a bit is taken away when no live sandbox holds the directory any more. */
  async close(holder: string, dirs: string[], ops: Ops): Promise<void> {
    if (dirs.length === 0) return
    await this.locked(async dir => {
      for (const p of dirs) {
        const file = this.file(dir, p)
        const record = await this.read(file, p)
        delete record.holders[holder]
        if (Object.keys(record.holders).length === 0) await this.takeAway(record, ops)
        await this.write(file, record)
      }
      await this.sweep(dir, ops)
    })
  }

  private async grantsDir(): Promise<string> {
    const dir = path.join(await this.stateDir(), 'grants')
    await fs.mkdir(dir, { recursive: true, mode: 0o700 })
    return dir
  }

  /** Writes (or rewrites) a grant's record; resolves to its file. */
  async saveGrant(record: GrantRecord, file?: string): Promise<string> {
    const target =
      file ??
      path.join(await this.grantsDir(), `${record.user}-${randomBytes(6).toString('hex')}.json`)
    const temp = `${target}.${process.pid}.tmp`
    await fs.writeFile(temp, JSON.stringify(record), { mode: 0o600 })
    await fs.rename(temp, target)
    return target
  }

  /** Every grant record on disk, with its file. */
  async grantRecords(): Promise<Array<[string, GrantRecord]>> {
    const dir = await this.grantsDir().catch(() => undefined)
    if (!dir) return []
    const out: Array<[string, GrantRecord]> = []
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      if (!/^tandem-[0-9a-f]{8}-[0-9a-f]{12}\.json$/.test(name)) continue
      const file = path.join(dir, name)
      try {
        const record = JSON.parse(await fs.readFile(file, 'utf8')) as GrantRecord
        if (
          typeof record.root === 'string' &&
          path.isAbsolute(record.root) &&
          Number.isInteger(record.uid) &&
          record.uid > 0 &&
          Number.isInteger(record.pid) &&
          (record.access === 'read' || record.access === 'write') &&
          Array.isArray(record.handed) &&
          Array.isArray(record.changed)
        ) {
          out.push([file, record])
        }
      } catch {
        // Not a record (written atomically, so never half of one): left alone.
      }
    }
    return out
  }
}

const registry = new AncestorRegistry()

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// ─── walking trees ───────────────────────────────────────────────────────────────────────────

async function ignoreMissing<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Lets the event loop run (streams of sessions running meanwhile) between chunks of sync calls. */
function breather(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}

const CHUNK = 1000

/**
 * Every entry below `root` (not `root` itself), top-down: a directory is visited before it is read,
 * so a visit can make it readable first, or keep the walk out of it by returning false. lstat
 * only: symlinks are visited, never followed; the top-level `.git` is skipped; mount points are
 * visited but not entered. Sync calls in chunks: several times faster than one promise per entry,
 * and the event loop still runs every ~1000.
 */
async function walkTree(
  root: string,
  dev: number,
  visit: (p: string, st: Stats) => Promise<boolean | void> | boolean | void
): Promise<void> {
  const stack = [root]
  let count = 0
  while (stack.length > 0) {
    const dir = stack.pop()!
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    for (const name of names) {
      if (dir === root && name === '.git') continue
      const p = path.join(dir, name)
      let st: Stats
      try {
        st = lstatSync(p)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw error
      }
      const result = visit(p, st)
      const enter = result instanceof Promise ? await result : result
      if (st.isDirectory() && st.dev === dev && enter !== false) stack.push(p)
      if (++count % CHUNK === 0) await breather()
    }
  }
}

interface Recorded {
  dev: number
  ino: number
  uid: number
  gid: number
  mode: number
}

function recorded(st: Stats): Recorded {
  return { dev: st.dev, ino: st.ino, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 }
}

function sameInode(a: Recorded | undefined, st: Stats): a is Recorded {
  return a !== undefined && a.dev === st.dev && a.ino === st.ino
}

type Row = [string, number, number, number, number, number]

function toRow(p: string, r: Recorded): Row {
  return [p, r.dev, r.ino, r.uid, r.gid, r.mode]
}

function fromRow([p, dev, ino, uid, gid, mode]: Row): [string, Recorded] {
  return [p, { dev, ino, uid, gid, mode }]
}

/**
 * Gives a write grant's tree back from the agent user `agentUid`, whose processes are gone: the
 * top directory first (the agent's group loses the top level before anything below changes
 * hands), then every agent-owned entry goes back to its recorded owner (or the top directory's
 * owner), setuid/setgid bits and others' write the agent set are cleared, and the owner gets
 * back read (and for directories search and write) permission. A top directory that is gone or
 * is another directory now has nothing of the grant left to give back.
 */
async function giveBackWrite(
  ops: Ops,
  agentUid: number,
  root: string,
  top: Recorded,
  before: Map<string, Recorded>
): Promise<void> {
  const rootSt = await ignoreMissing(fs.lstat(root))
  if (!rootSt || !rootSt.isDirectory() || !sameInode(top, rootSt)) return
  await ops.lchownMany([root], top.uid, top.gid)
  await ops.chmod(root, top.mode)
  const reclaimed = await agentOwned(ops, agentUid, root, top.dev)
  await ops.lchownMany(reclaimed, top.uid, top.gid)
  const mine = new Set(reclaimed)
  await walkTree(root, top.dev, async (p, st) => {
    if (!mine.has(p) || st.isSymbolicLink()) return
    const was = before.get(p)
    const same = sameInode(was, st)
    if (same && (was.uid !== st.uid || was.gid !== st.gid)) {
      await ops.lchownMany([p], was.uid, was.gid)
    }
    const mode = st.mode & 0o7777
    const keep = same ? was.mode : 0
    if (same && mode === was.mode) return
    let want = mode & ~((S_ISUID | S_ISGID | 0o002) & ~keep)
    // Tandem reads (and commits) what the agent wrote, whatever mode the agent left it in.
    const owner = st.isDirectory() ? 0o700 : st.isFile() ? 0o400 : 0
    want |= owner & (same ? was.mode : 0o7777)
    if (want !== mode) await ops.chmod(p, want)
  })
}

/** Takes away what a read grant added to others' bits, where the entry is still the same file. */
async function giveBackRead(ops: Ops, changed: Array<[string, Recorded, number]>): Promise<void> {
  for (const [p, before, added] of changed) {
    const st = await ignoreMissing(fs.lstat(p))
    if (st && sameInode(before, st) && !st.isSymbolicLink()) {
      await ops.chmod(p, st.mode & 0o7777 & ~added)
    }
  }
}

/** Gives back what a grant record says a grant (of a run that is gone) changed. */
async function giveBackRecord(ops: Ops, record: GrantRecord): Promise<void> {
  if (record.access === 'write') {
    await giveBackWrite(
      ops,
      record.uid,
      record.root,
      record.top,
      new Map(record.handed.map(fromRow))
    )
  } else {
    await giveBackRead(
      ops,
      record.changed.map(([p, dev, ino, mode, added]) => [
        p,
        { dev, ino, uid: -1, gid: -1, mode },
        added
      ])
    )
  }
}

/** Every entry below `root` (top-level `.git` aside) owned by `uid`, parents before children. */
async function agentOwned(ops: Ops, uid: number, root: string, dev: number): Promise<string[]> {
  if (ops.root) {
    const found: string[] = []
    await walkTree(root, dev, (p, st) => {
      if (st.uid === uid) found.push(p)
    })
    return found
  }
  // Not root: the agent's own 0700 directories are readable only through sudo.
  const tops = (await fs.readdir(root))
    .filter(name => name !== '.git')
    .map(name => path.join(root, name))
  const found: string[] = []
  for (const batch of batches(tops)) {
    const out = await ops.must(requireTool('find'), [
      '-P',
      ...batch,
      '-xdev',
      '-uid',
      String(uid),
      '-print0'
    ])
    found.push(...out.split('\0').filter(Boolean))
  }
  return found
}

// ─── processes ───────────────────────────────────────────────────────────────────────────────

interface ProcessInfo {
  pid: number
  name: string
  state: string
}

/** Live (not zombie) processes whose real, effective or saved uid is `uid`, from /proc. */
async function processesOf(
  uid: number,
  also?: (pid: number) => Promise<boolean>
): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = []
  const names = await fs.readdir('/proc').catch(() => [] as string[])
  for (const entry of names) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    const status = await fs.readFile(`/proc/${entry}/status`, 'utf8').catch(() => '')
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)
    if (!uids || ![uids[1], uids[2], uids[3]].includes(String(uid))) continue
    const state = /^State:\s+(\S)/m.exec(status)?.[1] ?? '?'
    // A zombie runs nothing; its parent (or an init that may never reap) owns it.
    if (state === 'Z' || state === 'X') continue
    if (also && !(await also(pid))) continue
    out.push({ pid, name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?', state })
  }
  return out
}

function signalPid(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Gone, or not ours.
  }
}

/**
 * Stops every matching process (a stopped process cannot fork), scans again until no new one
 * appears, then kills them all: the way to end processes one at a time without a fork escaping.
 */
async function freezeAndKill(find: () => Promise<ProcessInfo[]>): Promise<void> {
  const stopped = new Set<number>()
  for (let round = 0; round < 50; round++) {
    const fresh = (await find()).filter(p => !stopped.has(p.pid))
    if (fresh.length === 0) break
    for (const p of fresh) {
      signalPid(p.pid, 'SIGSTOP')
      stopped.add(p.pid)
    }
  }
  for (const pid of stopped) signalPid(pid, 'SIGKILL')
}

async function untilNone(find: () => Promise<ProcessInfo[]>, ms: number): Promise<ProcessInfo[]> {
  const end = Date.now() + ms
  for (;;) {
    const left = await find()
    if (left.length === 0 || Date.now() >= end) return left
    await sleep(10)
  }
}

function describeProcesses(list: ProcessInfo[]): string {
  return list
    .slice(0, 10)
    .map(p => `${p.pid} (${p.name}, state ${p.state})`)
    .join(', ')
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

// ─── kind 'user' ─────────────────────────────────────────────────────────────────────────────

interface Grant {
  restore: () => Promise<void>
}

class UserSandbox implements Sandbox {
  readonly kind = 'user' as const
  readonly warning = undefined
  private readonly heldAncestors: string[] = []
  private readonly grants = new Set<Grant>()
  /** Grant records on disk whose tree is not given back yet: while any is left, the user stays. */
  private readonly openRecords = new Set<string>()
  /** Directories on the action's PATH the agent can write: what it leaves there would run as the action. */
  private readonly exposedPathDirs: string[]
  /**
   * Directories on the action's PATH (as written and resolved): an ancestor a grant opens keeps
   * the way to them passable (verify-command runs `~/.cargo/bin/cargo`), everything else in it
   * is concealed.
   */
  private readonly pathDirs: string[]
  /**
   * RUNNER_TEMP: actions/checkout v6 keeps the token there in a 0644 file, and opening an
   * ancestor for a grant (/home/runner is 0750 on Ubuntu) would make it reachable. Others lose
   * r (and x, unless the sandbox must pass through it) for the sandbox's lifetime.
   */
  private readonly concealable: string[]
  private readonly kill = requireTool('kill')
  private readonly envTool = requireTool('env')
  private disposing: Promise<void> | undefined
  /** Set once the user is deleted: its uid may then belong to the next sandbox. */
  private gone = false
  /** The home as made: giveToAgent checks the home is still that directory. */
  private homeId: Recorded | undefined

  constructor(
    private readonly ops: Ops,
    readonly user: AgentUser,
    readonly home: string,
    actionEnv: NodeJS.ProcessEnv | undefined
  ) {
    const dirs = ((actionEnv ?? process.env).PATH ?? '').split(':').filter(d => path.isAbsolute(d))
    this.concealable = concealableDirs(actionEnv ?? process.env)
    this.exposedPathDirs = [...new Set(dirs)].filter(dir => {
      try {
        return canAccess(statSync(dir), user, W | X)
      } catch {
        return false
      }
    })
    const real = dirs.map(dir => {
      try {
        return realpathSync(dir)
      } catch {
        return dir
      }
    })
    this.pathDirs = [...new Set([...dirs.map(dir => path.resolve(dir)), ...real])]
  }

  async setUp(): Promise<void> {
    // The action's, and not writable by the agent: nothing in it can be renamed or replaced by it.
    const wrapper = path.dirname(this.home)
    await fs.mkdir(wrapper, { mode: 0o711 })
    await fs.chmod(wrapper, 0o711)
    await makeHome(this.home)
    this.homeId = recorded(await fs.lstat(this.home))
    // Git refuses a repository another user owns; the agent's git reads Tandem's `.git`.
    const gitconfig = path.join(this.home, '.gitconfig')
    await fs.writeFile(gitconfig, '[safe]\n\tdirectory = *\n', { mode: 0o600, flag: 'wx' })
    const entries = [
      this.home,
      ...['tmp', '.claude', '.gitconfig'].map(e => path.join(this.home, e))
    ]
    await this.ops.lchownMany(entries, this.user.uid, this.user.gid)
    // First: the home (and later a grant) may lie below it and need it passable again.
    const concealed = await registry.conceal(this.user.name, this.concealable, this.ops)
    for (const p of concealed) if (!this.heldAncestors.includes(p)) this.heldAncestors.push(p)
    await this.openAncestors(this.home)
  }

  private async openAncestors(target: string): Promise<void> {
    const held = await registry.open(this.user.name, target, this.pathDirs, this.user, this.ops)
    for (const p of held) if (!this.heldAncestors.includes(p)) this.heldAncestors.push(p)
  }

  command(file: string, args: string[], env: Record<string, string>): SpawnPlan {
    if (this.disposing) throw new Error(`The agent sandbox ${this.user.name} was disposed`)
    const agentEnv = agentEnvironment(env, this.home, this.user.name)
    const resolved = resolveExecutable(file, agentEnv.PATH, this.user)
    if (this.ops.privilege.kind === 'root') {
      // libuv drops the supplementary groups (setgroups(0)) before setgid/setuid.
      return {
        file: resolved,
        args,
        env: agentEnv,
        options: { uid: this.user.uid, gid: this.user.gid }
      }
    }
    if (resolved.includes('=')) {
      throw new Error(
        `Cannot run ${resolved} as the agent through sudo: env(1) would read its name as a variable`
      )
    }
    // sudo resets the environment, so env(1) gets it through argv: anyone on the machine can read
    // a command line (/proc/<sudo pid>/cmdline) while it runs. That is acceptable because the
    // agent env holds no secret of the action by then (no GitHub token, no runner credential):
    // only what the agent itself is given and can read in its own /proc/self/environ anyway.
    const pairs = Object.entries(agentEnv).map(([key, value]) => `${key}=${value}`)
    return {
      file: (this.ops.privilege as { sudo: string }).sudo,
      args: [
        '-n',
        '-u',
        this.user.name,
        '--',
        this.envTool,
        '-i',
        '--',
        ...pairs,
        resolved,
        ...args
      ],
      env: { ...HELPER_ENV },
      options: {}
    }
  }

  /**
   * `write`: every entry of the tree except the top-level `.git` becomes the agent's (lchown; hard
   * links, whose other names may be outside the tree, and other file systems are left alone). The
   * top directory itself stays the owner's, gets the agent's group with rwx and the sticky bit:
   * the agent creates and removes its own entries there but cannot rename or replace `.git`.
   * `read`: the top directory gets others' r-x where missing, every directory below others' x
   * where it has others' r; `.git` is left as it is.
   * Both: a file or directory below the top that others may not read (mode & 0o004 clear: e.g. a
   * 0600 `gha-creds-*.json` an earlier step left in the workspace) stays as it is, the runner's
   * and out of the agent's reach, and so does everything below such a directory. A file the
   * runner made private stays private: the agent cannot read it, though in a `write` grant it
   * can remove or rename it (the directory holding it is the agent's).
   * Every ancestor gets others' x where the agent could not traverse it (undone by dispose), and
   * what else it holds is concealed while it is open (see AncestorRegistry).
   * The path is checked first, from `/` down: it is refused when a component is owned by the agent
   * user, lies in a directory the agent may write that is not sticky (it could be replaced), or
   * is a symlink owned by anyone but root or the action's user. Root's and the action's own
   * symlinks are followed (macOS's /tmp → /private/tmp).
   * What the grant changes is recorded on disk (the action's state directory, 0600) before it
   * changes it: a run that dies before giving the tree back has it given back by the next one,
   * before the agent's uid can go to another user.
   * The returned function gives the tree back (killing the agent's processes first); see
   * giveBackWrite.
   */
  async grant(dir: string, access: 'read' | 'write'): Promise<() => Promise<void>> {
    if (this.disposing) throw new Error('The sandbox was disposed')
    const root = await this.resolveGrantRoot(dir)
    const rootSt = await fs.lstat(root)
    if (!rootSt.isDirectory()) throw new Error(`${dir} is not a directory`)
    await this.openAncestors(root)
    const restore =
      access === 'write' ? await this.grantWrite(root, rootSt) : await this.grantRead(root, rootSt)
    let done: Promise<void> | undefined
    const grant: Grant = {
      restore: () => {
        done ??= restore().finally(() => this.grants.delete(grant))
        return done
      }
    }
    this.grants.add(grant)
    return grant.restore
  }

  /** `dir` with every symlink resolved, walked from `/` down; throws for a path the agent could steer. */
  private async resolveGrantRoot(dir: string): Promise<string> {
    const refuse = (why: string): Error =>
      new Error(`Refusing to grant ${dir} to the agent user ${this.user.name}: ${why}`)
    const trusted = new Set([0, process.getuid!()])
    const pending = path.resolve(dir).split('/').filter(Boolean)
    let current = '/'
    let currentSt = await fs.lstat(current)
    let links = 0
    while (pending.length > 0) {
      const name = pending.shift()!
      if (name === '.') continue
      if (name === '..') {
        current = path.dirname(current)
        currentSt = await fs.lstat(current)
        continue
      }
      const next = path.join(current, name)
      const st = await fs.lstat(next)
      if (st.uid === this.user.uid) throw refuse(`${next} is owned by the agent user`)
      // Sticky: the agent may rename only its own entries there (and it owns none on the way).
      if (canAccess(currentSt, this.user, W) && !(currentSt.mode & S_ISVTX)) {
        throw refuse(
          `the agent user may write in ${current} (mode ${octal(currentSt.mode)}, owner uid ${currentSt.uid}), so it could replace ${next}`
        )
      }
      if (st.isSymbolicLink()) {
        if (!trusted.has(st.uid)) throw refuse(`${next} is a symlink owned by uid ${st.uid}`)
        if (++links > 40) throw refuse(`more than 40 symlinks on the way`)
        const target = await fs.readlink(next)
        pending.unshift(...target.split('/').filter(Boolean))
        if (path.isAbsolute(target)) {
          current = '/'
          currentSt = await fs.lstat(current)
        }
        continue
      }
      if (!st.isDirectory()) throw new Error(`${dir} is not a directory (${next} is not)`)
      current = next
      currentSt = st
    }
    if (currentSt.uid === this.user.uid) throw refuse(`${current} is owned by the agent user`)
    return current
  }

  private async grantRead(root: string, rootSt: Stats): Promise<() => Promise<void>> {
    const changed: Array<[string, Recorded, number]> = []
    const record: GrantRecord = {
      user: this.user.name,
      uid: this.user.uid,
      pid: process.pid,
      root,
      access: 'read',
      top: recorded(rootSt),
      handed: [],
      changed: []
    }
    const rows = (): GrantRecord['changed'] =>
      changed.map(([p, r, added]) => [p, r.dev, r.ino, r.mode, added])
    const open = async (p: string, st: Stats, top = false): Promise<boolean> => {
      // Below the top: only what others could already read (a private file stays private).
      if (!top && !(st.mode & R)) return false
      const need = st.isDirectory() ? (top ? R | X : X) : 0
      if (need === 0 || canAccess(st, this.user, need)) return true
      const added = need & ~st.mode & 0o7
      await this.ops.chmod(p, (st.mode & 0o7777) | added)
      changed.push([p, recorded(st), added])
      return true
    }
    // Recorded before anything changes; the top directory's change is the one that matters.
    const need = R | X
    if (!canAccess(rootSt, this.user, need)) {
      record.changed = [
        [root, rootSt.dev, rootSt.ino, rootSt.mode & 0o7777, need & ~rootSt.mode & 0o7]
      ]
    }
    const file = await registry.saveGrant(record)
    this.openRecords.add(file)
    await open(root, rootSt, true)
    await walkTree(root, rootSt.dev, (p, st) => open(p, st))
    await registry.saveGrant({ ...record, changed: rows() }, file)
    return async () => {
      await giveBackRead(this.ops, changed)
      await fs.rm(file, { force: true })
      this.openRecords.delete(file)
    }
  }

  private async grantWrite(root: string, rootSt: Stats): Promise<() => Promise<void>> {
    const { uid, gid } = this.user
    const before = new Map<string, Recorded>()
    const handOver: string[] = []
    await walkTree(root, rootSt.dev, (p, st) => {
      // What others may not read is not the agent's to have (nor what lies below it).
      if (!(st.mode & R)) return false
      // Another name of a hard-linked file may be outside the tree (an earlier agent could have
      // linked a system file here): chown-ing it would hand that file over.
      if (!st.isDirectory() && st.nlink > 1) return
      if (st.dev !== rootSt.dev) return
      before.set(p, recorded(st))
      handOver.push(p)
    })
    const top = recorded(rootSt)
    // Recorded before anything changes hands.
    const file = await registry.saveGrant({
      user: this.user.name,
      uid,
      pid: process.pid,
      root,
      access: 'write',
      top,
      handed: handOver.map(p => toRow(p, before.get(p)!)),
      changed: []
    })
    this.openRecords.add(file)
    await this.ops.chmod(root, top.mode | S_ISVTX | 0o070)
    await this.ops.lchownMany([root], top.uid, gid)
    await this.ops.lchownMany(handOver, uid, gid)

    return async () => {
      let killError: unknown
      await this.killAll().catch(error => (killError = error))
      await giveBackWrite(this.ops, uid, root, top, before)
      await fs.rm(file, { force: true })
      this.openRecords.delete(file)
      if (killError) throw killError
    }
  }

  /**
   * See Sandbox.giveToAgent. As root: each entry is opened without following a symlink, checked
   * (through /proc/self/fd) to be the file at that very path, and fchown-ed — no swap between the
   * check and the chown can redirect it. Through sudo (the action cannot even look into the
   * agent's 0700 home): `stat` and `chown -h` as root, and only while no process of the agent
   * runs, so nothing can swap a component in between.
   */
  async giveToAgent(paths: string[]): Promise<void> {
    if (this.disposing) throw new Error(`The agent sandbox ${this.user.name} was disposed`)
    const refuse = (given: string, why: string): Error =>
      new Error(`Refusing to give ${given} to the agent user ${this.user.name}: ${why}`)
    const targets = paths.map(given => {
      const p = path.resolve(given)
      const rel = path.relative(this.home, p)
      if (!rel || rel.startsWith('..') || path.isAbsolute(rel))
        throw refuse(given, `it is not inside the agent's home ${this.home}`)
      return {
        given,
        p,
        chain: rel.split('/').map((_, i, all) => path.join(this.home, ...all.slice(0, i + 1)))
      }
    })
    if (targets.length === 0) return
    const check = (
      given: string,
      chain: string[],
      sts: Array<{ mode: number; nlink: number }>
    ): void => {
      for (const [i, st] of sts.entries()) {
        const type = st.mode & constants.S_IFMT
        if (type === constants.S_IFLNK) throw refuse(given, `${chain[i]} is a symlink`)
        const last = i === sts.length - 1
        if (!last && type !== constants.S_IFDIR)
          throw refuse(given, `${chain[i]} is not a directory`)
        if (last && type !== constants.S_IFDIR && type !== constants.S_IFREG)
          throw refuse(given, 'it is neither a regular file nor a directory')
        if (last && type === constants.S_IFREG && st.nlink > 1)
          throw refuse(given, 'it has other hard links, maybe outside the home')
      }
    }
    const { uid, gid } = this.user
    if (this.ops.root) {
      const homeSt = lstatSync(this.home)
      if (!homeSt.isDirectory() || !sameInode(this.homeId, homeSt))
        throw refuse(paths[0]!, `${this.home} is not the home this sandbox made any more`)
      for (const { given, p, chain } of targets) {
        const sts = chain.map(c => lstatSync(c))
        check(given, chain, sts)
        const flags =
          constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY
        const fd = openSync(p, flags)
        try {
          const st = fstatSync(fd)
          const expected = sts[sts.length - 1]!
          if (st.dev !== expected.dev || st.ino !== expected.ino)
            throw refuse(given, 'it was replaced while it was checked')
          const opened = readlinkSync(`/proc/self/fd/${fd}`)
          if (opened !== p) throw refuse(given, `it resolved to ${opened}`)
          fchownSync(fd, uid, gid)
        } finally {
          closeSync(fd)
        }
      }
      return
    }
    const running = await processesOf(uid)
    if (running.length > 0) {
      throw refuse(
        paths[0]!,
        `processes of the agent user are running (${describeProcesses(running)}); call killAll() first`
      )
    }
    const all = [this.home, ...targets.flatMap(t => t.chain)]
    const out = await this.ops.must(requireTool('stat'), [
      '--printf',
      '%f %h %d %i\\n',
      '--',
      ...all
    ])
    const lines = out.split('\n').filter(Boolean)
    if (lines.length !== all.length)
      throw new Error(`stat printed ${lines.length} lines for ${all.length} paths`)
    const sts = lines.map(line => {
      const [mode = '0', nlink = '0', dev = '0', ino = '0'] = line.split(' ')
      return { mode: parseInt(mode, 16), nlink: Number(nlink), dev: Number(dev), ino: Number(ino) }
    })
    const home = sts.shift()!
    if (
      home.dev !== this.homeId?.dev ||
      home.ino !== this.homeId?.ino ||
      (home.mode & constants.S_IFMT) !== constants.S_IFDIR
    )
      throw refuse(paths[0]!, `${this.home} is not the home this sandbox made any more`)
    for (const { given, chain } of targets) check(given, chain, sts.splice(0, chain.length))
    await this.ops.must(requireTool('chown'), [
      '-h',
      '--',
      `${uid}:${gid}`,
      ...targets.map(t => t.p)
    ])
  }

  async killAll(processGroup?: number): Promise<void> {
    // After dispose the uid may be another sandbox's: killing "every process of it" would be wrong.
    if (this.gone) return
    const mine = (): Promise<ProcessInfo[]> => processesOf(this.user.uid)
    const deadline = Date.now() + KILL_DEADLINE_MS
    await this.removeLeftovers()
    for (;;) {
      // kill(-1) from the agent's uid reaches every process it may signal: all of that uid, and
      // nothing else. Linux walks the task list under tasklist_lock, which fork needs too, and a
      // fork whose parent has a pending SIGKILL fails: nothing forked meanwhile survives.
      // `-9 -1`: the one spelling procps-ng, util-linux and BusyBox kill all read as "SIGKILL to
      // pid -1" (procps-ng rejects `-s KILL -- -1`). Its exit status says nothing (procps-ng
      // exits 1 after a successful kill(-1)): what is left in /proc does.
      await this.asAgent(this.kill, ['-9', '-1'])
      if (processGroup !== undefined) signalPid(-processGroup, 'SIGKILL')
      const left = await untilNone(mine, Math.min(300, Math.max(0, deadline - Date.now())))
      if (left.length === 0) break
      if (Date.now() >= deadline) {
        throw new Error(
          `Processes of the agent user ${this.user.name} are still running ${KILL_DEADLINE_MS} ms after they were killed: ${describeProcesses(left)}`
        )
      }
      // The agent may be at its process limit (so the kill could not start as it): root kills one by one.
      if (this.ops.root) await freezeAndKill(mine)
    }
    // Again: something cron started between the first clean-up and the kill.
    await this.removeLeftovers()
  }

  private asAgent(file: string, args: string[]): Promise<RunResult> {
    return runAsUser(this.ops, this.user, file, args)
  }

  /**
   * What would outlive the session or run as the action: the agent's crontab and at jobs, and
   * programs it put in a world-writable directory on the action's PATH (on GitHub-hosted images
   * /usr/local/bin is 0777, ahead of /usr/bin). Not recursive: only direct entries run.
   */
  private async removeLeftovers(): Promise<void> {
    const spools = SPOOL_DIRS.filter(dir => isDirectory(dir))
    if (this.exposedPathDirs.length === 0 && spools.length === 0) return
    const find = requireTool('find')
    const uid = String(this.user.uid)
    if (this.exposedPathDirs.length > 0) {
      await this.ops.must(find, [
        '-P',
        ...this.exposedPathDirs,
        '-mindepth',
        '1',
        '-maxdepth',
        '1',
        '-uid',
        uid,
        '!',
        '-type',
        'd',
        '-delete'
      ])
    }
    if (spools.length > 0) {
      await this.ops.run(find, [
        '-P',
        ...spools,
        '-mindepth',
        '1',
        '-maxdepth',
        '1',
        '(',
        '-uid',
        uid,
        '-o',
        '-name',
        this.user.name,
        ')',
        '!',
        '-type',
        'd',
        '-delete'
      ])
    }
  }

  dispose(): Promise<void> {
    this.disposing ??= this.tearDown()
    return this.disposing
  }

  private async tearDown(): Promise<void> {
    const errors: string[] = []
    const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn()
      } catch (error) {
        errors.push(`${what}: ${(error as Error).message}`)
      }
    }
    await attempt('kill', () => this.killAll())
    for (const grant of [...this.grants])
      await attempt('give back a granted tree', () => grant.restore())
    // The uid is reused by the next `useradd --system`: nothing of this agent may be found by it.
    // Not after a failed give-back: a granted tree under /tmp would lose the agent's work.
    const temps = errors.length === 0 ? TEMP_DIRS.filter(dir => isDirectory(dir)) : []
    if (temps.length > 0) {
      await attempt('clean temp dirs', () =>
        this.ops.run(
          requireTool('find'),
          ['-P', ...temps, '-xdev', '-uid', String(this.user.uid), '-delete'],
          120_000
        )
      )
    }
    await attempt('remove the home', () => this.ops.removeTree(path.dirname(this.home)))
    await attempt('undo ancestor permissions', () =>
      registry.close(this.user.name, this.heldAncestors, this.ops)
    )
    await attempt('remove the user', async () => {
      // userdel refuses a user with processes; a process cron started after the kill is ended here.
      await this.killAll().catch(() => undefined)
      // A tree still owned by the agent would belong to whoever gets its uid next: the user stays
      // (a stale one once this process is gone) until a later run has given the tree back.
      if (this.openRecords.size > 0) {
        throw new Error(
          `kept, because ${this.openRecords.size} granted tree(s) are not given back; the next sandbox made on this machine gives them back and removes the user`
        )
      }
      await deleteUser(this.ops, this.user)
      this.gone = true
    })
    if (errors.length > 0)
      throw new Error(
        `Disposing of the agent sandbox ${this.user.name} failed: ${errors.join('; ')}`
      )
  }
}

/**
 * RUNNER_TEMP, whoever owns it (in a container job the runner's uid on the host owns it and the
 * job runs as root: root may chmod it, and sudo chmod through Ops.chmod), unless it is a system
 * or world-writable directory (/tmp or the like).
 */
function concealableDirs(env: NodeJS.ProcessEnv): string[] {
  const temp = env.RUNNER_TEMP?.trim()
  if (!temp || !path.isAbsolute(temp)) return []
  try {
    const real = realpathSync(temp)
    const st = statSync(real)
    const system = ['/', ...TEMP_DIRS, os.userInfo().homedir]
    if (!st.isDirectory() || st.mode & 0o002 || system.includes(real)) {
      return []
    }
    return [real]
  } catch {
    return []
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function agentEnvironment(
  env: Record<string, string>,
  home: string,
  user: string
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    if (key === '' || key.includes('=') || key.includes('\0'))
      throw new Error(`Invalid environment variable name ${JSON.stringify(key)}`)
    out[key] = value
  }
  return {
    ...out,
    HOME: home,
    USER: user,
    LOGNAME: user,
    TMPDIR: path.join(home, 'tmp'),
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    CLAUDE_CODE_TMPDIR: path.join(home, 'tmp')
  }
}

/**
 * The absolute path `file` resolves to on the agent's PATH, checked to be runnable by the agent:
 * every directory on the way searchable, the file executable (and readable when it is a script).
 * A relative path with a slash depends on the spawn cwd and is returned unchecked.
 */
function resolveExecutable(file: string, searchPath: string | undefined, user: AgentUser): string {
  if (file.includes('/')) {
    if (!path.isAbsolute(file)) return file
    const problem = whyNotRunnable(file, user)
    if (problem)
      throw new Error(
        `The agent user ${user.name} (uid ${user.uid}) cannot run ${file}: ${problem}`
      )
    return file
  }
  let firstProblem: string | undefined
  for (const dir of (searchPath ?? '').split(':')) {
    if (!path.isAbsolute(dir)) continue
    const candidate = path.join(dir, file)
    if (!isFile(candidate)) continue
    const problem = whyNotRunnable(candidate, user)
    if (!problem) return candidate
    firstProblem ??= `${candidate}: ${problem}`
  }
  if (firstProblem)
    throw new Error(
      `The agent user ${user.name} (uid ${user.uid}) cannot run ${file}: ${firstProblem}`
    )
  // Not found: spawn reports ENOENT as it would without a sandbox.
  return file
}

function whyNotRunnable(file: string, user: AgentUser): string | undefined {
  let real: string
  try {
    real = realpathSync(file)
  } catch {
    return undefined
  }
  const hint =
    'install it where others may read it (e.g. claude-path), or grant(<its directory>, "read") first'
  for (const chain of [file, real]) {
    for (const dir of ancestorsOf(chain).reverse()) {
      const st = statSync(dir)
      if (!canAccess(st, user, X)) {
        return `${dir} (mode ${octal(st.mode)}, owner uid ${st.uid}) gives it no search (x) permission; ${hint}`
      }
    }
  }
  const st = statSync(real)
  if (!canAccess(st, user, X))
    return `${real} (mode ${octal(st.mode)}, owner uid ${st.uid}) is not executable by it; ${hint}`
  if (isScript(real) && !canAccess(st, user, R)) {
    return `${real} is a script (mode ${octal(st.mode)}, owner uid ${st.uid}) it cannot read; ${hint}`
  }
  return undefined
}

function isScript(file: string): boolean {
  try {
    const fd = openSync(file, 'r')
    try {
      const head = Buffer.alloc(2)
      return readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!'
    } finally {
      closeSync(fd)
    }
  } catch {
    return false
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0')
}

// ─── kind 'none' ─────────────────────────────────────────────────────────────────────────────

function fallbackWarning(reason: string | undefined): string {
  const who = (() => {
    try {
      const info = os.userInfo()
      return `${info.username} (uid ${info.uid})`
    } catch {
      return 'the action’s user'
    }
  })()
  const leftovers =
    process.platform === 'linux'
      ? 'a process they start that clears or rewrites its environment (e.g. `env -i`) is not found by the end-of-session clean-up and can outlive the session'
      : 'a process they start outside their process group outlives the session (no /proc to find it)'
  return (
    `Agent code is not isolated from the action${reason ? `: ${reason}` : ''}. ` +
    `Agent sessions and verify-command run as ${who}, the action's own user, so they can read ` +
    `/proc/<pid>/environ of the action process (the GitHub token, the model API key and the ` +
    `runner's ACTIONS_* credentials), write every file this user can write (the checkout's .git: ` +
    `hooks and config that Tandem's later git commands read), and ${leftovers}. Run the job as ` +
    `root (a container job) or give the runner user passwordless sudo to run agent code as a ` +
    `separate user.`
  )
}

class SharedUserSandbox implements Sandbox {
  readonly kind = 'none' as const
  readonly user = undefined
  private disposing: Promise<void> | undefined

  constructor(
    readonly home: string,
    private readonly nonce: string,
    readonly warning: string
  ) {}

  command(file: string, args: string[], env: Record<string, string>): SpawnPlan {
    let user = 'unknown'
    try {
      user = os.userInfo().username
    } catch {
      // Keep 'unknown'.
    }
    return {
      file,
      args,
      env: { ...agentEnvironment(env, this.home, user), [NONCE_VARIABLE]: this.nonce },
      options: {}
    }
  }

  async grant(): Promise<() => Promise<void>> {
    // The agent is the action's own user: it can already read and write what the action can.
    return async () => undefined
  }

  async giveToAgent(): Promise<void> {
    // What the action copies into the home is already the agent's: they are the same user.
  }

  async killAll(processGroup?: number): Promise<void> {
    if (processGroup !== undefined) signalPid(-processGroup, 'SIGKILL')
    if (process.platform !== 'linux') return
    const needle = Buffer.from(`${NONCE_VARIABLE}=${this.nonce}`)
    const marked = (): Promise<ProcessInfo[]> =>
      processesOf(process.getuid!(), async pid => {
        const environ = await fs.readFile(`/proc/${pid}/environ`).catch(() => Buffer.alloc(0))
        return environ.includes(needle)
      })
    const deadline = Date.now() + KILL_DEADLINE_MS
    for (;;) {
      await freezeAndKill(marked)
      const left = await untilNone(marked, Math.min(200, Math.max(0, deadline - Date.now())))
      if (left.length === 0) return
      if (Date.now() >= deadline) {
        throw new Error(
          `Agent processes are still running ${KILL_DEADLINE_MS} ms after they were killed: ${describeProcesses(left)}`
        )
      }
    }
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      await this.killAll()
      await fs.rm(this.home, { recursive: true, force: true })
    })()
    return this.disposing
  }
}
