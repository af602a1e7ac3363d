import * as core from '@actions/core'
import { entryPaths, statusEntries } from './branch.js'
import { checkoutCommit } from './checkout.js'
import { ensureCommits, git, headSha } from './git.js'

/**
 * Moves the checkout to a pull request's head. A dirty tree is refused: everything in it would go
 * into the commit pushed to someone's pull request.
 */
export async function checkoutPullRequestHead(
  cwd: string,
  pr: { number: number; headSha: string; headRef: string }
): Promise<void> {
  const top = await git(cwd, ['rev-parse', '--show-toplevel'], { allowFailure: true })
  if (top.exitCode !== 0) {
    throw new Error(
      `working-directory ${cwd} is not a git checkout: address mode commits and pushes from one ` +
        '(run actions/checkout first)'
    )
  }
  const dirty = entryPaths(await statusEntries(cwd))
  if (dirty.length > 0) {
    throw new Error(
      `The checkout has ${dirty.length} changed file(s) before the writer ran (` +
        `${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}): address mode commits ` +
        'everything that changed to the pull request, so it needs a clean checkout (add such ' +
        'files to .gitignore, or run address mode before the steps that create them)'
    )
  }
  if ((await headSha(cwd)) === pr.headSha) return
  if (!(await ensureCommits(cwd, [pr.headSha]))) {
    throw new Error(
      `The head of #${pr.number} (${pr.headSha}) cannot be fetched into the checkout from origin`
    )
  }
  await checkoutCommit(cwd, pr.headSha)
  core.info(`Checked out ${pr.headSha} (${pr.headRef})`)
}
