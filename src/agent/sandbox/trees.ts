// Walking a granted tree, and giving back what a grant changed in it.
import { lstatSync, readdirSync, promises as fs, type Stats } from 'node:fs'
import path from 'node:path'
import {
  batches,
  breather,
  CHUNK,
  ignoreMissing,
  Ops,
  requireTool,
  S_ISGID,
  S_ISUID
} from './ops.js'
import type { GrantRecord } from './ancestors.js'

/**
 * Every entry below `root` (not `root` itself), top-down: a directory is visited before it is read,
 * so a visit can make it readable first, or keep the walk out of it by returning false. lstat
 * only: symlinks are visited, never followed; the top-level `.git` is skipped; mount points are
 * visited but not entered. Sync calls in chunks: several times faster than one promise per entry,
 * and the event loop still runs every ~1000.
 */
export async function walkTree(
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

export interface Recorded {
  dev: number
  ino: number
  uid: number
  gid: number
  mode: number
}

export function recorded(st: Stats): Recorded {
  return { dev: st.dev, ino: st.ino, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 }
}

export function sameInode(a: Recorded | undefined, st: Stats): a is Recorded {
  return a !== undefined && a.dev === st.dev && a.ino === st.ino
}

type Row = [string, number, number, number, number, number]

export function toRow(p: string, r: Recorded): Row {
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
export async function giveBackWrite(
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
export async function giveBackRead(
  ops: Ops,
  changed: Array<[string, Recorded, number]>
): Promise<void> {
  for (const [p, before, added] of changed) {
    const st = await ignoreMissing(fs.lstat(p))
    if (st && sameInode(before, st) && !st.isSymbolicLink()) {
      await ops.chmod(p, st.mode & 0o7777 & ~added)
    }
  }
}

/** Gives back what a grant record says a grant (of a run that is gone) changed. */
export async function giveBackRecord(ops: Ops, record: GrantRecord): Promise<void> {
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
