import { constants } from 'node:fs'
import { lstat, mkdir, open, readlink, rm } from 'node:fs/promises'
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
  const listed = await git(
    cwd,
    ['config', '--local', '--null', '--get-regexp', CREDENTIAL_KEYS],
    // Exit 1: no such entry, the usual case with persist-credentials: false.
    { allowFailure: true }
  )
  const entries = listed.exitCode === 0 ? parseConfigZ(listed.stdout) : []
  const keys = [...new Set(entries.map(entry => entry.key))]
  const includes = entries.filter(entry => /^includeif\./i.test(entry.key) && entry.value !== '')
  // The local config is <common dir>/config; relative include paths start from there.
  const configDir = includes.length > 0 ? (await gitDirsOf(cwd)).commonDir : ''
  const files = [...new Set(includes.map(entry => includeTarget(entry.value, configDir)))]

  const held: HeldFile[] = []
  let outcome: { ok: true; value: T } | { ok: false; error: unknown }
  try {
    for (const key of keys) await git(cwd, ['config', '--local', '--unset-all', key])
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
  for (const key of keys)
    await git(cwd, ['config', '--local', '--unset-all', key], { allowFailure: true })
  for (const { key, value } of entries) await git(cwd, ['config', '--local', '--add', key, value])
  if (failures.length > 0) {
    throw new Error(`could not restore the checkout's credentials file: ${String(failures[0])}`, {
      cause: outcome.ok ? undefined : outcome.error
    })
  }
  if (!outcome.ok) throw outcome.error
  return outcome.value
}
