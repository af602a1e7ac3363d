// Finding and killing every process of an agent user.
import { promises as fs } from 'node:fs'
import { sleep } from './ops.js'

export const KILL_DEADLINE_MS = 2000

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// ─── processes ───────────────────────────────────────────────────────────────────────────────

export interface ProcessInfo {
  pid: number
  name: string
  state: string
}

/** Live (not zombie) processes whose real, effective or saved uid is `uid`, from /proc. */
export async function processesOf(
  uid: number,
  also?: (pid: number) => Promise<boolean>
): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = []
  const names = await fs.readdir('/proc').catch(() => [] as string[])
  for (const entry of names) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    const status = await fs.readFile(`/proc/${entry}/status`, 'utf8').catch(() => '')
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)
    if (!uids || ![uids[1], uids[2], uids[3]].includes(String(uid))) continue
    const state = /^State:\s+(\S)/m.exec(status)?.[1] ?? '?'
    // A zombie runs nothing; its parent (or an init that may never reap) owns it.
    if (state === 'Z' || state === 'X') continue
    if (also && !(await also(pid))) continue
    out.push({ pid, name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?', state })
  }
  return out
}

export function signalPid(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Gone, or not ours.
  }
}

/**
 * Stops every matching process (a stopped process cannot fork), scans again until no new one
 * appears, then kills them all: the way to end processes one at a time without a fork escaping.
 */
export async function freezeAndKill(find: () => Promise<ProcessInfo[]>): Promise<void> {
  const stopped = new Set<number>()
  for (let round = 0; round < 50; round++) {
    const fresh = (await find()).filter(p => !stopped.has(p.pid))
    if (fresh.length === 0) break
    for (const p of fresh) {
      signalPid(p.pid, 'SIGSTOP')
      stopped.add(p.pid)
    }
  }
  for (const pid of stopped) signalPid(pid, 'SIGKILL')
}

export async function untilNone(
  find: () => Promise<ProcessInfo[]>,
  ms: number
): Promise<ProcessInfo[]> {
  const end = Date.now() + ms
  for (;;) {
    const left = await find()
    if (left.length === 0 || Date.now() >= end) return left
    await sleep(10)
  }
}

export function describeProcesses(list: ProcessInfo[]): string {
  return list
    .slice(0, 10)
    .map(p => `${p.pid} (${p.name}, state ${p.state})`)
    .join(', ')
}
