// What write, address and collect publish under: branch names, the PR's title and labels, the
// commits' author. Checked before any agent runs, since GitHub refuses a bad one only after the
// push.
import { invalidBranchName } from '../git/branch-name.js'
import { type InputReader, invalid, optionalString, splitList } from './values.js'

// Checked here, before any agent runs: a bad `base` used to fail only at pulls.create, after the
// branch was pushed.
export function parseBranch(read: InputReader, name: 'branch' | 'base'): string | undefined {
  const raw = optionalString(read, name)
  const bad = raw === undefined ? undefined : invalidBranchName(raw)
  if (bad) throw invalid(name, raw!, `a git branch name (${bad})`)
  return raw
}

/** GitHub refuses a longer title or label name with a 422 (after the branch is pushed). */
const GITHUB_TITLE_CHARS = 256
const GITHUB_LABEL_CHARS = 50

export function parsePrTitle(read: InputReader): string | undefined {
  const raw = optionalString(read, 'pr-title')
  if (raw !== undefined && [...raw].length > GITHUB_TITLE_CHARS) {
    throw invalid(
      'pr-title',
      raw,
      `at most ${GITHUB_TITLE_CHARS} characters, GitHub's limit for a title`
    )
  }
  return raw
}

export function parseLabels(read: InputReader): string[] {
  const labels = splitList(read('labels'))
  for (const label of labels) {
    if ([...label].length > GITHUB_LABEL_CHARS) {
      throw invalid(
        'labels',
        label,
        `label names of at most ${GITHUB_LABEL_CHARS} characters, GitHub's limit, one per line or comma-separated`
      )
    }
  }
  return labels
}

// `Name <email>`, as git writes an identity. Split at the last '<' rather than matched with one
// regex: a lazy name group followed by `\s*<` took quadratic time (a 20,000-space value: 0.2 s).
export function parseCommitAuthor(read: InputReader): { name: string; email: string } | undefined {
  const raw = optionalString(read, 'commit-author')
  if (raw === undefined) return undefined
  const open = raw.lastIndexOf('<')
  const name = raw.slice(0, Math.max(0, open)).trim()
  const email = raw.slice(open + 1, -1)
  if (
    open < 0 ||
    !raw.endsWith('>') ||
    name === '' ||
    /[<>\n]/.test(name) ||
    !/^[^<>\s]+$/.test(email) ||
    !email.slice(1, -1).includes('@')
  ) {
    throw invalid('commit-author', raw, 'a git identity such as "Tandem Bot <tandem@example.com>"')
  }
  return { name, email }
}
