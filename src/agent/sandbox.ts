/**
 * Agent code (a CLI session and everything it starts; a verify-command and everything it starts)
 * runs as a dedicated unprivileged user, created for one sandbox and removed with it:
 *
 * - another uid cannot read `/proc/<action pid>/environ` (the GitHub token, the model API key and
 *   the runner's ACTIONS_* credentials are in that block, whatever the action deletes later);
 * - the checkout's `.git` stays the action's, and the directory holding it is sticky, so the agent
 *   can neither write into it nor rename it away and plant another one;
 * - `kill(-1)` sent by that uid ends every process it left behind (`&`, `setsid`, double forks),
 *   and on Linux it is atomic with respect to fork: no child created during the kill escapes it;
 * - what the agent gets is handed over by root without following anything the agent could have
 *   planted (grant refuses such a path, giveToAgent an entry reached through a symlink), never
 *   includes what others could not read already (a 0600 credentials file an earlier step left),
 *   and an ancestor opened for it shows nothing but the way through (`~/.gitconfig` stays out of
 *   reach); a run that dies has its grants given back by the next one, before the uid is reused.
 *
 * Root creates the user directly (a container job); a non-root action with passwordless sudo (the
 * GitHub-hosted runners) goes through `sudo -n`. Anywhere else `fallbackSandbox` runs agent code
 * as the action's own user and says, in `warning`, exactly what is then not isolated.
 *
 * Tandem's own helper commands never go through a shell, get a fixed PATH and environment (never
 * the action's, which carries the token), and are run by absolute path from root-owned directories
 * only: `/usr/local/bin` is world-writable on GitHub-hosted images, and sudo's secure_path searches
 * it first, so a bare `chown` there could be an agent's program running as root.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { detectPrivilege, Ops, TRUSTED_DIRS, trustedTool } from './sandbox/ops.js'
import {
  createUser,
  deleteUser,
  ensureParent,
  makeHome,
  reapStaleSandboxes,
  userHome
} from './sandbox/users.js'
import { UserSandbox } from './sandbox/user-sandbox.js'
import { fallbackWarning, SharedUserSandbox } from './sandbox/shared-sandbox.js'

export type IsolationKind = 'user' | 'none'

export interface AgentUser {
  name: string
  uid: number
  gid: number
}

export interface SpawnPlan {
  file: string
  args: string[]
  env: Record<string, string>
  options: { uid?: number; gid?: number }
}

export interface Sandbox {
  kind: IsolationKind
  user?: AgentUser
  /**
   * The agent's own HOME (owned by the agent user): CLAUDE_CONFIG_DIR = home/.claude, TMPDIR =
   * home/tmp. Created 0700; kind 'user' in a directory of the action's the agent may only pass.
   * Below it everything is the agent's: a path there may cross a symlink it planted.
   */
  home: string
  /** Why isolation is partial; undefined when kind === 'user'. The caller prints it as a warning. */
  warning?: string
  /**
   * What to pass to child_process.spawn to run `file` as the agent. `env` is the agent env as
   * built by the caller; HOME, USER, LOGNAME, TMPDIR, CLAUDE_CONFIG_DIR and CLAUDE_CODE_TMPDIR are
   * set to the sandbox's. Throws when the agent user could not run `file` (naming the directory or
   * file that stops it).
   */
  command(file: string, args: string[], env: Record<string, string>): SpawnPlan
  /**
   * Lets the agent read (`read`) or read and write (`write`) a directory tree, and traverse every
   * ancestor. Resolves to the function that gives the tree back; call it after killAll() (it kills
   * again itself). Refuses a path the agent could have steered (a symlink it made, a directory it
   * owns or could replace). A file or directory others could not read stays out of the agent's
   * reach. See UserSandbox.grant for the details.
   */
  grant(dir: string, access: 'read' | 'write'): Promise<() => Promise<void>>
  /**
   * Makes each of `paths` (inside `home`: files and directories Tandem put there, e.g. a session
   * to resume) the agent's own: that entry only, never recursively, never through a symlink (a
   * symlink anywhere below `home` on the way is refused). No-op for kind 'none'.
   */
  giveToAgent(paths: string[]): Promise<void>
  /**
   * Kills every process of the agent user (kind 'user'), or (kind 'none') every process carrying
   * this sandbox's TANDEM_SANDBOX nonce plus the given process group. Resolves when none is left,
   * rejects when some survive 2 s.
   */
  killAll(processGroup?: number): Promise<void>
  /** Kills, gives back every tree still granted, undoes ancestor permission changes, removes the user and its home. Idempotent. */
  dispose(): Promise<void>
}

export interface SandboxOptions {
  /**
   * Where the agent's home is created: an OS temp dir the caller picks. Kind 'user':
   * `<parentDir>/<name>-home/home`, in a directory of the action's (0711) so the agent, which
   * owns its home, cannot rename it away and leave a symlink there. Kind 'none':
   * `<parentDir>/<name>-home`.
   */
  parentDir: string
  /** Names the sandbox in the user's comment field, e.g. "writer". */
  label?: string
  /** The action's environment (default process.env): its PATH tells which directories hold programs the action runs. */
  env?: NodeJS.ProcessEnv
}

export interface FallbackOptions extends SandboxOptions {
  /** Why no agent user could be made; it starts the warning. */
  reason?: string
}

// ─── entry points ────────────────────────────────────────────────────────────────────────────

/**
 * A sandbox with a user of its own when the action is root or has passwordless sudo on Linux,
 * else the fallback. Fails (after cleaning up) only when the user was made but could not be set
 * up; a user that cannot be made at all means the fallback, its warning saying why.
 */
export async function prepareSandbox(options: SandboxOptions): Promise<Sandbox> {
  const privilege = await detectPrivilege()
  if ('reason' in privilege) return fallbackSandbox({ ...options, reason: privilege.reason })
  const ops = new Ops(privilege.privilege)
  const missing = [
    'kill',
    'env',
    'find',
    'true',
    ...(ops.root ? [] : ['chown', 'chmod', 'rm'])
  ].filter(tool => !trustedTool(tool))
  if (missing.length > 0) {
    return fallbackSandbox({
      ...options,
      reason: `${missing.join(', ')} not found in ${TRUSTED_DIRS.join(', ')}`
    })
  }
  const parent = await ensureParent(options.parentDir)
  await reapStaleSandboxes(ops)
  let user: AgentUser
  try {
    user = await createUser(ops, parent, options.label)
  } catch (error) {
    return fallbackSandbox({ ...options, reason: (error as Error).message })
  }
  let sandbox: UserSandbox | undefined
  try {
    sandbox = new UserSandbox(ops, user, userHome(parent, user.name), options.env)
    await sandbox.setUp()
  } catch (error) {
    if (sandbox) await sandbox.dispose().catch(() => undefined)
    else await deleteUser(ops, user).catch(() => undefined)
    throw error
  }
  return sandbox
}

/**
 * The sandbox when no second user is possible: agent code runs as the action's own user, with
 * its own HOME, and leftovers are found by a nonce in their environment. A process that clears
 * or rewrites its environment (`env -i`, exec with a new env) is not found: that, and the
 * shared uid, is why kind 'user' is preferred.
 */
export async function fallbackSandbox(options: FallbackOptions): Promise<Sandbox> {
  const parent = await ensureParent(options.parentDir)
  const name = `tandem-${randomBytes(4).toString('hex')}`
  const home = path.join(parent, `${name}-home`)
  await makeHome(home)
  return new SharedUserSandbox(
    home,
    randomBytes(16).toString('hex'),
    fallbackWarning(options.reason)
  )
}
