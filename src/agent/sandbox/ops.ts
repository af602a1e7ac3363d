// Privilege and helper commands (what needs root goes in-process as root or through `sudo -n`, by
// absolute path from root-owned directories, with a fixed environment), and small fs helpers.
import { execFile } from 'node:child_process'
import { lchownSync, promises as fs, realpathSync, statSync } from 'node:fs'
import path from 'node:path'

export const HELPER_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' }
export const TRUSTED_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin']
/** Where agent code could leave something that outlives it: cron and at spool directories. */
export const SPOOL_DIRS = [
  '/var/spool/cron',
  '/var/spool/cron/crontabs',
  '/var/spool/cron/tabs',
  '/var/spool/cron/atjobs',
  '/var/spool/at'
]
/** World-writable places whose agent-owned leftovers dispose() removes (the uid is reused). */
export const TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm']
export const S_ISUID = 0o4000
export const S_ISGID = 0o2000
export const S_ISVTX = 0o1000
export const R = 4
export const W = 2
export const X = 1

// ─── privilege and helper commands ───────────────────────────────────────────────────────────

type Privilege = { kind: 'root' } | { kind: 'sudo'; sudo: string }

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

export function run(
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

export function describeRun(file: string, args: string[], result: RunResult): string {
  const shown = [file, ...args].join(' ')
  const command = shown.length > 300 ? `${shown.slice(0, 300)}…` : shown
  const status = result.code === null ? 'could not run or was killed' : `exited with ${result.code}`
  return `\`${command}\` ${status}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`
}

/** A program in a root-owned directory nobody else can write, or undefined. */
export function trustedTool(...names: string[]): string | undefined {
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

export function requireTool(...names: string[]): string {
  const found = trustedTool(...names)
  if (!found) throw new Error(`${names[0]} was not found in ${TRUSTED_DIRS.join(', ')}`)
  return found
}

export async function detectPrivilege(): Promise<{ privilege: Privilege } | { reason: string }> {
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
export class Ops {
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

export function batches(paths: string[], maxBytes = 100_000): string[][] {
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

// ─── walking trees ───────────────────────────────────────────────────────────────────────────

export async function ignoreMissing<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Lets the event loop run (streams of sessions running meanwhile) between chunks of sync calls. */
export function breather(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}

export const CHUNK = 1000

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}
