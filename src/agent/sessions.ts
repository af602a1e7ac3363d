import { existsSync, realpathSync } from 'node:fs'
import { constants } from 'node:fs'
import { lstat, mkdir, open, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'

/**
 * The CLI's folder for one working directory: the absolute path with every character that is
 * not a letter or digit replaced by '-' (`/tmp/work_dir.x` → `-tmp-work-dir-x`), measured with
 * Claude Code 2.1.197.
 */
export function projectDirName(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-')
}

/** Where the CLI keeps its config and sessions: CLAUDE_CONFIG_DIR, else `$HOME/.claude`. */
export function claudeConfigDir(env: Record<string, string | undefined>): string {
  const configured = env.CLAUDE_CONFIG_DIR?.trim()
  if (configured) return configured
  return path.join(env.HOME?.trim() || homedir(), '.claude')
}

/** `<config>/projects/<cwd mangled>/<id>.jsonl`, the file `--resume <id>` reads. */
export function sessionFilePath(configDir: string, cwd: string, sessionId: string): string {
  return path.join(configDir, 'projects', projectDirName(cwd), `${sessionId}.jsonl`)
}

/**
 * The session file the CLI would resume from this working directory, or undefined when it is
 * not on this runner: `--resume` only finds sessions of the same cwd, and a job on a fresh
 * runner has none unless the workflow restored the folder.
 */
export function findSessionFile(
  env: Record<string, string | undefined>,
  cwd: string,
  sessionId: string
): string | undefined {
  if (!SESSION_ID.test(sessionId)) return undefined
  const configDir = claudeConfigDir(env)
  // The CLI may key the folder by the resolved path (a symlinked workspace, macOS /private/tmp).
  const dirs = new Set([cwd])
  try {
    dirs.add(realpathSync(cwd))
  } catch {
    // A cwd that cannot be resolved keeps its given form only.
  }
  for (const dir of dirs) {
    const file = sessionFilePath(configDir, dir, sessionId)
    if (existsSync(file)) return file
  }
  return undefined
}

/** What importSession needs of the sandbox: its home, and a way to hand it a file. */
interface SessionSandbox {
  home: string
  /** Makes each path the agent's (lchown, never following a symlink). */
  giveToAgent(paths: string[]): Promise<void>
}

/**
 * Copies a session from the runner's store into the agent's own config folder, so `--resume`
 * finds it; the copy becomes the agent's (the CLI appends to it). The folders on the way are
 * the agent's, so each is checked not to be a symlink (one could point this process, which may
 * be root, anywhere) and replaced by a real folder if it is not one. Called while no process of
 * the agent runs. A session not in the store is left to the CLI to report.
 */
export async function importSession(
  store: string,
  sandbox: SessionSandbox,
  cwd: string,
  sessionId: string
): Promise<void> {
  if (!SESSION_ID.test(sessionId)) return
  const found = findSessionFile({ CLAUDE_CONFIG_DIR: store }, cwd, sessionId)
  if (found === undefined) return
  const config = path.join(sandbox.home, '.claude')
  const projects = path.join(config, 'projects')
  const target = path.join(projects, path.basename(path.dirname(found)))
  const made: string[] = []
  for (const dir of [config, projects, target]) {
    if (await isRealDirectory(dir)) continue
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { mode: 0o700 })
    made.push(dir)
  }
  const file = path.join(target, path.basename(found))
  await rm(file, { force: true })
  await copySessionFile(found, file)
  await sandbox.giveToAgent([...made, file])
}

/** A session file is text: far more than any transcript is not one. */
const MAX_SESSION_BYTES = 256 * 1024 * 1024

/**
 * Copies a session file's bytes, and nothing else: the source is opened without following a
 * symlink and must be a regular file; the copy is a new file of mode 0600 owned by this
 * process. (copyFile keeps the source's mode: an agent's setuid binary named like a session
 * would have come out as root's setuid binary.)
 */
async function copySessionFile(from: string, to: string): Promise<void> {
  let source
  try {
    source = await open(from, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    // No such session here, or a symlink (ELOOP), which is not a session file.
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ELOOP') return
    throw error
  }
  try {
    const stat = await source.stat()
    if (!stat.isFile() || stat.size > MAX_SESSION_BYTES) return
    const content = await source.readFile()
    await rm(to, { force: true })
    await writeFile(to, content, {
      mode: 0o600,
      flag: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
    })
  } finally {
    await source.close()
  }
}

async function isRealDirectory(dir: string): Promise<boolean> {
  try {
    return (await lstat(dir)).isDirectory()
  } catch {
    return false
  }
}

/**
 * Copies the agent's session transcripts (`projects/<dir>/<id>.jsonl`) into the runner's store,
 * where address mode and a later step look for them. Only regular files with a session's name
 * are copied: the agent's home is agent-written, and a symlink there must not make this process
 * copy a file the agent could not read.
 */
export async function exportSessions(
  home: string,
  store: string,
  cwd: string,
  sessionId: string
): Promise<void> {
  // Only the session that just ran, under its own working directory: the agent names every
  // other file there, and it must not overwrite another directory's or another id's session.
  if (!SESSION_ID.test(sessionId)) return
  const projects = path.join(home, '.claude', 'projects')
  // The agent's folders: one that is a symlink is not followed.
  if (!(await isRealDirectory(path.dirname(projects))) || !(await isRealDirectory(projects))) return
  for (const dir of projectDirNames(cwd)) {
    const from = path.join(projects, dir)
    if (!(await isRealDirectory(from))) continue
    const to = path.join(store, 'projects', dir)
    await mkdir(to, { recursive: true })
    await copySessionFile(
      path.join(from, `${sessionId}.jsonl`),
      path.join(to, `${sessionId}.jsonl`)
    )
  }
}

/** What the CLI prints as a session id, and the only shape used in a path. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The folder names the CLI may key a working directory by: as given, and resolved. */
function projectDirNames(cwd: string): string[] {
  const dirs = new Set([projectDirName(cwd)])
  try {
    dirs.add(projectDirName(realpathSync(cwd)))
  } catch {
    // A cwd that cannot be resolved keeps its given form only.
  }
  return [...dirs]
}
