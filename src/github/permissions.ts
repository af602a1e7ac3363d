import { httpStatus, type GitHub, type Repo } from './client.js'
import { isAuthoredBy, tandemLogin } from './identity.js'

export const PERMISSIONS = ['admin', 'maintain', 'write', 'triage', 'read', 'none'] as const
export type Permission = (typeof PERMISSIONS)[number]

function asPermission(value: unknown): Permission | undefined {
  return PERMISSIONS.find(p => p === value)
}

/**
 * A user's role on the repository. `role_name` tells maintain and triage apart (the legacy
 * `permission` folds them into write and read); a custom role's name means nothing here, so
 * then the legacy field decides. A user GitHub does not know has no permission.
 */
export async function getCollaboratorPermission(
  gh: GitHub,
  repo: Repo,
  user: string
): Promise<Permission> {
  try {
    const { data } = await gh.rest.repos.getCollaboratorPermissionLevel({
      owner: repo.owner,
      repo: repo.repo,
      username: user
    })
    return asPermission(data.role_name) ?? asPermission(data.permission) ?? 'none'
  } catch (error) {
    if (httpStatus(error) === 404) return 'none'
    throw error
  }
}

/** Whether a permission lets its holder push: only they may start a run that spends money. */
export function canWrite(permission: Permission): boolean {
  return permission === 'admin' || permission === 'maintain' || permission === 'write'
}

export async function requireWritePermission(
  gh: GitHub,
  repo: Repo,
  user: string
): Promise<boolean> {
  return canWrite(await getCollaboratorPermission(gh, repo, user))
}

/**
 * What must hold about a trigger's actor before anything runs (event.ts decides which):
 * - `none`: nothing more — a pull request event or a dispatch by a person, as GitHub allows;
 * - `write`: a person's command: they need write permission;
 * - `allowed-bot`: a bot that allowed-bots lists: it must not be Tandem itself (Tandem's own
 *   events never start a run), and it needs write permission;
 * - `tandem`: a review carrying Tandem's marker: it must be Tandem's own login — the review →
 *   address hand-off. No API call: the permission API does not know a GitHub App's bot;
 * - `tandem-or-allowed-bot`: the same, or else an allowed bot with write permission.
 */
export type TriggerCheck = 'none' | 'write' | 'allowed-bot' | 'tandem' | 'tandem-or-allowed-bot'

/**
 * Why the actor may not start this run, or undefined when it may. Tandem's own login comes from
 * its token (tandemLogin), asked only when a bot is the actor.
 */
export async function whyNotTrusted(
  gh: GitHub,
  repo: Repo,
  trigger: { actor: string; check: TriggerCheck }
): Promise<string | undefined> {
  const { actor, check } = trigger
  const where = `${repo.owner}/${repo.repo}`
  const mayWrite = async (who: string): Promise<string | undefined> =>
    actor !== '' && (await requireWritePermission(gh, repo, actor))
      ? undefined
      : `${who} does not have write permission on ${where}`
  if (check === 'none') return undefined
  if (check === 'write') return mayWrite(`@${actor || 'unknown'}`)
  const me = await tandemLogin(gh)
  if (isAuthoredBy({ login: actor, isBot: true }, me)) {
    return check === 'allowed-bot'
      ? `the event was sent by Tandem itself (${actor}): its own events never start a run`
      : undefined
  }
  if (check === 'tandem') {
    return (
      `the review carries Tandem's marker but was submitted by ${actor || 'unknown'}, not by ` +
      `Tandem (${me}); a bot must be listed in allowed-bots to start a run`
    )
  }
  return mayWrite(`${actor} (listed in allowed-bots)`)
}
