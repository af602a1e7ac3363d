import { git } from './git.js'

export interface CommitSummary {
  sha: string
  subject: string
}

/** The commits in `from..to`, oldest first, at most `limit`; empty when git cannot tell. */
export async function commitsBetween(
  cwd: string,
  from: string,
  to: string,
  limit = 250
): Promise<CommitSummary[]> {
  const result = await git(
    cwd,
    ['log', '--reverse', `--max-count=${limit}`, '--format=%H%x00%s%x00', `${from}..${to}`],
    { allowFailure: true }
  )
  if (result.exitCode !== 0) return []
  const fields = result.stdout.split('\0')
  const commits: CommitSummary[] = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const sha = fields[i]!.trim()
    if (/^[0-9a-f]{40,64}$/.test(sha)) commits.push({ sha, subject: fields[i + 1]! })
  }
  return commits
}
