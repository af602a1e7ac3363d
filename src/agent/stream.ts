import { StringDecoder } from 'node:string_decoder'
import type { StreamEvent } from './events.js'

export type ParsedLine =
  | { kind: 'event'; event: StreamEvent; line: string }
  | { kind: 'invalid'; line: string; error: string }

/**
 * Splits a byte stream into lines and parses each as one stream-json event.
 *
 * Memory stays bounded by the longest single line, whatever the transcript size: only the
 * unfinished tail of the last chunk is kept. A line that is not a JSON object is reported as
 * `invalid` instead of throwing, because the CLI (or something it runs) may print stray text
 * and a transcript must never be lost to one bad line.
 */
export class StreamJsonParser {
  private readonly decoder = new StringDecoder('utf8')
  // Pieces of a line that spans several chunks; joined once its newline arrives.
  private partial: string[] = []

  /** Feeds one chunk; returns the lines it completed. */
  push(chunk: Buffer | string): ParsedLine[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk)
    const parsed: ParsedLine[] = []
    let start = 0
    let newline = text.indexOf('\n', start)
    while (newline !== -1) {
      let line = text.slice(start, newline)
      if (this.partial.length > 0) {
        this.partial.push(line)
        line = this.partial.join('')
        this.partial = []
      }
      const item = parseLine(line)
      if (item) parsed.push(item)
      start = newline + 1
      newline = text.indexOf('\n', start)
    }
    if (start < text.length) this.partial.push(text.slice(start))
    return parsed
  }

  /** Flushes a last line that had no trailing newline. */
  end(): ParsedLine[] {
    const rest = this.decoder.end()
    if (rest) this.partial.push(rest)
    if (this.partial.length === 0) return []
    const line = this.partial.join('')
    this.partial = []
    const item = parseLine(line)
    return item ? [item] : []
  }
}

/** Parses one line; blank lines yield nothing. */
export function parseLine(rawLine: string): ParsedLine | undefined {
  const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
  if (line.trim() === '') return undefined
  // Cheap pre-check: every event is an object, so anything else is stray output.
  if (line.charCodeAt(firstNonSpace(line)) !== 123 /* { */) {
    return { kind: 'invalid', line, error: 'not a JSON object' }
  }
  try {
    const value: unknown = JSON.parse(line)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { kind: 'invalid', line, error: 'not a JSON object' }
    }
    const event = value as StreamEvent
    if (typeof event.type !== 'string') {
      return { kind: 'invalid', line, error: 'no "type" field' }
    }
    return { kind: 'event', event, line }
  } catch (error) {
    return { kind: 'invalid', line, error: (error as Error).message }
  }
}

function firstNonSpace(line: string): number {
  let i = 0
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++
  return i
}
