// The environment and the fixed config pins every git command of Tandem's runs with (see git.ts).
import * as io from '@actions/io'
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

// Environment variables kept from the action's environment (names compared in upper case, so
// the proxies' lower-case spellings and Windows' `Path` match). Nothing else passes.
const KEPT_ENV = new Set([
  'PATH',
  'HOME',
  'LANG',
  'LANGUAGE',
  'TMPDIR',
  'TZ',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  // An ssh push with a key held by an agent (webfactory/ssh-agent) and a custom CA bundle.
  'SSH_AUTH_SOCK',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // Windows basics git for Windows needs.
  'SYSTEMROOT',
  'WINDIR',
  'COMSPEC',
  'PATHEXT',
  'USERPROFILE',
  'TEMP',
  'TMP'
])

export function keptEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (KEPT_ENV.has(name.toUpperCase()) || name.startsWith('LC_')) env[name] = value
  }
  return env
}

export interface Sandbox {
  gitPath: string
  dir: string
  configFile: string
  configText: string
  hooksPath: string
}

/** A value for a git config file, quoted so any path reads back as itself. */
function configValue(value: string): string {
  if (/[\n\r\0]/.test(value)) throw new Error(`unusable path for git config: ${value}`)
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}

function createSandbox(gitPath: string): Sandbox {
  const runnerTemp = process.env.RUNNER_TEMP
  const base = runnerTemp && isDirectory(runnerTemp) ? runnerTemp : os.tmpdir()
  // mkdtemp makes the directory 0700.
  const dir = mkdtempSync(path.join(base, 'tandem-git-'))
  let hooksPath = '/dev/null'
  if (process.platform === 'win32') {
    hooksPath = path.join(dir, 'no-hooks')
    mkdirSync(hooksPath, { mode: 0o500 })
  }
  const configFile = path.join(dir, 'config')
  const configText = [
    '# Tandem: the only global config its git reads. Written once per process.',
    '[safe]',
    '\tdirectory = *',
    '[core]',
    `\thooksPath = ${configValue(hooksPath)}`,
    '\tfsmonitor = false',
    '\tpager = cat',
    '\taskPass =',
    '[credential]',
    '\thelper =',
    '[protocol "ext"]',
    '\tallow = never',
    // Local paths and file:// URLs (tests push to local bare repositories) stay allowed.
    '[protocol "file"]',
    '\tallow = user',
    ''
  ].join('\n')
  writeFileSync(configFile, configText, { mode: 0o600, flag: 'wx' })
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  return { gitPath, dir, configFile, configText, hooksPath }
}

/** Whether nothing replaced or edited the sandbox since it was written. */
function sandboxIntact(box: Sandbox): boolean {
  try {
    const dir = lstatSync(box.dir)
    if (!dir.isDirectory()) return false
    const file = lstatSync(box.configFile)
    if (!file.isFile() || (file.mode & 0o777) !== 0o600) return false
    if (readFileSync(box.configFile, 'utf8') !== box.configText) return false
    if (box.hooksPath !== '/dev/null' && readdirSync(box.hooksPath).length > 0) return false
    return true
  } catch {
    return false
  }
}

let sandboxPromise: Promise<Sandbox> | undefined

export async function sandbox(): Promise<Sandbox> {
  // The binary is resolved once: a `git` planted later in a PATH directory is never picked up.
  sandboxPromise ??= io.which('git', true).then(gitPath => createSandbox(gitPath))
  let box = await sandboxPromise
  if (!sandboxIntact(box)) {
    // Same-user code edited Tandem's own config or hooks dir: start over in a fresh one.
    rmSync(box.dir, { recursive: true, force: true })
    box = createSandbox(box.gitPath)
    sandboxPromise = Promise.resolve(box)
  }
  return box
}

/** Variables Tandem sets for git; `options.env` may not change them. */
export function pinnedEnv(box: Sandbox): Record<string, string> {
  return {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: box.configFile,
    GIT_ATTR_NOSYSTEM: '1',
    // ~/.config/git/{attributes,ignore} would still be read without this.
    XDG_CONFIG_HOME: box.dir,
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    // refs/replace/* planted in the checkout would change what history Tandem's git sees.
    GIT_NO_REPLACE_OBJECTS: '1'
  }
}

/** Settings pinned on every command line; the command line beats every config file. */
export function staticPins(box: Sandbox): Array<[string, string]> {
  return [
    ['core.hooksPath', box.hooksPath],
    ['core.fsmonitor', 'false'],
    ['core.pager', 'cat'],
    ['core.editor', 'true'],
    ['sequence.editor', 'true'],
    ['core.askPass', ''],
    ['credential.helper', ''],
    // Runs (with the shell) to list an alternate's refs on fetch and push; `true` lists none.
    ['core.alternateRefsCommand', 'true'],
    ['protocol.allow', 'never'],
    ['protocol.https.allow', 'always'],
    ['protocol.http.allow', 'always'],
    ['protocol.ssh.allow', 'always'],
    ['protocol.file.allow', 'user'],
    // git:// runs core.gitProxy; nothing Tandem talks to uses it.
    ['protocol.git.allow', 'never'],
    ['protocol.ext.allow', 'never'],
    // Signing and verifying run gpg.program / gpg.ssh.program.
    ['commit.gpgSign', 'false'],
    ['tag.gpgSign', 'false'],
    ['push.gpgSign', 'false'],
    ['log.showSignature', 'false'],
    ['merge.verifySignatures', 'false'],
    ['gpg.program', 'gpg'],
    ['gpg.ssh.program', 'ssh-keygen'],
    ['gpg.x509.program', 'gpgsm'],
    // Submodules bring their own config and hooks.
    ['submodule.recurse', 'false'],
    ['fetch.recurseSubmodules', 'false'],
    ['push.recurseSubmodules', 'no'],
    // `gc --auto --detach` would outlive the command (and hold its output open).
    ['gc.auto', '0'],
    ['maintenance.auto', 'false']
  ]
}
