/**
 * Snapshots of chosen working-tree paths as git trees, and putting paths back from one. Each
 * snapshot is written through an index of its own: the checkout's index is never touched.
 * Paths are relative to the repository's top level, which `top` must be.
 */
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { git, gitDirsOf } from './git.js'

// Paths come from git status of a tree agents wrote: a `*` or `:(…)` in a name is a name.
const LITERAL = '--literal-pathspecs'
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null']

/** The repository's top level for `cwd` (working-directory may be below it). */
export async function repoTop(cwd: string): Promise<string> {
  return (await git(cwd, ['rev-parse', '--show-toplevel'])).stdout.trim()
}

/**
 * The tree `base` would have with `paths` as they are in the working tree now: added, changed
 * or removed. A symlink is recorded as a link, never followed; a path beyond a symlink fails.
 */
export async function treeWithPaths(
  top: string,
  paths: readonly string[],
  base = 'HEAD'
): Promise<string> {
  // Beside the real index: agent code may not write there, and no temp dir is needed.
  const index = path.join(
    (await gitDirsOf(top)).gitDir,
    `tandem-snapshot-${randomBytes(6).toString('hex')}`
  )
  const env = { GIT_INDEX_FILE: index }
  try {
    await git(top, ['read-tree', base], { env })
    if (paths.length > 0) {
      // update-index takes literal paths; --remove drops the ones that are gone.
      await git(top, ['update-index', '--add', '--remove', '-z', '--stdin'], {
        env,
        input: paths.join('\0') + '\0'
      })
    }
    return (await git(top, ['write-tree'], { env })).stdout.trim()
  } finally {
    await rm(index, { force: true })
  }
}

/** The paths whose content, mode or presence differs between two trees. */
export async function pathsChangedBetween(top: string, a: string, b: string): Promise<string[]> {
  const { stdout } = await git(top, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', a, b])
  return stdout.split('\0').filter(name => name !== '')
}

/**
 * Puts `paths` of the working tree back as they are in the tree `source`: checked out from it
 * where it has them, removed where it does not.
 */
export async function restorePaths(
  top: string,
  source: string,
  paths: readonly string[]
): Promise<void> {
  if (paths.length === 0) return
  const listed = await git(top, [
    LITERAL,
    'ls-tree',
    '-r',
    '-z',
    '--name-only',
    source,
    '--',
    ...paths
  ])
  const present = new Set(listed.stdout.split('\0').filter(name => name !== ''))
  const back = paths.filter(file => present.has(file))
  const gone = paths.filter(file => !present.has(file))
  if (back.length > 0) await git(top, [LITERAL, ...NO_HOOKS, 'checkout', source, '--', ...back])
  if (gone.length > 0) {
    await git(top, [LITERAL, 'rm', '-r', '-q', '--cached', '--ignore-unmatch', '--', ...gone])
    // Untracked now: clean removes a file or a link itself, never what a link points at.
    await git(top, [LITERAL, 'clean', '-f', '-q', '--', ...gone])
  }
}
