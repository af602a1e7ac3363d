import type { StatusEntry } from './branch.js'

// GitHub runs what is under .github/workflows with the repository's secrets, and refuses a push
// that touches it from a token without the `workflows` permission. Matched without regard to
// case: on a case-insensitive checkout `.GitHub/Workflows/x.yml` is the same file.
// Local actions under .github/actions run inside those workflows (`uses: ./.github/actions/x`)
// with the same secrets, so they are gated the same way.
const GATED_DIRS = ['.github/workflows', '.github/actions']

/**
 * Whether a repository path is a workflow file or a local action, one of their directories, or
 * `.github` itself (a file or symlink put where the directory was).
 */
export function isWorkflowPath(path: string): boolean {
  const p = path.replace(/^\.\/+/, '').toLowerCase()
  return p === '.github' || GATED_DIRS.some(dir => p === dir || p.startsWith(`${dir}/`))
}

/**
 * The workflow paths among working-tree changes. Both sides of a rename count: moving a file
 * into .github/workflows creates a workflow; moving one out deletes it.
 */
export function workflowChanges(entries: StatusEntry[]): string[] {
  const found = new Set<string>()
  for (const entry of entries) {
    for (const path of [entry.path, entry.origPath]) {
      if (path !== undefined && isWorkflowPath(path)) found.add(path)
    }
  }
  return [...found].sort()
}
