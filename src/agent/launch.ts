import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Inputs } from '../inputs.js'
import { withCredentialsHidden } from '../git/credentials.js'
import { buildAgentEnv } from './argv.js'
import { locateClaude } from './locate.js'
import type { SessionReport } from './report.js'
import { runSession } from './session.js'

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
}

export async function prepareAgent(inputs: Inputs): Promise<Agent> {
  const binary = await locateClaude({
    claudePath: inputs.claudePath,
    claudeVersion: inputs.claudeVersion
  })
  core.info(`Claude Code: ${binary}`)
  return {
    binary,
    cwd: inputs.workingDirectory,
    env: buildAgentEnv(process.env, {
      anthropicApiKey: inputs.anthropicApiKey,
      secrets: inputs.githubToken ? [inputs.githubToken] : []
    }),
    model: inputs.model,
    maxTurns: inputs.maxTurns,
    maxBudgetUsd: inputs.maxBudgetUsd,
    timeoutMs: Math.round(inputs.timeoutMinutes * 60_000),
    claudeArgs: inputs.claudeArgs,
    disallowedTools: [...inputs.disallowedTools, ...runnerSecretsDenied(process.env)],
    transcriptDir: path.join(process.env.RUNNER_TEMP || tmpdir(), 'tandem')
  }
}

/**
 * The runner's temp folder holds what no agent should read: actions/checkout v6 keeps the
 * credentials file that .git/config includes there, and so does Tandem's own scratch space.
 * Claude Code's absolute-path rules start with `//`.
 */
export function runnerSecretsDenied(env: NodeJS.ProcessEnv): string[] {
  const temp = env.RUNNER_TEMP?.trim()
  if (!temp || !path.isAbsolute(temp)) return []
  const rule = `/${temp.replace(/\/+$/, '')}/**`
  return [`Read(${rule})`, `Edit(${rule})`]
}

export interface SessionTask {
  /** Names the session in logs and file names: "writer", "reviewer", "run". */
  label: string
  prompt: string
  allowedTools: string[]
  jsonSchema?: object
  /** The schema asks for a report that is nice to have: a session without it still succeeded. */
  structuredOutputOptional?: boolean
  settingSources?: string
  resumeSessionId?: string
  /** Run somewhere else than the working directory (a worktree at the PR head). */
  cwd?: string
}

export async function runAgent(agent: Agent, task: SessionTask): Promise<SessionReport> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const executionFile = path.join(
    agent.transcriptDir,
    `${task.label}-${stamp}-${randomBytes(3).toString('hex')}.ndjson`
  )
  // Every session, reviewer included: the checkout's stored git credentials are out of reach
  // while an agent runs (worktrees share the checkout's config, so it is hidden there).
  const report = await withCredentialsHidden(agent.cwd, () =>
    runSession({
      ...task,
      binary: agent.binary,
      cwd: task.cwd ?? agent.cwd,
      env: agent.env,
      timeoutMs: agent.timeoutMs,
      executionFile,
      model: agent.model,
      maxTurns: agent.maxTurns,
      maxBudgetUsd: agent.maxBudgetUsd,
      disallowedTools: agent.disallowedTools,
      extraArgs: agent.claudeArgs
    })
  )
  // A denied tool does not fail the CLI: every denial is said out loud, whatever the mode.
  for (const denial of report.denials) {
    core.warning(`Claude Code ${task.label} was denied ${denial.tool} ${denial.input}`.trim())
  }
  return report
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

/** Appends markdown to the job summary when the runner provides one. */
export async function appendJobSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  await core.summary.addRaw(markdown, true).write()
}
