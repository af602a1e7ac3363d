// The agent user: made, reaped when a dead run left it, and deleted with what it left; its home.
import { randomBytes } from 'node:crypto'
import { promises as fs, realpathSync } from 'node:fs'
import path from 'node:path'
import {
  describeRun,
  isDirectory,
  isFile,
  Ops,
  requireTool,
  run,
  type RunResult,
  sleep,
  SPOOL_DIRS,
  TEMP_DIRS,
  TRUSTED_DIRS,
  trustedTool
} from './ops.js'
import type { AgentUser } from '../sandbox.js'
import { registry } from './ancestors.js'
import { pidAlive, processesOf, untilNone } from './processes.js'
import { giveBackRecord } from './trees.js'

// ─── the agent user ──────────────────────────────────────────────────────────────────────────

export async function createUser(
  ops: Ops,
  parent: string,
  label: string | undefined
): Promise<AgentUser> {
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

export function runAsUser(
  ops: Ops,
  user: AgentUser,
  file: string,
  args: string[]
): Promise<RunResult> {
  if (ops.privilege.kind === 'root')
    return run(file, args, { uid: user.uid, gid: user.gid, timeoutMs: 5000 })
  return run(ops.privilege.sudo, ['-n', '-u', user.name, '--', file, ...args], { timeoutMs: 5000 })
}

/**
 * Users of sandboxes whose creating process is gone (a crashed or cancelled run: the runner
 * cannot kill, nor even see the environment of, another uid's processes): their processes are
 * killed, the user and its home removed. Best effort; a live sandbox's creator is alive.
 */
export async function reapStaleSandboxes(ops: Ops): Promise<void> {
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
  await removeSpoolJobs(
    ops,
    user,
    spools.filter(dir => isDirectory(dir))
  )
}

/**
 * Deletes `user`'s cron and at jobs in `spools`: what it owns, or a file named after it (a
 * crontab). Direct entries only, never a directory: only those run.
 */
export async function removeSpoolJobs(ops: Ops, user: AgentUser, spools: string[]): Promise<void> {
  if (spools.length === 0) return
  await ops.run(requireTool('find'), [
    '-P',
    ...spools,
    '-mindepth',
    '1',
    '-maxdepth',
    '1',
    '(',
    '-uid',
    String(user.uid),
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

export async function deleteUser(ops: Ops, user: AgentUser): Promise<void> {
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
export function userHome(parent: string, name: string): string {
  return path.join(parent, `${name}-home`, 'home')
}

export async function ensureParent(parentDir: string): Promise<string> {
  await fs.mkdir(parentDir, { recursive: true })
  return fs.realpath(parentDir)
}

/** home, home/tmp and home/.claude, 0700. mkdir without `recursive`: a home that exists (planted) is an error. */
export async function makeHome(home: string): Promise<void> {
  await fs.mkdir(home, { mode: 0o700 })
  await fs.chmod(home, 0o700)
  for (const sub of ['tmp', '.claude']) await fs.mkdir(path.join(home, sub), { mode: 0o700 })
}
