// How long `node dist/index.js` takes from its own start to spawning the CLI, against a bare
// `node -e 0` start-up measured in the same run.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BENCH_DIR, type Figure } from './figures.js'

const DIST = path.join(import.meta.dirname, '..', 'dist', 'index.js')
const RUNS = 7

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

export async function startupFigures(): Promise<Figure[]> {
  const dir = mkdtempSync(path.join(BENCH_DIR, 'startup-'))
  const mark = path.join(dir, 'spawned-at')
  const fakeClaude = path.join(dir, 'claude')
  // Records when it was started, then answers like a finished session.
  writeFileSync(
    fakeClaude,
    `#!/bin/sh\ndate +%s%N > "${mark}"\ncat >/dev/null\necho '{"type":"result","subtype":"success","is_error":false,"num_turns":1,"total_cost_usd":0,"result":"ok","session_id":"s"}'\n`
  )
  chmodSync(fakeClaude, 0o755)
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: dir,
    INPUT_MODE: 'run',
    INPUT_PROMPT: 'hello',
    'INPUT_CLAUDE-PATH': fakeClaude
  }
  const toSpawn: number[] = []
  const bare: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const start = Date.now()
    const child = spawnSync(process.execPath, [DIST], { env, encoding: 'utf8' })
    if (child.status !== 0) throw new Error(`dist/index.js failed: ${child.stdout}${child.stderr}`)
    toSpawn.push(Number(BigInt(readFileSync(mark, 'utf8').trim()) / 1_000_000n) - start)
    const bareStart = Date.now()
    spawnSync(process.execPath, ['-e', '0'])
    bare.push(Date.now() - bareStart)
  }
  const ours = median(toSpawn)
  const baseline = median(bare)
  return [
    {
      name: 'node dist/index.js start to CLI spawn (median of 7)',
      value: `${ours} ms`,
      baseline: `bare node start-up ${baseline} ms`,
      ratio: ours / baseline,
      target: 'informational (< 1 s)',
      ok: ours < 1000
    }
  ]
}
