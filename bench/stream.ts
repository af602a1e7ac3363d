// Stream parser figures: throughput against plain per-line JSON.parse on the same transcript,
// and peak memory on a 10 MB vs a 100 MB transcript (each measured in a fresh process).
import { spawnSync } from 'node:child_process'
import {
  createReadStream,
  existsSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync
} from 'node:fs'
import path from 'node:path'
import { StreamJsonParser } from '../src/agent/stream.js'
import { BENCH_DIR, type Figure } from './figures.js'

const FIXTURES = path.join(import.meta.dirname, '..', '__tests__', 'fixtures', 'transcripts')

/** Lines recorded from the real CLI, repeated (with a growing tool output) up to `bytes`. */
export function makeTranscript(bytes: number): string {
  const file = path.join(BENCH_DIR, `transcript-${bytes}.ndjson`)
  if (existsSync(file) && statSync(file).size >= bytes) return file
  const recorded = existsSync(FIXTURES)
    ? readdirSync(FIXTURES)
        .filter(name => name.endsWith('.ndjson'))
        .flatMap(name => readFileSync(path.join(FIXTURES, name), 'utf8').split('\n'))
        .filter(line => line.startsWith('{'))
    : []
  const toolOutput = (i: number): string =>
    JSON.stringify({
      type: 'user',
      message: {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: `toolu_${i}`,
            content: `line ${i}: ${'const value = compute(input) // ünïcode ✓\n'.repeat(1 + (i % 40))}`
          }
        ]
      }
    })
  const lines: string[] = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const line = recorded.length > 0 && i % 3 !== 0 ? recorded[i % recorded.length]! : toolOutput(i)
    lines.push(line)
    size += Buffer.byteLength(line) + 1
  }
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

export async function parseWithStreamParser(file: string): Promise<number> {
  const parser = new StreamJsonParser()
  let events = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
    events += parser.push(chunk as Buffer).length
  }
  return events + parser.end().length
}

export async function parseWithPlainJsonParse(file: string): Promise<number> {
  // Same I/O as the stream parser (chunks from a read stream), then split + JSON.parse per line.
  let text = ''
  let events = 0
  for await (const chunk of createReadStream(file, {
    encoding: 'utf8',
    highWaterMark: 64 * 1024
  })) {
    text += chunk as string
    const lines = text.split('\n')
    text = lines.pop() ?? ''
    for (const line of lines) if (line) events += JSON.parse(line) ? 1 : 0
  }
  return events
}

async function timeIt(fn: () => Promise<number>, repeats: number): Promise<number> {
  let best = Infinity
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint()
    await fn()
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6)
  }
  return best
}

function peakRssMb(file: string): number {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'stream-peak.ts'), file],
    { encoding: 'utf8' }
  )
  if (child.status !== 0) throw new Error(`stream-peak failed: ${child.stderr}`)
  return Number(child.stdout.trim())
}

export async function streamFigures(): Promise<Figure[]> {
  const small = makeTranscript(10 * 1024 * 1024)
  const large = makeTranscript(100 * 1024 * 1024)
  const mb = statSync(large).size / 1024 / 1024
  const plainMs = await timeIt(() => parseWithPlainJsonParse(large), 3)
  const oursMs = await timeIt(() => parseWithStreamParser(large), 3)
  const smallPeak = peakRssMb(small)
  const largePeak = peakRssMb(large)
  return [
    {
      name: 'stream parser throughput, 100 MB transcript',
      value: `${(mb / (oursMs / 1000)).toFixed(0)} MB/s`,
      baseline: `per-line JSON.parse ${(mb / (plainMs / 1000)).toFixed(0)} MB/s`,
      ratio: plainMs / oursMs,
      target: '≥ 0.8',
      ok: plainMs / oursMs >= 0.8
    },
    {
      name: 'stream parser peak RSS, 100 MB vs 10 MB transcript',
      value: `${largePeak.toFixed(0)} MB`,
      baseline: `${smallPeak.toFixed(0)} MB on 10 MB`,
      ratio: largePeak / smallPeak,
      target: 'flat (≤ 1.2)',
      ok: largePeak / smallPeak <= 1.2
    }
  ]
}
