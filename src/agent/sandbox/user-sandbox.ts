// Over 400 lines: one class, UserSandbox, whose methods share its grants, held ancestors and disposal.
import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  lstatSync,
  readlinkSync,
  openSync,
  promises as fs,
  realpathSync,
  statSync,
  type Stats
} from 'node:fs'
import path from 'node:path'
import type { AgentUser, Sandbox, SpawnPlan } from '../sandbox.js'
import {
  HELPER_ENV,
  isDirectory,
  Ops,
  R,
  requireTool,
  type RunResult,
  S_ISVTX,
  SPOOL_DIRS,
  TEMP_DIRS,
  W,
  X
} from './ops.js'
import {
  giveBackRead,
  giveBackWrite,
  recorded,
  type Recorded,
  sameInode,
  toRow,
  walkTree
} from './trees.js'
import { agentEnvironment, concealableDirs, octal, resolveExecutable } from './environment.js'
import { canAccess, type GrantRecord, registry } from './ancestors.js'
import { deleteUser, makeHome, removeSpoolJobs, runAsUser } from './users.js'
import {
  describeProcesses,
  freezeAndKill,
  KILL_DEADLINE_MS,
  processesOf,
  type ProcessInfo,
  signalPid,
  untilNone
} from './processes.js'

// ─── kind 'user' ─────────────────────────────────────────────────────────────────────────────

interface Grant {
  restore: () => Promise<void>
}

export class UserSandbox implements Sandbox {
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
    await removeSpoolJobs(this.ops, this.user, spools)
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
