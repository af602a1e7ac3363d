/** What decides whether Tandem may push a fix to a pull request's head branch. */
export interface PushContext {
  isFork: boolean
  /** `owner/repo` of the head; undefined when the fork was deleted. */
  headRepoFullName: string | undefined
  /** The fork's "Allow edits by maintainers"; only read for forks. */
  maintainerCanModify: boolean
  /** Whether the token may push to the head repository; only read for forks. */
  tokenCanPush: boolean
  /** The checkout's `origin`, where the push goes. */
  originUrl: string | undefined
}

/**
 * Why a fix cannot be pushed to the head branch, or undefined when it can. A same-repository
 * branch is pushed with the checkout's own credentials. A fork's branch only when its owner
 * allows maintainers to edit it, the token can push there, and the checkout's origin IS the fork:
 * pushing the head branch's name to the base repository would write a different branch.
 */
export function whyCannotPush(ctx: PushContext): string | undefined {
  if (!ctx.isFork) return undefined
  const head = ctx.headRepoFullName
  if (head === undefined) return "the pull request's head repository (a fork) was deleted"
  if (!ctx.maintainerCanModify) {
    return `the pull request comes from the fork ${head}, which does not allow edits by maintainers`
  }
  if (!ctx.tokenCanPush) {
    return (
      `the token cannot push to the fork ${head}; GITHUB_TOKEN never can, a GitHub App's token ` +
      'or a personal access token with access to the fork can'
    )
  }
  if (!remoteIsRepository(ctx.originUrl, head)) {
    return (
      `the checkout's origin (${ctx.originUrl ?? 'none'}) is not the fork ${head}; check out ` +
      'the head repository (actions/checkout `repository:` and `ref:` the head branch)'
    )
  }
  return undefined
}

/** Whether a git remote URL names `owner/repo` (https, ssh or scp-like form, `.git` or not). */
export function remoteIsRepository(url: string | undefined, fullName: string): boolean {
  if (url === undefined) return false
  const match =
    /^(?:[a-z+]+:\/\/(?:[^@/]+@)?[^/]+\/|[^@:/]+@[^:]+:)([^/]+\/[^/]+?)(?:\.git)?\/?$/i.exec(
      url.trim()
    )
  return match?.[1]?.toLowerCase() === fullName.toLowerCase()
}

/** The lines a unified diff adds, without the `+++` file headers. */
export function addedLines(diff: string): string {
  return diff
    .split('\n')
    .filter(line => line.startsWith('+') && !line.startsWith('+++'))
    .join('\n')
}

/**
 * Why a committed fix is kept back, checked after the credential scan: workflow files that are
 * not allowed, or a head branch this run cannot push to.
 */
export function whyNotPushed(
  workflows: string[],
  how: { allowWorkflowChanges: boolean; pushRefusal: string | undefined }
): string | undefined {
  if (workflows.length > 0 && !how.allowWorkflowChanges) {
    return (
      `the changes touch workflow files (${workflows.join(', ')}), which allow-workflow-changes ` +
      'does not allow'
    )
  }
  return how.pushRefusal || undefined
}

/** The web address of a pushed commit. */
export function commitUrl(
  serverUrl: string | undefined,
  repo: { owner: string; repo: string },
  sha: string
): string {
  const server = (serverUrl?.trim() || 'https://github.com').replace(/\/+$/, '')
  return `${server}/${repo.owner}/${repo.repo}/commit/${sha}`
}
