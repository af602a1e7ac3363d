// Running git raw, and the per-driver pins read from the effective config (scanPins), cached.
import { spawn } from 'node:child_process'
import { lstatSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Sandbox, staticPins } from './git-pins.js'
import type { GitResult } from './git.js'

interface RawRun {
  cwd: string
  args: string[]
  env: Record<string, string>
  input?: string | Buffer
}

export function run(box: Sandbox, { cwd, args, env, input }: RawRun): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(box.gitPath, args, {
      cwd,
      env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (code, signal) =>
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8')
      })
    )
    if (input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined)
      child.stdin.end(input)
    }
  })
}

export function pinArgs(pins: Array<[string, string]>): string[] {
  return pins.flatMap(([key, value]) => ['-c', `${key}=${value}`])
}

/** The built-in 3-way text merge, for a merge driver name we found in config. */
function mergeFileDriver(box: Sandbox): string {
  const quoted = `'${box.gitPath.replace(/'/g, `'\\''`)}'`
  return `${quoted} merge-file --marker-size=%L -L ours -L base -L theirs %A %O %B`
}

/** The pins for the drivers named in the config records (`key\nvalue` / origin pairs). */
function driverPins(box: Sandbox, keys: string[]): Array<[string, string]> {
  const pins = new Map<string, string>()
  for (const key of keys) {
    if (/^filter\..*\.(clean|smudge|process)$/s.test(key)) pins.set(key, '')
    else if (/^diff\..*\.(textconv|command)$/s.test(key) || key === 'diff.external') {
      pins.set(key, 'false')
    } else if (/^merge\..*\.driver$/s.test(key)) pins.set(key, mergeFileDriver(box))
  }
  return [...pins]
}

interface ScanEntry {
  /** Files whose change can change the effective config, sorted. */
  deps: string[]
  /** Their stat signature when the pins were read; '' = do not reuse. */
  signature: string
  pins: Array<[string, string]>
}

const scans = new Map<string, ScanEntry>()

function fileSignature(file: string): string {
  const parts: string[] = []
  for (const stat of [lstatSync, statSync]) {
    try {
      const s = stat(file, { bigint: true })
      // A directory (the work tree's `.git`) counts by identity only: its times change with
      // every index write.
      parts.push(
        s.isDirectory()
          ? `d:${s.dev}:${s.ino}`
          : `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`
      )
    } catch {
      parts.push('-')
    }
  }
  return parts.join('/')
}

function signatureOf(deps: string[]): string {
  return deps.map(file => `${file}=${fileSignature(file)}`).join('\n')
}

/**
 * Whether a file changed so recently that a change in the same clock tick could go unseen
 * (the kernel's file times are coarse): such a scan is not cached, as git does with racily
 * clean index entries.
 */
function racy(deps: string[], since: number): boolean {
  const limit = BigInt(Math.floor(since - 100)) * 1_000_000n
  return deps.some(file => {
    try {
      const stat = statSync(file, { bigint: true })
      return !stat.isDirectory() && stat.ctimeNs >= limit
    } catch {
      return false
    }
  })
}

function expandIncludePath(value: string, origin: string): string {
  if (value.startsWith('~/')) return path.join(process.env.HOME ?? os.homedir(), value.slice(2))
  return path.resolve(path.dirname(origin), value)
}

/**
 * Pins for every filter, diff or merge driver the effective config of `cwd` names, read with
 * Tandem's own environment (so: local, worktree and included files, plus Tandem's global).
 * Cached per cwd until one of the files that make up that config changes.
 */
export async function scanPins(
  box: Sandbox,
  cwd: string,
  env: Record<string, string>
): Promise<Array<[string, string]>> {
  const cached = scans.get(cwd)
  if (cached && cached.signature !== '' && signatureOf(cached.deps) === cached.signature) {
    return cached.pins
  }
  const base = pinArgs(staticPins(box))
  const dirs = await run(box, {
    cwd,
    env,
    args: [...base, 'rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']
  })
  if (dirs.exitCode !== 0) return [] // not a repository: only global config, which is ours
  const [gitDir = '', commonDir = gitDir] = dirs.stdout.split('\n').filter(line => line !== '')
  const known = new Set([
    path.join(cwd, '.git'),
    path.join(commonDir, 'config'),
    path.join(gitDir, 'config.worktree'),
    // includeIf "onbranch:" depends on HEAD.
    path.join(gitDir, 'HEAD'),
    box.configFile,
    ...(cached?.deps ?? [])
  ])
  const before = [...known].sort()
  const started = Date.now()
  const signatureBefore = signatureOf(before)
  const listed = await run(box, {
    cwd,
    env,
    args: [...base, 'config', '--null', '--list', '--includes', '--show-origin']
  })
  if (listed.exitCode !== 0) {
    throw new Error(`git config --list failed (${listed.exitCode}): ${listed.stderr.trim()}`)
  }
  const records = listed.stdout.split('\0')
  const keys: string[] = []
  const deps = new Set(known)
  for (let i = 0; i + 1 < records.length; i += 2) {
    const origin = records[i]!
    const record = records[i + 1]!
    const newline = record.indexOf('\n')
    const key = newline < 0 ? record : record.slice(0, newline)
    const value = newline < 0 ? '' : record.slice(newline + 1)
    keys.push(key)
    if (!origin.startsWith('file:')) continue
    const file = path.resolve(cwd, origin.slice('file:'.length))
    deps.add(file)
    if (/^include(if\..*)?\.path$/s.test(key) && value !== '') {
      deps.add(expandIncludePath(value, file))
    }
  }
  const pins = driverPins(box, keys)
  const after = [...deps].sort()
  // Reuse only what was read from files that did not change while (or just before) reading.
  const stable =
    after.every(file => known.has(file)) &&
    signatureOf(before) === signatureBefore &&
    !racy(after, started)
  scans.set(cwd, { deps: after, signature: stable ? signatureOf(after) : '', pins })
  return pins
}

export function configEnv(pins: Array<[string, string]>): Record<string, string> {
  if (pins.length === 0) return {}
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(pins.length) }
  pins.forEach(([key, value], n) => {
    env[`GIT_CONFIG_KEY_${n}`] = key
    env[`GIT_CONFIG_VALUE_${n}`] = value
  })
  return env
}
