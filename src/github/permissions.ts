import { httpStatus, type GitHub, type Repo } from './client.js'

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
