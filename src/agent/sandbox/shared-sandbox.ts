// kind 'none': agent code as the action's own user, where no user of its own can be made.
import { promises as fs } from 'node:fs'
import os from 'node:os'
import type { Sandbox, SpawnPlan } from '../sandbox.js'
import { agentEnvironment } from './environment.js'
import {
  describeProcesses,
  freezeAndKill,
  KILL_DEADLINE_MS,
  processesOf,
  type ProcessInfo,
  signalPid,
  untilNone
} from './processes.js'

/** The variable command() puts in every agent environment of a fallback sandbox. */
const NONCE_VARIABLE = 'TANDEM_SANDBOX'

// ─── kind 'none' ─────────────────────────────────────────────────────────────────────────────

export function fallbackWarning(reason: string | undefined): string {
  const who = (() => {
    try {
      const info = os.userInfo()
      return `${info.username} (uid ${info.uid})`
    } catch {
      return 'the action’s user'
    }
  })()
  const leftovers =
    process.platform === 'linux'
      ? 'a process they start that clears or rewrites its environment (e.g. `env -i`) is not found by the end-of-session clean-up and can outlive the session'
      : 'a process they start outside their process group outlives the session (no /proc to find it)'
  return (
    `Agent code is not isolated from the action${reason ? `: ${reason}` : ''}. ` +
    `Agent sessions and verify-command run as ${who}, the action's own user, so they can read ` +
    `/proc/<pid>/environ of the action process (the GitHub token, the model API key and the ` +
    `runner's ACTIONS_* credentials), write every file this user can write (the checkout's .git: ` +
    `hooks and config that Tandem's later git commands read), and ${leftovers}. Run the job as ` +
    `root (a container job) or give the runner user passwordless sudo to run agent code as a ` +
    `separate user.`
  )
}

export class SharedUserSandbox implements Sandbox {
  readonly kind = 'none' as const
  readonly user = undefined
  private disposing: Promise<void> | undefined

  constructor(
    readonly home: string,
    private readonly nonce: string,
    readonly warning: string
  ) {}

  command(file: string, args: string[], env: Record<string, string>): SpawnPlan {
    let user = 'unknown'
    try {
      user = os.userInfo().username
    } catch {
      // Keep 'unknown'.
    }
    return {
      file,
      args,
      env: { ...agentEnvironment(env, this.home, user), [NONCE_VARIABLE]: this.nonce },
      options: {}
    }
  }

  async grant(): Promise<() => Promise<void>> {
    // The agent is the action's own user: it can already read and write what the action can.
    return async () => undefined
  }

  async giveToAgent(): Promise<void> {
    // What the action copies into the home is already the agent's: they are the same user.
  }

  async killAll(processGroup?: number): Promise<void> {
    if (processGroup !== undefined) signalPid(-processGroup, 'SIGKILL')
    if (process.platform !== 'linux') return
    const needle = Buffer.from(`${NONCE_VARIABLE}=${this.nonce}`)
    const marked = (): Promise<ProcessInfo[]> =>
      processesOf(process.getuid!(), async pid => {
        const environ = await fs.readFile(`/proc/${pid}/environ`).catch(() => Buffer.alloc(0))
        return environ.includes(needle)
      })
    const deadline = Date.now() + KILL_DEADLINE_MS
    for (;;) {
      await freezeAndKill(marked)
      const left = await untilNone(marked, Math.min(200, Math.max(0, deadline - Date.now())))
      if (left.length === 0) return
      if (Date.now() >= deadline) {
        throw new Error(
          `Agent processes are still running ${KILL_DEADLINE_MS} ms after they were killed: ${describeProcesses(left)}`
        )
      }
    }
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      await this.killAll()
      await fs.rm(this.home, { recursive: true, force: true })
    })()
    return this.disposing
  }
}
