import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { ScriptedApi } from './anthropic-api.js'
import { claudeBinary, claudeTestEnv } from './claude.js'

const DIST = path.join(import.meta.dirname, '..', '..', 'dist', 'index.js')

export interface ActionRun {
  exitCode: number | null
  /** The action's stdout: log lines and workflow commands (::warning::, ::group::, …). */
  log: string
  stderr: string
  outputs: Record<string, string>
  /** What the action appended to the job summary. */
  summary: string
  durationMs: number
}

export interface RunActionOptions {
  /** Action inputs by their action.yml names, e.g. { mode: 'run', 'max-turns': '3' }. */
  inputs: Record<string, string>
  api: ScriptedApi
  /** A scratch directory: HOME, RUNNER_TEMP and the GitHub command files live under it. */
  home: string
  workspace: string
  /** Extra environment (GITHUB_* context, a token under another name, ...). */
  env?: Record<string, string>
  /** Kill the action after this long; default 60 s. */
  timeoutMs?: number
  /**
   * The `claude-path` input; default the pinned binary from node_modules. `null` leaves the
   * input out, so the action finds the CLI itself (PATH, tool cache, npm install).
   */
  claudePath?: string | null
}

/** Spawns the bundled action the way the runner does: INPUT_* variables and command files. */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const runnerTemp = path.join(options.home, 'runner-temp')
  mkdirSync(runnerTemp, { recursive: true })
  const outputFile = path.join(runnerTemp, 'github-output')
  const summaryFile = path.join(runnerTemp, 'step-summary.md')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const env: Record<string, string> = {
    ...claudeTestEnv(options.api, options.home),
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: path.join(options.home, 'tool-cache'),
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_ACTIONS: 'true',
    ...(options.claudePath === null
      ? {}
      : { 'INPUT_CLAUDE-PATH': options.claudePath ?? claudeBinary() }),
    ...options.env
  }
  for (const [name, value] of Object.entries(options.inputs)) {
    env[`INPUT_${name.toUpperCase()}`] = value
  }
  const started = Date.now()
  const child = spawn(process.execPath, [DIST], { cwd: options.workspace, env, stdio: 'pipe' })
  let log = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdin.end()
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', code => resolve(code))
  }).finally(() => clearTimeout(timer))
  return {
    exitCode,
    log,
    stderr,
    outputs: existsSync(outputFile) ? parseOutputFile(readFileSync(outputFile, 'utf8')) : {},
    summary: existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '',
    durationMs: Date.now() - started
  }
}

/** Reads $GITHUB_OUTPUT as the runner does: `name<<DELIMITER` … `DELIMITER` blocks. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!)
      outputs[name!] = value.join('\n')
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return outputs
}
