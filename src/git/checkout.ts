import { readFileSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { git } from './git.js'

/**
 * Moves the checkout to `sha`, detached. actions/checkout leaves a pull_request run on the merge
 * commit and an issue_comment run on the default branch; a fix must be made on the PR's head.
 * Hooks are off: whatever ran in the checkout before could have planted one.
 */
export async function checkoutCommit(cwd: string, sha: string): Promise<void> {
  await git(cwd, ['-c', 'core.hooksPath=/dev/null', 'checkout', '--quiet', '--detach', sha])
}

/** The URL of `origin`, or undefined when the checkout has no such remote. */
export async function originUrl(cwd: string): Promise<string | undefined> {
  const result = await git(cwd, ['remote', 'get-url', 'origin'], { allowFailure: true })
  return result.exitCode === 0 ? result.stdout.trim() : undefined
}

/** Files larger than this are not quoted to the writer; it can Read them itself. */
const MAX_FILE_BYTES = 1024 * 1024

/**
 * A file of the checkout as text, or undefined when it is missing, too large, or not inside the
 * checkout once symlinks are followed: a pull request can add a symlink to a runner file, and
 * what is read here is sent to the model.
 */
export function readCheckoutFile(cwd: string, relative: string): string | undefined {
  try {
    const root = realpathSync(cwd)
    const file = realpathSync(path.resolve(root, relative))
    const inside = path.relative(root, file)
    if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return undefined
    if (inside.split(path.sep)[0] === '.git') return undefined
    const stat = statSync(file)
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}
