// Ancestors opened for a grant, and grant records, shared by every sandbox of the machine.
import { createHash, randomBytes } from 'node:crypto'
import { lstatSync, readdirSync, promises as fs, type Stats } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Recorded } from './trees.js'
import { ignoreMissing, Ops, R, sleep, W, X } from './ops.js'
import { pidAlive } from './processes.js'
import type { AgentUser } from '../sandbox.js'

export function ancestorsOf(dir: string): string[] {
  const out: string[] = []
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    out.push(current)
    if (current === path.dirname(current)) return out
  }
}

export function canAccess(st: Stats, user: { uid: number; gid: number }, bits: number): boolean {
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
export interface GrantRecord {
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

export const registry = new AncestorRegistry()
