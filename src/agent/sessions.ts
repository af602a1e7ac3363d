import { existsSync, realpathSync } from 'node:fs'
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
