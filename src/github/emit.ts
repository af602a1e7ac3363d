import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { StringDecoder } from 'node:string_decoder'

/**
 * Everything the action emits to the runner — log lines, annotations, outputs, the job summary —
 * passes one redactor, installed once per run with the run's secrets. The log is redacted where
 * it leaves the process (stdout), so no log line, annotation or group title is ever missed,
 * whoever wrote it; outputs and the summary are written to files and redacted here on the way.
 */
let redactor: (text: string) => string = text => text
let installed = false
let rawWrite: (text: string) => boolean = text => process.stdout.write(text)

export function installRedaction(redact: (text: string) => string): void {
  redactor = redact
  if (installed) return
  installed = true
  const write = process.stdout.write.bind(process.stdout)
  rawWrite = text => write(text)
  // Raw bytes (verify-command's output) are held until a line is whole: a secret split across
  // two chunks is still one string when it is redacted.
  const decoder = new StringDecoder('utf8')
  let pending = ''
  const patched = (
    chunk: string | Uint8Array,
    encodingOrCallback?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void
  ): boolean => {
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback
    if (typeof chunk !== 'string') {
      pending += decoder.write(Buffer.from(chunk))
      const end = pending.lastIndexOf('\n')
      if (end < 0) {
        done?.()
        return true
      }
      const whole = pending.slice(0, end + 1)
      pending = pending.slice(end + 1)
      return write(redactor(whole), done)
    }
    const text = pending + chunk
    pending = ''
    return write(redactor(inertContinuationLines(text)), done)
  }
  process.stdout.write = patched as typeof process.stdout.write
}

/**
 * One string written to stdout is one call of ours: core writes each workflow command as one
 * line of its own, with newlines in its data escaped. A line after the first can then only come
 * from text that was logged inside a message (a file name, CLI stderr), and the runner would
 * read it as a command if it starts with `::` (or the old `##[`), after spaces. A zero-width
 * space in front is not white space to the runner, so it reads the line as text.
 */
export function inertContinuationLines(text: string): string {
  // The runner splits lines at \r as well as \n (.NET's ReadLine).
  return text.replace(/(\r\n|\n|\r)(?=[ \t]*(?:::|##\[))/g, '$1\u200b')
}

/**
 * Tells the runner to mask `value` in every later line of the job, its own and other steps'.
 * The one line that must carry the secret, so it is written past the redactor.
 */
export function addMask(value: string): void {
  if (value.trim() === '') return
  // core's escaping for command data: the value stays on one line.
  const data = value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  rawWrite(`::add-mask::${data}\n`)
}

/** The run's redactor, for text that leaves by another way (posts, commits). */
export function redact(text: string): string {
  return redactor(text)
}

/**
 * Logs text that the model, the PR or a repository wrote. The runner reads any log line that
 * starts with `::` as a workflow command; between `::stop-commands::TOKEN` and `::TOKEN::` it
 * reads none, and the token is new each time, so the text cannot guess it to end the pause.
 */
export function logUntrusted(text: string): void {
  const token = randomBytes(16).toString('hex')
  process.stdout.write(`::stop-commands::${token}\n`)
  process.stdout.write(`${text}\n`)
  process.stdout.write(`::${token}::\n`)
}

/** Sets every output, redacted. */
export function setOutputs(outputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, redactor(value))
}

/** Appends markdown to the job summary, redacted, when the runner provides one. */
export async function appendJobSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  await core.summary.addRaw(redactor(markdown), true).write()
}
