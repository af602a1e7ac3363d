import { httpStatus, type GitHub, type Repo } from './client.js'

export interface ForkPushAccess {
  maintainerCanModify: boolean
  tokenCanPush: boolean
}

/**
 * Whether a fork's branch takes pushes from this token: the pull request's "Allow edits by
 * maintainers", and the token's own permission on the fork (`permissions.push`, which GitHub
 * only reports for tokens that have it). A repository the token cannot see counts as no.
 */
export async function forkPushAccess(
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  headRepoFullName: string
): Promise<ForkPushAccess> {
  const { data: pull } = await gh.rest.pulls.get({
    owner: repo.owner,
    repo: repo.repo,
    pull_number: prNumber
  })
  const [owner = '', name = ''] = headRepoFullName.split('/')
  let tokenCanPush = false
  try {
    const { data } = await gh.rest.repos.get({ owner, repo: name })
    tokenCanPush = data.permissions?.push === true
  } catch (error) {
    const status = httpStatus(error)
    if (status !== 403 && status !== 404) throw error
  }
  return { maintainerCanModify: pull.maintainer_can_modify === true, tokenCanPush }
}
