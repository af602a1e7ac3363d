import * as core from '@actions/core'
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { buildArgv, type SessionOptions } from './argv.js'
import { isAssistant, isResult, isText, isToolUse, type StreamEvent } from './events.js'
import {
  buildReport,
  describeToolInput,
  emptyStreamState,
  foldEvent,
  truncate,
  type SessionReport
} from './report.js'
import type { SpawnPlan } from './sandbox.js'
import { StreamJsonParser, type ParsedLine } from './stream.js'
import { logUntrusted, redact } from '../github/emit.js'

export interface SessionRequest extends SessionOptions {
  binary: string
  prompt: string
  cwd: string
  env: Record<string, string>
  timeoutMs: number
  /** Where the NDJSON transcript is written, line by line as it streams. */
  executionFile: string
  /** A name for the log group, e.g. "reviewer". */
  label: string
  /** With a JSON schema: a success without structured output still counts as a success. */
  structuredOutputOptional?: boolean
  /** How to start the CLI as the agent (another user); as this process when undefined. */
  spawnAs?: (file: string, args: string[], env: Record<string, string>) => SpawnPlan
  /** Ends every process of the agent, wherever they went: a signal to sudo reaches only sudo. */
  killAll?: () => Promise<void>
}

// After SIGTERM the CLI gets this long to write its last lines before SIGKILL.
const KILL_GRACE_MS = 5000
const STDERR_TAIL_BYTES = 16 * 1024
// How often the CLI's stdout file is read for new lines while it runs (the live log).
const STDOUT_POLL_MS = 100
const STDOUT_READ_BYTES = 1 << 20

export async function runSession(request: SessionRequest): Promise<SessionReport> {
  const argv = buildArgv(request)
  mkdirSync(path.dirname(request.executionFile), { recursive: true })
  const transcript = openSync(request.executionFile, 'w')
  const stdout = openStdoutFile()
  const started = Date.now()
  const state = emptyStreamState()
  const parser = new StreamJsonParser()
  let stderrTail = ''
  let timedOut = false
  let spawnError: string | undefined
  let endSignal: string | null = null

  core.startGroup(
    `Claude Code ${request.label}: ${path.basename(request.binary)} ${redactArgv(argv).join(' ')}`
  )
  try {
    const exitCode = await new Promise<number | null>(resolve => {
      // A process group of its own, so a timeout also stops what the agent started (Bash).
      const plan = request.spawnAs?.(request.binary, argv, request.env) ?? {
        file: request.binary,
        args: argv,
        env: request.env,
        options: {}
      }
      const child = spawn(plan.file, plan.args, {
        ...plan.options,
        cwd: request.cwd,
        env: plan.env,
        stdio: ['pipe', stdout.writeFd, 'pipe'],
        detached: process.platform !== 'win32'
        // Node's overloads do not type a file descriptor in stdio: stdin and stderr are pipes.
      }) as ChildProcessByStdio<Writable, null, Readable>
      const handle = (items: ParsedLine[]): void => {
        for (const item of items) {
          // Written synchronously: a session killed a moment later still has every line.
          // The execution file is an output too: redacted like every other.
          writeSync(transcript, transcriptLine(item) + '\n')
          if (item.kind === 'invalid') {
            state.invalidLines++
            logUntrusted(`[not JSON] ${truncate(item.line, 200)}`)
            continue
          }
          foldEvent(state, item.event)
          logProgress(item.event)
        }
      }
      const chunk = Buffer.allocUnsafe(STDOUT_READ_BYTES)
      const drain = (): void => {
        let read: number
        while ((read = readSync(stdout.readFd, chunk, 0, chunk.length, null)) > 0) {
          handle(parser.push(chunk.subarray(0, read)))
        }
      }
      const poll = setInterval(drain, STDOUT_POLL_MS)
      child.stderr.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES)
      })
      child.stdin.on('error', () => {
        // The CLI may exit before reading its prompt (bad arguments); its exit code says why.
      })
      child.stdin.end(request.prompt)

      let killTimer: NodeJS.Timeout | undefined
      const timer = setTimeout(() => {
        timedOut = true
        core.warning(
          `Claude Code ${request.label} ran past its time limit (${formatMinutes(request.timeoutMs)}); stopping it`
        )
        signal(child.pid, 'SIGTERM')
        killTimer = setTimeout(() => {
          signal(child.pid, 'SIGKILL')
          void request.killAll?.().catch(() => undefined)
        }, KILL_GRACE_MS)
      }, request.timeoutMs)

      child.on('error', error => {
        spawnError = `could not start ${request.binary}: ${error.message}`
      })
      child.on('close', (code, closeSignal) => {
        endSignal = closeSignal
        clearTimeout(timer)
        if (killTimer) clearTimeout(killTimer)
        clearInterval(poll)
        drain()
        handle(parser.end())
        resolve(code)
      })
    })

    const report = buildReport(state, {
      exitCode,
      signal: endSignal,
      timedOut,
      durationMs: Date.now() - started,
      executionFile: request.executionFile,
      requireStructuredOutput:
        request.jsonSchema !== undefined && !request.structuredOutputOptional,
      stderrTail,
      spawnError
    })
    core.info(
      `Conclusion: ${report.conclusion} · ${report.numTurns} turns · $${report.costUsd.toFixed(4)} · ${report.durationMs} ms`
    )
    if (stderrTail.trim()) core.debug(`CLI stderr:\n${stderrTail}`)
    return report
  } finally {
    closeSync(transcript)
    stdout.remove()
    core.endGroup()
  }
}

/**
 * Where the CLI's stdout goes: a regular file, read back as it grows, never a pipe. The CLI
 * (2.1.197) exits without writing what a full pipe has not taken yet, so while the reader spent
 * ~40 ms on one long line (a 200 KB StructuredOutput call) the result event behind it was lost;
 * a file takes every write at once, whatever the reader does. Measured: a 30 MB stdout arrives
 * whole through a file, and is cut at ~20 MB through a pipe even with a reader that does nothing.
 * The file is unredacted, so it is made in a directory of its own (0700) and unlinked at once.
 */
function openStdoutFile(): { writeFd: number; readFd: number; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-stdout-'))
  const file = path.join(dir, 'stdout')
  const writeFd = openSync(file, 'wx', 0o600)
  const readFd = openSync(file, 'r')
  // Unlinked at once: the two descriptors keep it, and no path is left for anyone to read
  // later, even when this process is killed before it could clean up.
  rmSync(dir, { recursive: true, force: true })
  return {
    writeFd,
    readFd,
    remove: () => {
      closeSync(writeFd)
      closeSync(readFd)
    }
  }
}

/**
 * A transcript line with every secret masked. Masking inside JSON text could cut an escape
 * sequence in two, so a line that holds one is written again from its masked values.
 */
export function transcriptLine(item: ParsedLine, mask: (text: string) => string = redact): string {
  const masked = mask(item.line)
  if (masked === item.line || item.kind !== 'event') return masked
  return JSON.stringify(maskValues(item.event, mask))
}

function maskValues(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === 'string') return mask(value)
  if (Array.isArray(value)) return value.map(entry => maskValues(entry, mask))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [key, maskValues(entry, mask)])
    )
  }
  return value
}

function logProgress(event: StreamEvent): void {
  if (isAssistant(event)) {
    for (const block of event.message.content ?? []) {
      if (isToolUse(block)) {
        const detail = describeToolInput(block.name, block.input ?? {})
        logUntrusted(`▸ ${block.name}${detail ? ` ${detail}` : ''}`)
      } else if (isText(block) && block.text.trim()) {
        logUntrusted(truncate(block.text.trim(), 500))
      }
    }
  } else if (isResult(event)) {
    core.info(`Result: ${event.subtype}${event.is_error ? ' (error)' : ''}`)
  } else if (event.type === 'system' && event.subtype === 'api_retry') {
    logUntrusted(`API retry: ${JSON.stringify(event).slice(0, 200)}`)
  }
}

function signal(pid: number | undefined, name: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, name)
  } catch {
    // Already gone.
  }
}

// The JSON schema makes the command line unreadably long in the log.
function redactArgv(argv: string[]): string[] {
  return argv.map((arg, i) => (argv[i - 1] === '--json-schema' ? '<schema>' : arg))
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60000
  return `${Number.isInteger(minutes) ? minutes : minutes.toFixed(2)} min`
}
