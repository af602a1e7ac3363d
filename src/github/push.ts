import { httpStatus, type GitHub } from './client.js'

/**
 * Whether the token may push to a fork (`permissions.push`, which GitHub only reports for
 * tokens that have it). A repository the token cannot see counts as no. The pull request's own
 * "Allow edits by maintainers" is `PullRequest.maintainerCanModify`.
 */
export async function tokenCanPushTo(gh: GitHub, headRepoFullName: string): Promise<boolean> {
  const [owner = '', name = ''] = headRepoFullName.split('/')
  let tokenCanPush = false
  try {
    const { data } = await gh.rest.repos.get({ owner, repo: name })
    tokenCanPush = data.permissions?.push === true
  } catch (error) {
    const status = httpStatus(error)
    if (status !== 403 && status !== 404) throw error
  }
  return tokenCanPush
}
