import { existsSync, realpathSync } from 'node:fs'
import { copyFile, lstat, mkdir, readdir } from 'node:fs/promises'
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

/** What importSession needs of the sandbox: its home, and a way to hand it a tree. */
interface SessionSandbox {
  home: string
  grant(dir: string, access: 'read' | 'write'): Promise<() => Promise<void>>
}

/**
 * Copies a session from the runner's store into the agent's own config folder, so `--resume`
 * finds it; the copy becomes the agent's (the CLI appends to it). A session not in the store is
 * left to the CLI to report.
 */
export async function importSession(
  store: string,
  sandbox: SessionSandbox,
  cwd: string,
  sessionId: string
): Promise<void> {
  const found = findSessionFile({ CLAUDE_CONFIG_DIR: store }, cwd, sessionId)
  if (found === undefined) return
  const agentConfig = path.join(sandbox.home, '.claude')
  const target = path.join(agentConfig, 'projects', path.basename(path.dirname(found)))
  await mkdir(target, { recursive: true })
  await copyFile(found, path.join(target, path.basename(found)))
  // Handed over for good: the agent's home is removed at the end of the run anyway.
  await sandbox.grant(path.join(agentConfig, 'projects'), 'write')
}

/**
 * Copies the agent's session transcripts (`projects/<dir>/<id>.jsonl`) into the runner's store,
 * where address mode and a later step look for them. Only regular files with a session's name
 * are copied: the agent's home is agent-written, and a symlink there must not make this process
 * copy a file the agent could not read.
 */
export async function exportSessions(home: string, store: string): Promise<void> {
  const projects = path.join(home, '.claude', 'projects')
  let dirs: string[]
  try {
    dirs = await readdir(projects)
  } catch {
    return
  }
  for (const dir of dirs) {
    const from = path.join(projects, dir)
    if (!(await lstat(from)).isDirectory()) continue
    for (const name of await readdir(from)) {
      if (!/^[0-9a-f-]{36}\.jsonl$/i.test(name)) continue
      const file = path.join(from, name)
      if (!(await lstat(file)).isFile()) continue
      const to = path.join(store, 'projects', dir)
      await mkdir(to, { recursive: true })
      await copyFile(file, path.join(to, name))
    }
  }
}
