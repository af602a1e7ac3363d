import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ScriptedApi } from './anthropic-api.js'

const require = createRequire(import.meta.url)

/** The platform package's name the way the wrapper's install.cjs builds it. */
function platformKey(): string {
  if (process.platform === 'linux') {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }
    const musl = !report?.header?.glibcVersionRuntime
    return `linux-${process.arch}${musl ? '-musl' : ''}`
  }
  return `${process.platform}-${process.arch}`
}

/**
 * Absolute path of the native `claude` binary from the installed platform package. Resolved
 * directly, not through the wrapper's bin/, so it works after `npm install --ignore-scripts`.
 */
export function claudeBinary(): string {
  const pkg = `@anthropic-ai/claude-code-${platformKey()}`
  const manifest = require.resolve(`${pkg}/package.json`)
  return path.join(path.dirname(manifest), process.platform === 'win32' ? 'claude.exe' : 'claude')
}

/**
 * The environment for running the real CLI against a scripted API, offline and fast. Built
 * from scratch rather than from process.env so a developer's own key, config dir or proxy
 * never leaks into a test.
 */
export function claudeTestEnv(api: ScriptedApi, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    // The CLI keeps config and sessions here; pinned so an inherited value can't redirect it.
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    CLAUDE_CODE_TMPDIR: path.join(home, 'tmp'),
    TMPDIR: path.join(home, 'tmp'),
    ANTHROPIC_BASE_URL: api.url,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    // Only the model API is ours: telemetry, auto-update, feedback and title calls go nowhere.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    // The default is 10 retries with backoff (~3 minutes); a scripted failure must fail now.
    CLAUDE_CODE_MAX_RETRIES: '0',
    API_TIMEOUT_MS: '15000',
    // Keeps the loopback API away from any proxy a CI machine configures.
    NO_PROXY: '127.0.0.1,localhost'
  }
}

export interface TempDir {
  path: string
  cleanup(): void
}

/** A fresh directory under the OS temp dir; `cleanup()` removes it and is safe to call twice. */
export function makeTempDir(prefix: string): TempDir {
  const dir = mkdtempSync(path.join(tmpdir(), prefix.endsWith('-') ? prefix : `${prefix}-`))
  return { path: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface RunClaudeOptions {
  api: ScriptedApi
  home: string
  cwd: string
  prompt: string
  /** Arguments after `-p --output-format stream-json --verbose`. */
  args?: string[]
  /** Added to (or, with `undefined`, removed from) claudeTestEnv. */
  env?: Record<string, string | undefined>
  /** The run is killed after this; default 60 s. */
  timeoutMs?: number
}

export interface ClaudeRun {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** The CLI's exact stdout. */
  stdout: string
  stderr: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- stream-json events, read freely by tests
  events: any[]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the last `result` event, if any
  result: any
  durationMs: number
}

/** Runs the real CLI headless with the prompt on stdin, the way Tandem does. */
export async function runClaude(options: RunClaudeOptions): Promise<ClaudeRun> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries({
    ...claudeTestEnv(options.api, options.home),
    ...options.env
  })) {
    if (value !== undefined) env[key] = value
  }
  const args = ['-p', '--output-format', 'stream-json', '--verbose', ...(options.args ?? [])]
  const started = Date.now()
  const child = spawn(claudeBinary(), args, { cwd: options.cwd, env, stdio: 'pipe' })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdin.end(options.prompt)
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
    (resolve, reject) => {
      child.once('error', reject)
      child.once('close', (code, sig) => resolve([code, sig]))
    }
  ).finally(() => clearTimeout(timer))
  const events = stdout
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => {
      try {
        return JSON.parse(line) as unknown
      } catch {
        return { type: 'unparsed', line }
      }
    })
  const result = [...events].reverse().find(event => (event as { type?: string }).type === 'result')
  return { exitCode, signal, stdout, stderr, events, result, durationMs: Date.now() - started }
}
