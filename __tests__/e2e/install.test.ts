// The path real users take for the CLI: no `claude-path`, no `claude` on PATH, an empty tool
// cache. The bundled action (dist/index.js) must install `@anthropic-ai/claude-code@<version>`
// with npm, cache the platform binary with @actions/tool-cache, run it, and on the next run
// reuse the cache without npm at all. A version npm cannot resolve fails before any model call.
import { afterEach, describe, expect, it } from '@jest/globals'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { runAction } from '../harness/action.js'
import { startScriptedApi, type ScriptedApi } from '../harness/anthropic-api.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { DEFAULT_CLAUDE_VERSION } from '../../src/inputs/claude.js'

const TIMEOUT = 120_000

let api: ScriptedApi | undefined
const dirs: TempDir[] = []

afterEach(async () => {
  await api?.close()
  api = undefined
  for (const dir of dirs.splice(0)) dir.cleanup()
})

function temp(prefix: string): string {
  const dir = makeTempDir(prefix)
  dirs.push(dir)
  return dir.path
}

/**
 * A directory others may search, like a runner's /opt/hostedtoolcache: when the tests run as
 * root the action runs the CLI as a separate agent user, which must reach the cached binary.
 */
function sharedTemp(prefix: string): string {
  const dir = temp(prefix)
  chmodSync(dir, 0o755)
  return dir
}

/** The absolute path of a command on the test process's own PATH. */
function which(command: string): string {
  const found = execFileSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim()
  if (!found) throw new Error(`${command} is not on PATH`)
  return found
}

/**
 * A PATH of one directory holding links to exactly these commands, and nothing else — so no
 * `claude`, whatever the developer's PATH (or jest's node_modules/.bin) holds.
 */
function restrictedPath(commands: string[]): string {
  const bin = sharedTemp('tandem-e2e-bin')
  for (const command of commands) symlinkSync(which(command), path.join(bin, command))
  return bin
}

/** What `command -v` finds under this PATH, '' for nothing. */
function lookUp(command: string, pathValue: string): string {
  const result = spawnSync(which('bash'), ['-c', `command -v ${command}`], {
    encoding: 'utf8',
    env: { PATH: pathValue }
  })
  return result.stdout.trim()
}

/**
 * The developer's npm cache, which holds the pinned version after `npm ci` (it is a
 * devDependency). The harness gives the action a scratch HOME, so without this npm would
 * download ~240 MB; with it the install is the real `npm install`, just served from cache.
 */
const NPM_CACHE = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim()

/**
 * npm's environment beyond PATH: its cache, and the machine's extra CA certificates (a TLS-
 * intercepting proxy's root, say) that the harness's from-scratch environment would drop.
 */
function npmEnv(): Record<string, string> {
  const env: Record<string, string> = { npm_config_cache: NPM_CACHE }
  if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS
  return env
}

const ARCH = process.arch

/** The `::error` annotations in an action log. */
function errorLines(log: string): string[] {
  return log.split('\n').filter(line => line.startsWith('::error'))
}
const BAD_VERSION = '0.0.0-nope'

describe('installing the CLI: no claude-path, no claude on PATH, an empty tool cache', () => {
  it(
    'installs the pinned version with npm, caches it, runs it; the next run reuses the cache without npm',
    async () => {
      const home = temp('tandem-e2e-home')
      const workspace = temp('tandem-e2e-ws')
      const toolCache = sharedTemp('tandem-e2e-tool-cache')
      expect(readdirSync(toolCache)).toEqual([])
      const withNpm = restrictedPath(['node', 'npm', 'git', 'bash'])
      const withoutNpm = restrictedPath(['node', 'git', 'bash'])
      expect(lookUp('claude', withNpm)).toBe('')
      expect(lookUp('npm', withNpm)).not.toBe('')
      expect(lookUp('claude', withoutNpm)).toBe('')
      expect(lookUp('npm', withoutNpm)).toBe('')

      api = await startScriptedApi([{ text: 'Installed and running.' }])
      const env = { ...npmEnv(), PATH: withNpm, RUNNER_TOOL_CACHE: toolCache }
      const first = await runAction({
        api,
        home,
        workspace,
        claudePath: null,
        env,
        inputs: { mode: 'run', prompt: 'Say the install worked' },
        timeoutMs: TIMEOUT
      })
      console.log(`first run (npm install + session): ${first.durationMs} ms`)
      // On failure, show what the user would see.
      expect({ exitCode: first.exitCode, errors: errorLines(first.log) }).toEqual({
        exitCode: 0,
        errors: []
      })
      expect(first.outputs).toMatchObject({
        conclusion: 'success',
        result: 'Installed and running.'
      })
      expect(first.log).toContain(`::group::Installing Claude Code ${DEFAULT_CLAUDE_VERSION}`)
      expect(first.log).toContain(`@anthropic-ai/claude-code@${DEFAULT_CLAUDE_VERSION}`)
      expect(first.log).toContain('--ignore-scripts')
      // The installed CLI really talked to the scripted API, with our prompt.
      const firstRequests = api.mainRequests()
      expect(firstRequests.length).toBeGreaterThanOrEqual(1)
      expect(JSON.stringify(firstRequests[0]!.body.messages)).toContain('Say the install worked')
      // The binary is in the tool cache, where @actions/tool-cache puts it.
      const cached = path.join(toolCache, 'claude-code', DEFAULT_CLAUDE_VERSION, ARCH, 'claude')
      expect(existsSync(cached)).toBe(true)
      expect(statSync(cached).mode & 0o111).not.toBe(0)
      expect(
        existsSync(path.join(toolCache, 'claude-code', DEFAULT_CLAUDE_VERSION, `${ARCH}.complete`))
      ).toBe(true)
      // The temporary npm prefix is gone.
      expect(
        readdirSync(path.join(home, 'runner-temp')).filter(name => name.startsWith('claude-code-'))
      ).toEqual([])
      const before = statSync(cached)

      // Second run: same tool cache, and npm is not even on PATH.
      const requestsBefore = api.mainRequests().length
      const second = await runAction({
        api,
        home,
        workspace,
        claudePath: null,
        env: { ...env, PATH: withoutNpm },
        inputs: { mode: 'run', prompt: 'Say it again' },
        timeoutMs: TIMEOUT
      })
      console.log(`second run (tool cache, no npm on PATH): ${second.durationMs} ms`)
      expect(second.exitCode).toBe(0)
      expect(second.outputs).toMatchObject({
        conclusion: 'success',
        result: 'Installed and running.'
      })
      expect(second.log).not.toContain('::group::Installing Claude Code')
      expect(api.mainRequests().length).toBeGreaterThan(requestsBefore)
      expect(JSON.stringify(api.mainRequests().at(-1)!.body.messages)).toContain('Say it again')
      const after = statSync(cached)
      expect({ ino: after.ino, mtimeMs: after.mtimeMs }).toEqual({
        ino: before.ino,
        mtimeMs: before.mtimeMs
      })
      expect(readdirSync(path.join(toolCache, 'claude-code'))).toEqual([DEFAULT_CLAUDE_VERSION])
    },
    2 * TIMEOUT + 10_000
  )

  /** Runs the action with a claude-version npm has never heard of. */
  async function runWithBadVersion(): Promise<{
    run: Awaited<ReturnType<typeof runAction>>
    home: string
    toolCache: string
  }> {
    const home = temp('tandem-e2e-home')
    const workspace = temp('tandem-e2e-ws')
    const toolCache = sharedTemp('tandem-e2e-tool-cache')
    const bin = restrictedPath(['node', 'npm', 'git', 'bash'])
    expect(lookUp('claude', bin)).toBe('')
    api = await startScriptedApi([{ text: 'must never be asked' }])
    const run = await runAction({
      api,
      home,
      workspace,
      claudePath: null,
      env: { ...npmEnv(), PATH: bin, RUNNER_TOOL_CACHE: toolCache },
      inputs: { mode: 'run', prompt: 'hi', 'claude-version': BAD_VERSION },
      timeoutMs: TIMEOUT
    })
    return { run, home, toolCache }
  }

  it(
    'a claude-version npm cannot resolve fails before any model request, nothing cached',
    async () => {
      const { run, home, toolCache } = await runWithBadVersion()
      expect(run.exitCode).toBe(1)
      expect(run.log).toContain(`::group::Installing Claude Code ${BAD_VERSION}`)
      // npm's own reason is in the log.
      expect(run.log).toMatch(/ETARGET|No matching version/)
      expect(errorLines(run.log)).toHaveLength(1)
      expect(api!.requests).toEqual([])
      expect(existsSync(path.join(toolCache, 'claude-code', BAD_VERSION))).toBe(false)
      mkdirSync(path.join(home, 'runner-temp'), { recursive: true })
      expect(
        readdirSync(path.join(home, 'runner-temp')).filter(name => name.startsWith('claude-code-'))
      ).toEqual([])
    },
    TIMEOUT + 10_000
  )

  it(
    'a claude-version npm cannot resolve: the error a user sees names the version',
    async () => {
      const { run } = await runWithBadVersion()
      expect(run.exitCode).toBe(1)
      const errors = errorLines(run.log)
      expect(errors).toEqual([expect.stringContaining(BAD_VERSION)])
      expect(errors[0]).toMatch(/claude-version/)
    },
    TIMEOUT + 10_000
  )
})
