import * as core from '@actions/core'
import * as exec from '@actions/exec'
import * as io from '@actions/io'
import * as tc from '@actions/tool-cache'
import { access, constants, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

const TOOL_NAME = 'claude-code'

export interface LocateOptions {
  claudePath?: string
  claudeVersion: string
}

/**
 * Finds the CLI: an explicit `claude-path`, then `claude` on PATH, then the tool cache, and
 * only then an npm install of the pinned version.
 */
export async function locateClaude(options: LocateOptions): Promise<string> {
  if (options.claudePath) {
    // A bare name is looked up on PATH, like a shell would.
    const resolved = options.claudePath.includes(path.sep)
      ? path.resolve(options.claudePath)
      : (await io.which(options.claudePath, false)) || path.resolve(options.claudePath)
    if (!(await isExecutable(resolved))) {
      throw new Error(
        `Input 'claude-path' has value "${options.claudePath}": expected an existing executable file`
      )
    }
    return resolved
  }
  const onPath = await io.which('claude', false)
  if (onPath) return onPath

  const binaryName = platformBinaryName()
  const cached = tc.find(TOOL_NAME, options.claudeVersion)
  if (cached && (await isExecutable(path.join(cached, binaryName)))) {
    return path.join(cached, binaryName)
  }
  return installClaude(options.claudeVersion)
}

/** The npm package that carries the native binary for this platform. */
export function platformPackage(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
  musl = isMusl()
): string {
  const os = platform === 'win32' ? 'win32' : platform === 'darwin' ? 'darwin' : 'linux'
  const suffix = os === 'linux' && musl ? '-musl' : ''
  return `@anthropic-ai/claude-code-${os}-${arch}${suffix}`
}

function platformBinaryName(): string {
  return process.platform === 'win32' ? 'claude.exe' : 'claude'
}

function isMusl(): boolean {
  if (process.platform !== 'linux') return false
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }
  return !report?.header?.glibcVersionRuntime
}

async function installClaude(version: string): Promise<string> {
  return core.group(`Installing Claude Code ${version}`, async () => {
    const parent = process.env.RUNNER_TEMP || tmpdir()
    await mkdir(parent, { recursive: true })
    const prefix = await mkdtemp(path.join(parent, 'claude-code-'))
    try {
      // --ignore-scripts: the wrapper's postinstall only links the binary, which we resolve
      // ourselves; skipping it also keeps third-party install scripts off the runner.
      const installed = await exec.exec(
        'npm',
        [
          'install',
          '--no-save',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          '--prefix',
          prefix,
          `@anthropic-ai/claude-code@${version}`
        ],
        { ignoreReturnCode: true }
      )
      if (installed !== 0) {
        throw new Error(
          `Could not install @anthropic-ai/claude-code@${version} with npm (exit code ${installed}; ` +
            "npm's output is above): check input 'claude-version', or set 'claude-path' to an " +
            'existing claude executable'
        )
      }
      const packageDir = path.join(prefix, 'node_modules', ...platformPackage().split('/'))
      const binary = path.join(packageDir, platformBinaryName())
      if (!(await isExecutable(binary))) {
        throw new Error(
          `Installing @anthropic-ai/claude-code@${version} did not provide ${platformPackage()} ` +
            `(${binary} is missing); set 'claude-path' to an existing claude executable`
        )
      }
      const cachedDir = await tc.cacheFile(binary, platformBinaryName(), TOOL_NAME, version)
      return path.join(cachedDir, platformBinaryName())
    } finally {
      await rm(prefix, { recursive: true, force: true })
    }
  })
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
