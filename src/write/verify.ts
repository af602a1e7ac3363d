import * as core from '@actions/core'
import { spawn } from 'node:child_process'
import { StringDecoder } from 'node:string_decoder'
import { agentCommand, asAgent, type Agent } from '../agent/launch.js'
import type { SpawnPlan } from '../agent/sandbox.js'
import { logUntrusted } from '../github/emit.js'

export type VerifyStatus = 'passed' | 'failed' | 'none'

/** The outcome of `verify-command`; status `none` when no command was given or it did not run. */
export interface VerifyResult {
  status: VerifyStatus
  command?: string
  /** Null when the command was killed (timeout) or could not start. */
  exitCode?: number | null
  timedOut?: boolean
  /** The end of its combined stdout and stderr, cleaned for display (see tailOutput). */
  tail?: string
  /** Whether output was left out before the tail. */
  truncated?: boolean
  durationMs?: number
}

export const NO_VERIFY: VerifyResult = { status: 'none' }

export interface TailLimits {
  maxLines: number
  maxBytes: number
}

export const DEFAULT_TAIL: TailLimits = { maxLines: 60, maxBytes: 4096 }

// CSI and OSC sequences (colours, cursor moves, hyperlinks) that test runners print on a TTY-less
// CI anyway; in a pull request body they are noise.
// eslint-disable-next-line no-control-regex -- escape sequences are what this removes
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g

/**
 * The last lines of a command's output as a person would have seen them in a terminal: colour
 * codes removed, a progress line rewritten with '\r' reduced to its last state, trailing blank
 * lines dropped; at most `maxLines` lines and `maxBytes` bytes of UTF-8, whole lines when a
 * line fits.
 */
export function tailOutput(
  output: string,
  limits: TailLimits = DEFAULT_TAIL
): { text: string; truncated: boolean } {
  const lines = output
    .replace(ANSI, '')
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map(line => line.slice(line.lastIndexOf('\r') + 1))
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop()
  let truncated = lines.length > limits.maxLines
  const kept = lines.slice(-limits.maxLines)
  let bytes = 0
  let first = kept.length
  while (first > 0) {
    const size = Buffer.byteLength(kept[first - 1]!) + (first < kept.length ? 1 : 0)
    if (bytes + size > limits.maxBytes) break
    bytes += size
    first--
  }
  if (first > 0) truncated = true
  let text = kept.slice(first).join('\n')
  if (first === kept.length && kept.length > 0) {
    // Not even the last line fits: keep its end, cut on a character boundary.
    text = lastBytes(kept[kept.length - 1]!, limits.maxBytes)
  }
  return { text, truncated }
}

function lastBytes(text: string, maxBytes: number): string {
  const chars = [...text]
  let bytes = 0
  let start = chars.length
  while (start > 0 && bytes + Buffer.byteLength(chars[start - 1]!) <= maxBytes) {
    bytes += Buffer.byteLength(chars[start - 1]!)
    start--
  }
  return chars.slice(start).join('')
}

/** Keeps only the end of a stream, so a command that prints gigabytes cannot exhaust memory. */
class RollingBuffer {
  private chunks: Buffer[] = []
  private size = 0
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.size += chunk.length
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length
    }
  }
  text(): string {
    const all = Buffer.concat(this.chunks)
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8')
  }
}

export interface RunVerifyOptions {
  cwd: string
  /** The agent's environment: the command runs code the writer may have changed. */
  env: Record<string, string>
  timeoutMs: number
  limits?: TailLimits
  /** How to start it as the agent (another user); as this process when undefined. */
  spawnAs?: (file: string, args: string[], env: Record<string, string>) => SpawnPlan
  /** Ends every process it started, wherever they went (another user's all). */
  killAll?: () => Promise<void>
}

/**
 * Runs the workflow author's check with `bash -c` (it is their configuration, never model
 * output), streaming its output to the log. The command runs code the writer may have changed,
 * so it gets no credential the agent would not get, not even the model API key.
 */
export async function runVerifyCommand(
  command: string,
  options: RunVerifyOptions
): Promise<VerifyResult> {
  const env = { ...options.env }
  for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN']) delete env[name]
  const started = Date.now()
  const buffer = new RollingBuffer(64 * 1024)
  // Output of code the writer changed must not be able to issue workflow commands
  // (::add-mask::, ::set-output::, …). Each batch of whole lines goes out in a stop-commands
  // window of its own, opened and closed in one synchronous write: a window held open across
  // awaits would be closed under it by another check running at the same time (explore), and
  // the runner reads no nested windows.
  const lines = { stdout: new UntrustedLines(), stderr: new UntrustedLines() }
  let exitCode: number | null = null
  let timedOut = false
  try {
    exitCode = await new Promise<number | null>(resolve => {
      const plan = options.spawnAs?.('bash', ['-c', command], env) ?? {
        file: 'bash',
        args: ['-c', command],
        env,
        options: {}
      }
      const child = spawn(plan.file, plan.args, {
        ...plan.options,
        cwd: options.cwd,
        env: plan.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a timeout stops what it started too (test runners, servers).
        detached: true
      })
      child.stdout.on('data', (chunk: Buffer) => {
        buffer.push(chunk)
        lines.stdout.push(chunk)
      })
      child.stderr.on('data', (chunk: Buffer) => {
        buffer.push(chunk)
        lines.stderr.push(chunk)
      })
      const timer = setTimeout(() => {
        timedOut = true
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL')
          } catch {
            child.kill('SIGKILL')
          }
        }
        // What it left holding its output open (or started through sudo) keeps 'close' away.
        void options.killAll?.().catch(() => undefined)
      }, options.timeoutMs)
      child.once('error', error => {
        clearTimeout(timer)
        buffer.push(Buffer.from(`\n${error.message}\n`))
        resolve(null)
      })
      child.once('close', code => {
        clearTimeout(timer)
        resolve(code)
      })
    })
  } finally {
    lines.stdout.end()
    lines.stderr.end()
  }
  const { text, truncated } = tailOutput(buffer.text(), options.limits ?? DEFAULT_TAIL)
  return {
    status: exitCode === 0 && !timedOut ? 'passed' : 'failed',
    command,
    exitCode: timedOut ? null : exitCode,
    timedOut,
    tail: text,
    truncated,
    durationMs: Date.now() - started
  }
}

/**
 * The one way a mode runs `verify-command`: in the checkout, as agent code (it runs code the
 * writer may have changed) with the agent's environment and time limit, and its output tail
 * redacted before anything shows it.
 */
export async function verifyCheckout(
  command: string,
  agent: Agent,
  redact: (text: string) => string,
  where: { dir?: string; role?: string } = {}
): Promise<VerifyResult> {
  // In a worktree of a parallel writer (explore), in that writer's sandbox: the end of a run
  // kills every process of its sandbox, so two checks at once must not share one.
  const dir = where.dir ?? agent.cwd
  const result = await core.group(`Verifying: ${command}`, () =>
    asAgent(agent, { label: 'verify-command', dir, role: where.role }, sandbox =>
      runVerifyCommand(command, {
        cwd: dir,
        env: agent.env,
        timeoutMs: agent.timeoutMs,
        spawnAs: (file, args, env) => agentCommand(sandbox, file, args, env),
        killAll: () => sandbox.killAll()
      })
    )
  )
  if (result.tail !== undefined) result.tail = redact(result.tail)
  return result
}

/** A stream's output for the log: whole lines only, each batch through logUntrusted. */
class UntrustedLines {
  private readonly decoder = new StringDecoder('utf8')
  private pending = ''

  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk)
    const cut = this.pending.lastIndexOf('\n')
    // A line that never ends still reaches the log, in pieces.
    if (cut < 0 && this.pending.length < MAX_PENDING_CHARS) return
    const upTo = cut < 0 ? this.pending.length : cut
    logUntrusted(this.pending.slice(0, upTo))
    this.pending = this.pending.slice(upTo + (cut < 0 ? 0 : 1))
  }

  end(): void {
    this.pending += this.decoder.end()
    if (this.pending !== '') logUntrusted(this.pending)
    this.pending = ''
  }
}

const MAX_PENDING_CHARS = 64 * 1024
