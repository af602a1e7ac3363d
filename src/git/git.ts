import * as io from '@actions/io'
import { spawn } from 'node:child_process'
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
import { mkdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface GitResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface GitOptions {
  /** Return a failed command's result instead of throwing. */
  allowFailure?: boolean
  /**
   * Extra environment variables for this one command (e.g. GIT_INDEX_FILE). Never one that
   * Tandem sets itself (see `pinnedEnv`) and never GIT_CONFIG_*: config goes in `-c` args.
   */
  env?: Record<string, string>
  /** Written to git's stdin. Without it stdin is closed, so git never waits on a terminal. */
  input?: string | Buffer
}

/*
 * Tandem's git runs nothing that the repository, the PR, an agent or `verify-command` planted.
 *
 * Every git command goes through `git()` below, which
 *  1. runs the git binary resolved once per process (before any agent ran) by absolute path;
 *  2. builds git's environment from an allowlist instead of inheriting the action's (which
 *     holds INPUT_GITHUB-TOKEN, ACTIONS_* and whatever GIT_* a runner or a step exported),
 *     with GIT_CONFIG_NOSYSTEM=1 and GIT_CONFIG_GLOBAL=<a file Tandem writes>, so no system,
 *     ~/.gitconfig or XDG config is read;
 *  3. pins on the command line the settings that make git run a program (`staticPins`);
 *  4. for the settings that name a program per driver (filters, diff and merge drivers), whose
 *     names cannot be known in advance, reads the effective config (local, worktree and every
 *     include) and pins each driver found (`scanPins`), cached until a config file changes;
 *  5. adds the flags that turn off what config cannot (`--no-ext-diff`, `--upload-pack=`).
 * The repository's own config is still read: `remote.origin.url`, the actions/checkout
 * `http.<url>.extraheader` and its v6 `includeIf` credentials file keep working.
 *
 * Facts measured with git 2.39.5 (and pinned by __tests__/git/git.test.ts):
 *  - `filter.<d>.clean/smudge/process` set to '' on the command line: no program runs and the
 *    content passes unchanged. If the driver is `required`, the command then FAILS ("clean
 *    filter 'd' failed"); `required` is left as configured on purpose: a git-lfs checkout
 *    (`git lfs install --local`, required=true) must fail loudly rather than commit smudged
 *    content over its pointers.
 *  - `diff.external=''`, `diff.<d>.command=''`, `diff.<d>.textconv=''` and
 *    `merge.<d>.driver=''` do NOT turn the program off: git tries to run '' ("cannot run : No
 *    such file or directory") and the command fails. Hence `--no-ext-diff --no-textconv` on
 *    diff/log/show (external diffs run on `git diff` only; textconv on diff, log -p, show, blame,
 *    range-diff; plumbing diff-tree/-index/-files and format-patch use neither), `false` for the
 *    diff programs found (a command we did not flag fails instead of running them), and for a
 *    merge driver the 3-way text merge through `git merge-file` — what git does for a
 *    `merge=<d>` attribute whose driver is not defined (measured: conflict markers and all).
 *  - `-c 'filter.a=b.clean='` is split at the first '=' and pins nothing (the filter runs);
 *    GIT_CONFIG_KEY_<n>/GIT_CONFIG_VALUE_<n> carry a key verbatim, so dynamic pins use those
 *    (they override every config file, and only an explicit `-c` overrides them).
 *  - `-c remote.origin.uploadpack=git-upload-pack` does NOT override a planted local value ("more
 *    than one uploadpack given, using the first"), and with a local-path remote that value runs
 *    through the shell on ls-remote/fetch (receivepack on push); `--upload-pack=` and
 *    `--receive-pack=` on the command line do override it.
 *  - `-c credential.helper=` clears every helper configured before it, URL-scoped ones
 *    (`credential.<url>.helper`) included. `core.askPass` still runs with
 *    GIT_TERMINAL_PROMPT=0; `-c core.askPass=` (empty) stops it and SSH_ASKPASS.
 *  - A `remote.<r>.vcs`, a `<x>::` URL or an unknown `<x>://` scheme makes git run
 *    `git remote-<x>`, which an `alias.remote-<x>=!cmd` in local config turns into a shell
 *    command; `protocol.allow=never` (with https/http/ssh allowed, file `user`) refuses them.
 *  - `core.hooksPath=/dev/null` finds no hook and prints no warning; nothing can ever be
 *    created under /dev/null, while an empty directory of our own could be filled by any
 *    process of the same user (the agent, today). Windows gets an empty directory instead.
 *  - `safe.directory=*` is honoured from GIT_CONFIG_GLOBAL (needed when the checkout belongs to
 *    another user, e.g. a container job or a dedicated agent user).
 *
 * Deliberately NOT pinned:
 *  - `core.sshCommand`: actions/checkout's `ssh-key` puts its `ssh -i …` there, in local config.
 *    A planted value (with `url.<ssh>.insteadOf`) would run on fetch/push over ssh; the config
 *    guard (guard.ts) restores .git/config after every session, which covers it.
 *  - `core.untrackedCache`: runs nothing; pinning it makes git rewrite the index extension.
 *  - `uploadpack.packObjectsHook`: git reads it only from protected (system, global, command
 *    line) config, all of which Tandem controls here.
 * Residual: a planted value that lands between the config read and the command (a few ms) is
 * not seen; only concurrent agents sharing the common .git/config (parallel worktrees) could
 * race that. git itself is looked up in PATH once, at the first call; what git then starts by
 * name (ssh, git-upload-pack, sh) comes from PATH each time, so a PATH directory the agent's
 * user can write defeats this (the dedicated agent user closes that).
 */

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

function keptEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (KEPT_ENV.has(name.toUpperCase()) || name.startsWith('LC_')) env[name] = value
  }
  return env
}

interface Sandbox {
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

async function sandbox(): Promise<Sandbox> {
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
function pinnedEnv(box: Sandbox): Record<string, string> {
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
function staticPins(box: Sandbox): Array<[string, string]> {
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

// Global options that take the next argument.
const OPTIONS_WITH_VALUE = new Set(['-c', '--config-env', '--namespace', '--super-prefix'])
// Global options that would point git at another repository than the one scanned.
const OTHER_REPOSITORY = /^(-C|--git-dir|--work-tree)(=|$)/

/** Index of the subcommand in `args` (after git's global options), or -1. */
export function subcommandIndex(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (OTHER_REPOSITORY.test(arg)) {
      throw new Error(`git(): pass the repository as cwd, not ${arg}`)
    }
    if (OPTIONS_WITH_VALUE.has(arg)) i++
    else if (!arg.startsWith('-')) return i
  }
  return -1
}

// Subcommands that never read the work tree, run a driver or talk to a remote: no config scan.
const NO_DRIVERS = new Set([
  'config',
  'rev-parse',
  'merge-base',
  'symbolic-ref',
  'update-ref',
  'for-each-ref',
  'show-ref',
  'rev-list',
  'ls-tree',
  'var',
  'version',
  'check-ref-format',
  'commit-tree',
  'write-tree'
])

function needsScan(subcommand: string, rest: string[]): boolean {
  if (subcommand === 'cat-file') {
    return rest.some(arg => arg.startsWith('--filters') || arg.startsWith('--textconv'))
  }
  return !NO_DRIVERS.has(subcommand)
}

/** Flags that turn off what config cannot (see the facts above), put after the subcommand. */
function injectedFlags(subcommand: string): string[] {
  switch (subcommand) {
    case 'diff':
    case 'log':
    case 'show':
    case 'whatchanged':
      return ['--no-ext-diff', '--no-textconv']
    case 'blame':
    case 'annotate':
      return ['--no-textconv']
    case 'fetch':
    case 'ls-remote':
    case 'pull':
      return ['--upload-pack=git-upload-pack']
    case 'push':
      return ['--receive-pack=git-receive-pack']
    default:
      return []
  }
}

interface RawRun {
  cwd: string
  args: string[]
  env: Record<string, string>
  input?: string | Buffer
}

function run(box: Sandbox, { cwd, args, env, input }: RawRun): Promise<GitResult> {
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

function pinArgs(pins: Array<[string, string]>): string[] {
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
async function scanPins(
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

function configEnv(pins: Array<[string, string]>): Record<string, string> {
  if (pins.length === 0) return {}
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(pins.length) }
  pins.forEach(([key, value], n) => {
    env[`GIT_CONFIG_KEY_${n}`] = key
    env[`GIT_CONFIG_VALUE_${n}`] = value
  })
  return env
}

/**
 * Runs git with an argument vector (never a shell), hardened as described at the top of this
 * file: its environment is built from scratch, and nothing configured in the repository (or
 * anywhere else) can make it run a hook, an fsmonitor, a filter, a diff or merge driver, a
 * pager, an editor, a credential helper or a remote helper.
 */
export async function git(cwd: string, args: string[], options: GitOptions = {}) {
  const box = await sandbox()
  const index = subcommandIndex(args)
  const subcommand = index < 0 ? '' : args[index]!
  const pinned = pinnedEnv(box)
  const base = { ...keptEnv(), ...pinned }
  for (const name of Object.keys(options.env ?? {})) {
    if (name in pinned || name.toUpperCase().startsWith('GIT_CONFIG')) {
      throw new Error(`git(): options.env may not set ${name}`)
    }
  }
  const dynamic =
    index >= 0 && needsScan(subcommand, args.slice(index + 1)) ? await scanPins(box, cwd, base) : []
  const finalArgs = [
    '--no-pager',
    ...pinArgs(staticPins(box)),
    ...(index < 0
      ? args
      : [...args.slice(0, index + 1), ...injectedFlags(subcommand), ...args.slice(index + 1)])
  ]
  const result = await run(box, {
    cwd,
    args: finalArgs,
    env: { ...base, ...configEnv(dynamic), ...options.env },
    input: options.input
  })
  if (result.exitCode !== 0 && !options.allowFailure) {
    throw new Error(`git ${args.join(' ')} failed (${result.exitCode}): ${result.stderr.trim()}`)
  }
  return result
}

/** The git directory of `cwd` and the common one (they differ in a linked worktree). */
export async function gitDirsOf(cwd: string): Promise<{ gitDir: string; commonDir: string }> {
  const { stdout } = await git(cwd, [
    'rev-parse',
    '--path-format=absolute',
    '--git-dir',
    '--git-common-dir'
  ])
  const [gitDir = '', commonDir = gitDir] = stdout.split('\n').filter(line => line !== '')
  return { gitDir, commonDir }
}

export async function hasCommit(cwd: string, sha: string): Promise<boolean> {
  const result = await git(cwd, ['cat-file', '-e', `${sha}^{commit}`], { allowFailure: true })
  return result.exitCode === 0
}

export async function isAncestor(cwd: string, ancestor: string, descendant: string) {
  const result = await git(cwd, ['merge-base', '--is-ancestor', ancestor, descendant], {
    allowFailure: true
  })
  return result.exitCode === 0
}

/** Makes sure the commits are present, fetching them (and the history between) if not. */
export async function ensureCommits(cwd: string, shas: string[]): Promise<boolean> {
  const missing: string[] = []
  for (const sha of shas) if (!(await hasCommit(cwd, sha))) missing.push(sha)
  if (missing.length > 0) {
    await git(cwd, ['fetch', '--no-tags', '--quiet', 'origin', ...missing], { allowFailure: true })
  }
  for (const sha of shas) if (!(await hasCommit(cwd, sha))) return false
  return true
}

/** The merge base, deepening a shallow clone until one is found. */
export async function mergeBase(cwd: string, a: string, b: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const result = await git(cwd, ['merge-base', a, b], { allowFailure: true })
    if (result.exitCode === 0) return result.stdout.trim()
    const shallow = await git(cwd, ['rev-parse', '--is-shallow-repository'], { allowFailure: true })
    if (shallow.stdout.trim() !== 'true') return undefined
    await git(cwd, ['fetch', '--no-tags', '--quiet', '--unshallow', 'origin'], {
      allowFailure: true
    })
  }
  return undefined
}

/** `git diff --find-renames from to`, with every output-shaping option pinned. */
export async function diffBetween(cwd: string, from: string, to: string): Promise<string> {
  const result = await git(cwd, [
    '-c',
    'core.quotePath=true',
    'diff',
    '--find-renames',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    from,
    to
  ])
  return result.stdout
}

export async function headSha(cwd: string): Promise<string | undefined> {
  const result = await git(cwd, ['rev-parse', 'HEAD'], { allowFailure: true })
  return result.exitCode === 0 ? result.stdout.trim() : undefined
}

/**
 * A checkout of exactly `sha` for an agent to read: the working directory itself when it is
 * there already, else a detached worktree beside it (removed by `release`). actions/checkout
 * leaves the merge commit (pull_request) or the default branch (issue_comment) checked out,
 * whose lines are not the ones the diff numbers.
 */
export async function checkoutAt(
  cwd: string,
  sha: string,
  parent: string
): Promise<{ dir: string; release: () => Promise<void> }> {
  if ((await headSha(cwd)) === sha) return { dir: cwd, release: async () => undefined }
  await mkdir(parent, { recursive: true })
  const dir = path.join(parent, `tandem-head-${sha.slice(0, 12)}-${Date.now().toString(36)}`)
  await git(cwd, ['worktree', 'add', '--detach', '--quiet', dir, sha])
  return {
    dir,
    release: async () => {
      await git(cwd, ['worktree', 'remove', '--force', dir], { allowFailure: true })
    }
  }
}
