// Which patches are refused before git sees them: unsafe paths and symlinks, policy, numstat names.
import path from 'node:path'
import { containsSecret } from '../github/redact.js'
import { isWorkflowPath } from './workflow-paths.js'
import { PatchError, type PatchSection, touchedPaths } from './patch-parse.js'

/** Whether a path component names the repository's own `.git` (any case; NTFS and HFS forms). */
function isGitDirName(component: string): boolean {
  const c = component
    .normalize('NFC')
    .replace(/[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g, '')
    .toLowerCase()
  return c.replace(/[. ]+$/, '') === '.git' || /^git~\d+$/.test(c)
}

/** Why a repository path from a patch is unsafe to write, or undefined when it is fine. */
export function unsafePath(name: string): string | undefined {
  if (name === '') return 'an empty path'
  if (name.includes('\0')) return 'a path with a NUL byte'
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return `an absolute path (${name})`
  const parts = name.split(/[\\/]/)
  if (parts.some(p => p === '..')) return `a path outside the repository (${name})`
  if (parts.some(p => p === '' || p === '.'))
    return `a path with an empty or '.' component (${name})`
  if (parts.some(isGitDirName)) return `a path into .git (${name})`
  return undefined
}

/**
 * Why a symlink at `link` pointing at `target` is refused: it must stay inside the repository
 * and out of `.git`, read from where the link is.
 */
export function unsafeSymlink(link: string, target: string): string | undefined {
  if (target === '' || target.includes('\0') || target.includes('\n')) {
    return `a symlink with an unusable target (${link})`
  }
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target) || target.startsWith('\\')) {
    return `a symlink out of the repository (${link} → ${target})`
  }
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(link), target))
  if (resolved === '..' || resolved.startsWith('../')) {
    return `a symlink out of the repository (${link} → ${target})`
  }
  if (resolved.split('/').some(isGitDirName)) return `a symlink into .git (${link} → ${target})`
  return undefined
}

/**
 * The symlink a path would be written through (`lib/x.js` when `lib` is a symlink), or
 * undefined. git refuses such a write too; saying so here makes it a refusal, not a conflict.
 */
export function throughSymlink(
  paths: readonly string[],
  symlinks: ReadonlySet<string>
): string | undefined {
  for (const p of paths) {
    const parts = p.split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      if (symlinks.has(dir)) return `the patch writes through the symlink ${dir} (${p})`
    }
  }
  return undefined
}

export interface PatchPolicy {
  allowWorkflowChanges: boolean
  /** The run's credentials (runSecrets): a patch holding one is never applied. */
  secrets: readonly string[]
}

/** Why collect refuses a patch before applying it, or undefined. */
export function patchRefusal(
  sections: PatchSection[],
  text: string,
  policy: PatchPolicy
): string | undefined {
  for (const section of sections) {
    for (const name of section.names) {
      const unsafe = unsafePath(name)
      if (unsafe) return `the patch writes ${unsafe}`
    }
  }
  const workflows = touchedPaths(sections).filter(isWorkflowPath).sort()
  if (workflows.length > 0 && !policy.allowWorkflowChanges) {
    return (
      `the patch changes workflow files (${workflows.join(', ')}), which allow-workflow-changes ` +
      'does not allow'
    )
  }
  for (const section of sections) {
    if (section.newMode !== '120000' || section.newPath === undefined) continue
    if (section.binary)
      return `the patch makes ${section.newPath} a symlink without a readable target`
    const unsafe = unsafeSymlink(section.newPath, section.added)
    if (unsafe) return `the patch makes ${unsafe}`
  }
  if (policy.secrets.some(s => s.trim() !== '') && containsSecret(text, policy.secrets)) {
    return 'the patch would publish a credential of this run'
  }
  return undefined
}

/** The paths of `git apply --numstat -z` output, one per file section, in order. */
export function parseNumstatZ(output: string): string[] {
  return output
    .split('\0')
    .filter(record => record !== '')
    .map(record => {
      const m = /^(?:\d+|-)\t(?:\d+|-)\t(.*)$/s.exec(record)
      if (!m) throw new PatchError(`unexpected numstat record: ${record.slice(0, 80)}`)
      return m[1]!
    })
}

/** The path git's numstat names for a section: the new one, else the old one. */
export function numstatName(section: PatchSection): string {
  return (section.newPath ?? section.oldPath)!
}
