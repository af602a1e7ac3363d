// What agent code of a user sandbox sees: its environment, the executables it may run, what is concealed.
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { isFile, R, TEMP_DIRS, X } from './ops.js'
import type { AgentUser } from '../sandbox.js'
import { ancestorsOf, canAccess } from './ancestors.js'

/**
 * RUNNER_TEMP, whoever owns it (in a container job the runner's uid on the host owns it and the
 * job runs as root: root may chmod it, and sudo chmod through Ops.chmod), unless it is a system
 * or world-writable directory (/tmp or the like).
 */
export function concealableDirs(env: NodeJS.ProcessEnv): string[] {
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

export function agentEnvironment(
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
export function resolveExecutable(
  file: string,
  searchPath: string | undefined,
  user: AgentUser
): string {
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

export function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0')
}
