import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import {
  chmod,
  lchown,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  symlink
} from 'node:fs/promises'
import path from 'node:path'
import { gitDirsOf } from './git.js'

/*
 * What agent code changed in git's and Claude's config is undone.
 *
 * An agent session or a `verify-command` runs in the checkout and can write `.git/config`
 * (`core.fsmonitor`, a filter, `core.sshCommand` + `url.*.insteadOf`, `includeIf`),
 * `.git/hooks/*`, `.git/info/attributes`, or the CLI's user settings (hooks that every later
 * session runs). `guardConfig` snapshots those files (contents, modes, symlink targets) before,
 * and `restore()` puts the snapshot back and says what had changed.
 *
 * Nesting with `withCredentialsHidden` (credentials.ts): the guard goes INSIDE it —
 *   withCredentialsHidden(cwd, async () => {
 *     const guard = await guardConfig(cwd, extra)
 *     try { await agent() } finally { changes = await guard.restore() }
 *   })
 * so the snapshot is taken after the credential entries were removed and restored before they
 * are re-added; the guard never sees them come or go, and reports only what the agent did. The
 * other way round, re-adding the entries (git appends new sections) would show up as a change
 * of .git/config and the restore would run while the credentials were still hidden.
 *
 * Symlinks are never followed: neither when reading (O_NOFOLLOW), nor when deleting (the link
 * itself goes), nor when writing (a new file is created exclusively beside the target and
 * renamed over it, which replaces a link rather than writing through it). A guarded path whose
 * parent directory was swapped for a symlink meanwhile is not touched at all; `restore()`
 * throws after restoring everything else.
 *
 * Parallel sessions that share one common git dir (worktrees) should share ONE guard around
 * all of them: a guard restores the whole common .git/config to what it was when it was made.
 */

export interface GuardChange {
  path: string
  kind: 'added' | 'changed' | 'removed'
}

export interface ConfigGuard {
  /** Restores the snapshot and returns what had changed (empty when nothing did). */
  restore(): Promise<GuardChange[]>
}

interface Owner {
  uid: number
  gid: number
}

type Entry =
  | ({ type: 'file'; mode: number; content: Buffer } & Owner)
  | ({ type: 'dir'; mode: number } & Owner)
  | ({ type: 'symlink'; target: string } & Owner)
  // A fifo, socket or device: compared, removed when added, never recreated.
  | ({ type: 'other'; mode: number } & Owner)

type Tree = Map<string, Entry>

interface Root {
  path: string
  /** Where its parent directory really is, once symlinks are followed. */
  parent: string
}

interface Snapshot {
  roots: Root[]
  tree: Tree
}

const MODE_BITS = 0o7777
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)
const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0)

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** The real location of `file`'s parent: the nearest existing ancestor, resolved, + the rest. */
async function realParent(file: string): Promise<string> {
  const rest: string[] = []
  let dir = path.dirname(file)
  for (;;) {
    try {
      return path.join(await realpath(dir), ...rest.reverse())
    } catch (error) {
      if (!isMissing(error)) throw error
      const up = path.dirname(dir)
      if (up === dir) return path.join(dir, ...rest.reverse())
      rest.push(path.basename(dir))
      dir = up
    }
  }
}

/** Reads a regular file without following a symlink put in its place. */
async function readNoFollow(file: string): Promise<{ content: Buffer; mode: number } | undefined> {
  let handle
  try {
    handle = await open(file, READ_FLAGS)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // ELOOP: it became a symlink after lstat; ENXIO: a fifo/socket.
    if (isMissing(error) || code === 'ELOOP' || code === 'ENXIO') return undefined
    throw error
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) return undefined
    return { content: await handle.readFile(), mode: stat.mode & MODE_BITS }
  } finally {
    await handle.close()
  }
}

async function walk(file: string, tree: Tree): Promise<void> {
  let stat
  try {
    stat = await lstat(file)
  } catch (error) {
    if (isMissing(error)) return
    throw error
  }
  const owner = { uid: stat.uid, gid: stat.gid }
  if (stat.isSymbolicLink()) {
    tree.set(file, { type: 'symlink', target: await readlink(file), ...owner })
  } else if (stat.isDirectory()) {
    tree.set(file, { type: 'dir', mode: stat.mode & MODE_BITS, ...owner })
    let names: string[]
    try {
      names = await readdir(file)
    } catch (error) {
      if (isMissing(error)) return
      if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error
      // Made unreadable (by its owner, we are that user): look inside, then leave it as it was.
      await chmod(file, (stat.mode & MODE_BITS) | 0o700)
      try {
        names = await readdir(file)
        await Promise.all(names.map(name => walk(path.join(file, name), tree)))
      } finally {
        await chmod(file, stat.mode & MODE_BITS)
      }
      return
    }
    await Promise.all(names.map(name => walk(path.join(file, name), tree)))
  } else if (stat.isFile()) {
    const read = await readNoFollow(file)
    if (read) tree.set(file, { type: 'file', ...read, ...owner })
    else await walk(file, tree) // replaced between lstat and open: look again
  } else {
    tree.set(file, { type: 'other', mode: stat.mode & MODE_BITS, ...owner })
  }
}

async function readTree(roots: Root[]): Promise<Tree> {
  const tree: Tree = new Map()
  await Promise.all(roots.map(root => walk(root.path, tree)))
  return tree
}

function same(a: Entry, b: Entry): boolean {
  if (a.type !== b.type) return false
  switch (a.type) {
    case 'file':
      return b.type === 'file' && a.mode === b.mode && a.content.equals(b.content)
    case 'symlink':
      return b.type === 'symlink' && a.target === b.target
    default:
      return 'mode' in b && a.mode === b.mode
  }
}

const depth = (file: string) => file.split(path.sep).length
const asRoot = process.getuid?.() === 0

async function chownLike(file: string, entry: Entry): Promise<void> {
  if (asRoot) await lchown(file, entry.uid, entry.gid)
}

/** A temporary name beside `file`, in the same directory (so rename is atomic). */
function besides(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.tandem-${randomBytes(6).toString('hex')}`
  )
}

/** Writes a file or symlink at `file`, replacing whatever is there without following it. */
export async function replaceNoFollow(
  file: string,
  entry:
    | { type: 'file'; content: Buffer | string; mode: number; uid?: number; gid?: number }
    | { type: 'symlink'; target: string; uid?: number; gid?: number }
): Promise<void> {
  const temporary = besides(file)
  try {
    if (entry.type === 'symlink') {
      await symlink(entry.target, temporary)
    } else {
      const handle = await open(temporary, CREATE_FLAGS, 0o600)
      try {
        await handle.writeFile(entry.content)
        if (asRoot && entry.uid !== undefined && entry.gid !== undefined) {
          await handle.chown(entry.uid, entry.gid)
        }
        // After chown, which may clear set-id bits; explicit, so the umask does not apply.
        await handle.chmod(entry.mode & MODE_BITS)
      } finally {
        await handle.close()
      }
    }
    if (entry.type === 'symlink' && asRoot && entry.uid !== undefined && entry.gid !== undefined) {
      await lchown(temporary, entry.uid, entry.gid)
    }
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

async function takeSnapshot(paths: string[]): Promise<Snapshot> {
  const unique = [...new Set(paths.map(file => path.resolve(file)))].sort()
  // A path inside another guarded one is covered by it.
  const outer = unique.filter(
    file => !unique.some(other => other !== file && file.startsWith(other + path.sep))
  )
  const roots = await Promise.all(
    outer.map(async file => ({ path: file, parent: await realParent(file) }))
  )
  return { roots, tree: await readTree(roots) }
}

function under(file: string, root: string): boolean {
  return file === root || file.startsWith(root + path.sep)
}

async function restoreSnapshot(snapshot: Snapshot): Promise<GuardChange[]> {
  const changes: GuardChange[] = []
  const swapped: string[] = []
  const roots: Root[] = []
  for (const root of snapshot.roots) {
    if ((await realParent(root.path)) === root.parent) roots.push(root)
    else swapped.push(root.path)
  }
  const current = await readTree(roots)
  const inScope = (file: string) => roots.some(root => under(file, root.path))

  // 0. Directories the agent made read-only are opened up while their entries are fixed; every
  //    directory of the snapshot that this touches gets its own mode back at the end.
  const reset = new Set<string>()
  for (const [file, entry] of current) {
    if (entry.type === 'dir' && (entry.mode & 0o700) !== 0o700) {
      await chmod(file, entry.mode | 0o700)
      reset.add(file)
    }
  }

  // 1. What is new, or is now of another type, goes (deepest first, links themselves).
  const gone = new Set<string>()
  for (const [file, entry] of [...current].sort((a, b) => depth(b[0]) - depth(a[0]))) {
    const before = snapshot.tree.get(file)
    if (before && before.type === entry.type) continue
    changes.push({ path: file, kind: before ? 'changed' : 'added' })
    gone.add(file)
    await rm(file, { recursive: true, force: true })
  }

  // 2. What was there comes back, directories before what they hold.
  const rootPaths = new Set(roots.map(root => root.path))
  for (const [file, entry] of [...snapshot.tree].sort((a, b) => depth(a[0]) - depth(b[0]))) {
    if (!inScope(file)) continue
    const now = gone.has(file) ? undefined : current.get(file)
    if (now && same(now, entry)) continue
    if (!gone.has(file)) changes.push({ path: file, kind: now ? 'changed' : 'removed' })
    // A guarded path whose directory went (`.git/info`, `~/.claude`) gets it back.
    if (!now && rootPaths.has(file)) await mkdir(path.dirname(file), { recursive: true })
    if (entry.type === 'dir') {
      // Writable while its entries are restored; its own mode is set last.
      if (now) await chmod(file, entry.mode | 0o700)
      else await mkdir(file, { mode: 0o700 })
      await chownLike(file, entry)
      reset.add(file)
    } else if (entry.type === 'file' || entry.type === 'symlink') {
      await replaceNoFollow(file, entry)
    }
    // 'other' (a fifo, socket or device) cannot be recreated from a snapshot; it is reported.
  }
  const deepestFirst = [...reset].sort((a, b) => depth(b) - depth(a))
  for (const file of deepestFirst) {
    const entry = snapshot.tree.get(file)
    if (entry?.type === 'dir') await chmod(file, entry.mode)
  }

  if (swapped.length > 0) {
    throw new Error(
      `the parent directory of ${swapped.join(', ')} was replaced (by a symlink?) during the ` +
        'session; those paths were not restored'
    )
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * The paths a guard watches for the repository that `gitDir` (a git dir, or any directory of a
 * work tree) belongs to: the common config, both worktree configs, the hooks and the info
 * attributes — plus `extraPaths` (files or directories, e.g. the agent's
 * `~/.claude/settings.json`, `settings.local.json`, `~/.gitconfig`).
 */
export async function guardedPaths(gitDir: string, extraPaths: string[]): Promise<string[]> {
  const dirs = await gitDirsOf(gitDir).catch(() => undefined)
  // Not a repository (run mode in a plain folder): Tandem runs no git there, the extras remain.
  if (dirs === undefined) return [...new Set(extraPaths.map(file => path.resolve(file)))]
  const paths = [
    path.join(dirs.commonDir, 'config'),
    path.join(dirs.commonDir, 'config.worktree'),
    path.join(dirs.gitDir, 'config.worktree'),
    path.join(dirs.commonDir, 'hooks'),
    path.join(dirs.commonDir, 'info', 'attributes'),
    ...extraPaths.map(file => path.resolve(file))
  ]
  return [...new Set(paths)]
}

/** Snapshots exactly these files or directories now; `restore()` puts them back. */
export async function guardPaths(paths: string[]): Promise<ConfigGuard> {
  const snapshot = await takeSnapshot([...new Set(paths.map(file => path.resolve(file)))])
  return { restore: () => restoreSnapshot(snapshot) }
}

/** Snapshots the guarded paths now; `restore()` puts them back. */
export async function guardConfig(gitDir: string, extraPaths: string[]): Promise<ConfigGuard> {
  const snapshot = await takeSnapshot(await guardedPaths(gitDir, extraPaths))
  return { restore: () => restoreSnapshot(snapshot) }
}
