import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, readlink, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { git, gitDirsOf } from './git.js'
import { replaceNoFollow } from './guard.js'

/**
 * Local config entries that carry or point at a credential: actions/checkout's
 * `http.<url>.extraheader` (AUTHORIZATION: basic base64(x-access-token:TOKEN)), and from v6 on
 * the `includeIf.gitdir:….path` that includes a credentials file kept under RUNNER_TEMP.
 */
const CREDENTIAL_KEYS = '^(http\\..+\\.extraheader|includeif\\..+\\.path)$'

export interface ConfigEntry {
  key: string
  value: string
}

/** Parses `git config --null --get-regexp`: `key\nvalue\0` per entry (no `\n` when valueless). */
export function parseConfigZ(output: string): ConfigEntry[] {
  const entries: ConfigEntry[] = []
  for (const record of output.split('\0')) {
    if (record === '') continue
    const newline = record.indexOf('\n')
    entries.push(
      newline < 0
        ? { key: record, value: '' }
        : { key: record.slice(0, newline), value: record.slice(newline + 1) }
    )
  }
  return entries
}

/**
 * The file an include path names, resolved as git does: `~/` is the home directory, and a
 * relative path is relative to the directory of the config file that holds it — for
 * `.git/config` that is the (common) git directory.
 */
export function includeTarget(value: string, configDir: string): string {
  if (value.startsWith('~/')) return path.join(process.env.HOME ?? os.homedir(), value.slice(2))
  return path.resolve(configDir, value)
}

/** A credentials file taken off the disk while the agent runs: a regular file, or a symlink. */
type HeldFile =
  | { path: string; type: 'file'; content: Buffer; mode: number; uid: number; gid: number }
  | { path: string; type: 'symlink'; target: string; uid: number; gid: number }

/** Reads `file` (never through a symlink) into memory and removes it. */
async function hold(file: string): Promise<HeldFile | undefined> {
  let stat
  try {
    stat = await lstat(file)
  } catch {
    return undefined // already gone: nothing to hold
  }
  const owner = { uid: stat.uid, gid: stat.gid }
  let held: HeldFile
  if (stat.isSymbolicLink()) {
    // The link goes, its target is not ours to move (git follows it; we do not).
    held = { path: file, type: 'symlink', target: await readlink(file), ...owner }
  } else if (stat.isFile()) {
    const handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
    try {
      const fstat = await handle.stat()
      held = {
        path: file,
        type: 'file',
        content: await handle.readFile(),
        mode: fstat.mode & 0o7777,
        ...owner
      }
    } finally {
      await handle.close()
    }
  } else {
    return undefined
  }
  await rm(file, { force: true })
  return held
}

/** Puts a held file back, whatever happened at its path meanwhile. */
async function putBack(held: HeldFile): Promise<void> {
  await mkdir(path.dirname(held.path), { recursive: true })
  const existing = await lstat(held.path).catch(() => undefined)
  if (existing?.isDirectory()) await rm(held.path, { recursive: true, force: true })
  await replaceNoFollow(held.path, held)
}

/**
 * Takes the checkout's persisted credentials out of the local git config while `fn` runs, and
 * puts them back afterwards. The agent can read `.git/config`, and a token it reads reaches the
 * model provider and may be written into a file that is then pushed; with the entries gone there
 * is nothing to read, and the push that follows has its credentials back.
 *
 * actions/checkout v6 keeps the token in the file that its `includeIf` entry points at (under
 * RUNNER_TEMP, mode 0644, readable by anything on the runner): each file a removed `includeIf`
 * entry names is read into memory, removed while `fn` runs, and written back (same content,
 * mode and owner) afterwards — also when `fn` throws, and also when the file vanished or was
 * replaced meanwhile.
 */
export async function withCredentialsHidden<T>(cwd: string, fn: () => Promise<T>): Promise<T> {
  const configs = await credentialConfigs(cwd)
  const found: { file: string; entries: ConfigEntry[] }[] = []
  for (const file of configs) {
    const listed = await git(
      cwd,
      ['config', '--file', file, '--null', '--get-regexp', CREDENTIAL_KEYS],
      // Exit 1: no such entry, the usual case with persist-credentials: false.
      { allowFailure: true }
    )
    if (listed.exitCode === 0) found.push({ file, entries: parseConfigZ(listed.stdout) })
  }
  // A relative include path starts from the directory of the config file that holds it.
  const targets = found.flatMap(({ file, entries }) =>
    entries
      .filter(entry => /^includeif\./i.test(entry.key) && entry.value !== '')
      .map(entry => includeTarget(entry.value, path.dirname(file)))
  )
  const files = [...new Set(targets)]
  const unsetAll = async (allowFailure: boolean): Promise<void> => {
    for (const { file, entries } of found) {
      for (const key of new Set(entries.map(entry => entry.key))) {
        await git(cwd, ['config', '--file', file, '--unset-all', key], { allowFailure })
      }
    }
  }

  const held: HeldFile[] = []
  let outcome: { ok: true; value: T } | { ok: false; error: unknown }
  try {
    await unsetAll(false)
    for (const file of files) {
      const one = await hold(file)
      if (one) held.push(one)
    }
    outcome = { ok: true, value: await fn() }
  } catch (error) {
    outcome = { ok: false, error }
  }
  const failures: unknown[] = []
  for (const one of held) await putBack(one).catch(error => failures.push(error))
  await unsetAll(true)
  for (const { file, entries } of found) {
    for (const { key, value } of entries) {
      await git(cwd, ['config', '--file', file, '--add', key, value])
    }
  }
  if (failures.length > 0) {
    throw new Error(`could not restore the checkout's credentials file: ${String(failures[0])}`, {
      cause: outcome.ok ? undefined : outcome.error
    })
  }
  if (!outcome.ok) throw outcome.error
  return outcome.value
}

/**
 * Every config file of the repository that actions/checkout may have put credentials in: the
 * common config, and each submodule's (`submodules:` with persisted credentials writes the
 * auth header into `.git/modules/<name>/config`, nested ones deeper), and the worktree configs.
 * None when `cwd` is not a repository.
 */
async function credentialConfigs(cwd: string): Promise<string[]> {
  const dirs = await gitDirsOf(cwd).catch(() => undefined)
  if (dirs === undefined) return []
  const files = [path.join(dirs.commonDir, 'config')]
  const walk = async (dir: string): Promise<void> => {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      return
    }
    for (const name of names) {
      const sub = path.join(dir, name)
      if (!(await lstat(sub)).isDirectory()) continue
      // A submodule's name may hold slashes: a folder without a config is part of a name.
      if (await isFile(path.join(sub, 'config'))) {
        files.push(path.join(sub, 'config'))
        await walk(path.join(sub, 'modules'))
      } else {
        await walk(sub)
      }
    }
  }
  await walk(path.join(dirs.commonDir, 'modules'))
  for (const file of [
    path.join(dirs.commonDir, 'config.worktree'),
    path.join(dirs.gitDir, 'config.worktree')
  ]) {
    if (await isFile(file)) files.push(file)
  }
  return [...new Set(files)]
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isFile()
  } catch {
    return false
  }
}
