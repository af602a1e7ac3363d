import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildAgentEnv } from './argv.js'
import { holdCheckout, releaseAllHolds, reportChanges } from './checkout-hold.js'
import { agentConfigFiles, agentDenyRules, agentHomeRules } from './deny-rules.js'
import { locateClaude } from './locate.js'
import { modelAccess } from './model-access.js'
import type { SessionReport } from './report.js'
import { prepareSandbox, type Sandbox } from './sandbox.js'
import { runSession } from './session.js'
import type { AgentSettings, CheckoutKeeper } from './settings.js'
import { claudeConfigDir, exportSessions, importSession } from './sessions.js'

/** What every session of one action run shares: the binary, the environment, the limits. */
export interface Agent {
  binary: string
  cwd: string
  env: Record<string, string>
  model: string | undefined
  maxTurns: number
  maxBudgetUsd: number | undefined
  timeoutMs: number
  claudeArgs: string[]
  disallowedTools: string[]
  transcriptDir: string
  /**
   * Where agent code of a role runs: a user of its own (or, where none can be made, the
   * fallback), made on first use. The reviewer never shares one with the writer, whose code
   * could leave instructions in that home (`~/.claude/CLAUDE.md`, agents, commands) for it.
   */
  sandbox(role: string): Promise<Sandbox>
  /** The runner's CLI config folder: sessions are kept there for later steps to resume. */
  sessionStore: string
  /** How the checkout is kept while agent code runs in it (see AgentSettings.checkout). */
  checkout: CheckoutKeeper
}

/** What the end of the run gives back: agent users, proxies. Last made, first released. */
const releases: (() => Promise<void>)[] = []

/** Ends everything prepareAgent started; main calls it once, also when the run failed. */
export async function releaseAgents(): Promise<void> {
  while (releases.length > 0) {
    const release = releases.pop()!
    await release().catch(error =>
      core.warning(`Cleaning up after the agent failed: ${(error as Error).message}`)
    )
  }
}

// Agent code under way, and whether the job is being cancelled.
let running = 0
let cancelling = false
let listening = false
const sandboxes: Sandbox[] = []

/**
 * A cancelled job gets SIGINT, then SIGTERM, then is killed. Agent code is stopped at once; the
 * run then unwinds only as far as putting the credentials and configuration back, and exits
 * before anything else — a commit, a push, a post — can happen.
 */
function stopOnCancel(): void {
  if (listening) return
  listening = true
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cancelling) return
    cancelling = true
    core.warning(`Cancelled (${signal}): stopping agent code, then cleaning up`)
    for (const sandbox of sandboxes) void sandbox.killAll().catch(() => undefined)
    if (running === 0) void exitCancelled()
  }
  // `on`, not `once`: a second signal must not find Node's default handler, which would kill
  // the process while it is putting the checkout back.
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

async function exitCancelled(): Promise<never> {
  // A hold a mode took for all its sessions (withCheckoutHeld) would otherwise end only after
  // the mode's code went on: the checkout's credentials and configuration go back first.
  await releaseAllHolds()
  await releaseAgents()
  process.exit(1)
}

async function makeSandbox(role: string): Promise<Sandbox> {
  const made = await prepareSandbox({ parentDir: tmpdir(), label: role })
  releases.push(() => made.dispose())
  sandboxes.push(made)
  if (made.warning) core.warning(made.warning)
  else core.info(`The ${role}'s code runs as ${made.user?.name} (uid ${made.user?.uid})`)
  return made
}

export async function prepareAgent(settings: AgentSettings): Promise<Agent> {
  const binary = await locateClaude({
    claudePath: settings.claudePath,
    claudeVersion: settings.claudeVersion
  })
  core.info(`Claude Code: ${binary}`)
  stopOnCancel()
  const byRole = new Map<string, Promise<Sandbox>>()
  const model = await modelAccess(settings.anthropicApiKey, process.env, release =>
    releases.push(release)
  )
  return {
    binary,
    cwd: settings.workingDirectory,
    env: buildAgentEnv(process.env, { secrets: settings.secrets, model: model.env }),
    model: settings.model,
    maxTurns: settings.maxTurns,
    maxBudgetUsd: settings.maxBudgetUsd,
    timeoutMs: Math.round(settings.timeoutMinutes * 60_000),
    claudeArgs: settings.claudeArgs,
    disallowedTools: [...settings.disallowedTools, ...agentDenyRules(process.env)],
    transcriptDir: path.join(process.env.RUNNER_TEMP || tmpdir(), 'tandem'),
    sandbox: role => {
      let made = byRole.get(role)
      if (made === undefined) {
        made = makeSandbox(role)
        byRole.set(role, made)
      }
      return made
    },
    sessionStore: claudeConfigDir(process.env),
    checkout: settings.checkout
  }
}

export interface SessionTask {
  /** Names the session in logs and file names: "writer", "reviewer", "run". */
  label: string
  prompt: string
  allowedTools: string[]
  /** The only built-in tools offered (`--tools`); every built-in tool when undefined. */
  tools?: string[]
  strictMcpConfig?: boolean
  jsonSchema?: object
  /** The schema asks for a report that is nice to have: a session without it still succeeded. */
  structuredOutputOptional?: boolean
  settingSources?: string
  resumeSessionId?: string
  /** Run somewhere else than the working directory (a worktree at the PR head). */
  cwd?: string
  /** `read` for a session that must not change the tree (the reviewer); default `write`. */
  access?: 'read' | 'write'
  /** The sandbox, for sessions that run at the same time (see AgentCodeRun.role). */
  role?: string
}

export async function runAgent(agent: Agent, task: SessionTask): Promise<SessionReport> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const executionFile = path.join(
    agent.transcriptDir,
    `${task.label}-${stamp}-${randomBytes(3).toString('hex')}.ndjson`
  )
  const cwd = task.cwd ?? agent.cwd
  const run: AgentCodeRun = { label: task.label, dir: cwd, access: task.access, role: task.role }
  let home: string | undefined
  const report = await asAgent(agent, run, async sandbox => {
    home = sandbox.home
    // Before the session and after the last one's processes were killed: nothing of the agent's
    // runs while Tandem writes into its home.
    if (task.resumeSessionId) {
      await importSession(agent.sessionStore, sandbox, cwd, task.resumeSessionId)
    }
    return runSession({
      ...task,
      binary: agent.binary,
      cwd,
      env: agent.env,
      spawnAs: (file, args, env) => agentCommand(sandbox, file, args, env),
      // Through sudo a signal reaches sudo, not what the agent started: kill the user's all.
      killAll: () => sandbox.killAll(),
      timeoutMs: agent.timeoutMs,
      executionFile,
      model: agent.model,
      maxTurns: agent.maxTurns,
      maxBudgetUsd: agent.maxBudgetUsd,
      // The agent's own settings: a hook planted there would run in every later session.
      disallowedTools: [...agent.disallowedTools, ...agentHomeRules(sandbox.home)],
      extraArgs: agent.claudeArgs
    })
  })
  // Kept where the runner's own CLI would keep it, so a later step can resume; read only now
  // that every process of the agent is gone, so none can swap a file for a symlink.
  if (home !== undefined && report.sessionId) {
    await exportSessions(home, agent.sessionStore, cwd, report.sessionId).catch(error =>
      core.warning(`Could not keep the session file: ${(error as Error).message}`)
    )
  }
  // A denied tool does not fail the CLI: every denial is said out loud, whatever the mode.
  for (const denial of report.denials) {
    core.warning(`Claude Code ${task.label} was denied ${denial.tool} ${denial.input}`.trim())
  }
  return report
}

/** How agent code is started in its sandbox; nothing starts once the job is being cancelled. */
export function agentCommand(
  sandbox: Sandbox,
  file: string,
  args: string[],
  env: Record<string, string>
): ReturnType<Sandbox['command']> {
  if (cancelling) throw new Error('the job is being cancelled: no agent code starts')
  return sandbox.command(file, args, env)
}

export interface AgentCodeRun {
  /** Names what runs in warnings: "writer", "verify-command". */
  label: string
  /** The tree it works in. */
  dir: string
  /** `read` for a reviewer (its own sandbox); else it may change the tree, never its .git. */
  access?: 'read' | 'write'
  /**
   * The sandbox it runs in; default `reviewer` for `read`, else `writer`. Agent code that runs
   * at the same time as other agent code needs a sandbox of its own (`writer-2`): the end of a
   * run kills every process of its sandbox's user.
   */
  role?: string
}

/**
 * The one way agent code runs — a session, verify-command: with the checkout's stored
 * credentials held by this process, in the role's sandbox, and afterwards every process it
 * started killed, the tree given back, and what it changed in git's or the CLI's configuration
 * (hooks, fsmonitor, settings hooks) put back before any git command of Tandem's runs again.
 */
export async function asAgent<T>(
  agent: Agent,
  run: AgentCodeRun,
  fn: (sandbox: Sandbox) => Promise<T>
): Promise<T> {
  if (cancelling) return exitCancelled()
  running++
  try {
    const sandbox = await agent.sandbox(run.role ?? (run.access === 'read' ? 'reviewer' : 'writer'))
    const releaseCheckout = await holdCheckout(agent.checkout, agent.cwd, run.label)
    try {
      const guard = await agent.checkout.guardFiles(agentConfigFiles(sandbox.home))
      const giveBack = await sandbox.grant(run.dir, run.access ?? 'write')
      try {
        return await fn(sandbox)
      } finally {
        await sandbox.killAll()
        await giveBack()
        reportChanges(run.label, await guard.restore())
      }
    } finally {
      await releaseCheckout()
    }
  } finally {
    running--
    if (cancelling && running === 0) await exitCancelled()
  }
}

/**
 * Holds the checkout (its stored credentials out, its git configuration guarded) for all of
 * `fn`: a mode that runs many sessions (a shard) takes it once, so the credentials do not come
 * and go between them.
 */
export async function withCheckoutHeld<T>(
  agent: Agent,
  label: string,
  fn: () => Promise<T>
): Promise<T> {
  const release = await holdCheckout(agent.checkout, agent.cwd, label)
  try {
    return await fn()
  } finally {
    await release()
  }
}

/** The outputs every session sets (CONTRACT.md, "Every session"). */
export function sessionOutputs(report: SessionReport): Record<string, string> {
  return {
    'session-id': report.sessionId ?? '',
    conclusion: report.conclusion,
    'cost-usd': String(report.costUsd),
    'num-turns': String(report.numTurns),
    'duration-ms': String(report.durationMs),
    result: report.result ?? '',
    'structured-output':
      report.structuredOutput === undefined ? '' : JSON.stringify(report.structuredOutput),
    'execution-file': report.executionFile
  }
}

/** Why a step fails when its session did not succeed, with what the CLI said. */
export function sessionFailure(label: string, report: SessionReport): string {
  const errors = report.errors.length > 0 ? `: ${report.errors.join('; ')}` : ''
  return `The ${label} session ended with '${report.conclusion}'${errors}`
}
