import { git } from './git.js'

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
 * Takes the checkout's persisted credentials out of the local git config while `fn` runs, and
 * puts them back afterwards. The agent can read `.git/config`, and a token it reads reaches the
 * model provider and may be written into a file that is then pushed; with the entries gone there
 * is nothing to read, and the push that follows has its credentials back.
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
  for (const key of keys) await git(cwd, ['config', '--local', '--unset-all', key])
  try {
    return await fn()
  } finally {
    for (const key of keys)
      await git(cwd, ['config', '--local', '--unset-all', key], { allowFailure: true })
    for (const { key, value } of entries) await git(cwd, ['config', '--local', '--add', key, value])
  }
}
