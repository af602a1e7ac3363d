import { git } from './git.js'

/** The paths that differ between two commits, renames as a deletion and an addition, sorted. */
export async function filesChangedBetween(
  cwd: string,
  from: string,
  to: string
): Promise<string[]> {
  const diff = await git(cwd, ['diff', '--name-only', '--no-renames', '-z', from, to])
  return diff.stdout.split('\0').filter(Boolean).sort()
}
