import { createHash } from 'node:crypto'

/** Every branch Tandem names itself lives under this prefix, so it is easy to find and clean up. */
export const BRANCH_PREFIX = 'tandem/'

const MAX_SLUG_CHARS = 40

/**
 * The default branch for a prompt: `tandem/<slug>-<hash>`. The same prompt always gives the same
 * branch, so a re-run updates its pull request instead of opening another; the hash keeps two
 * prompts that slug alike ("Fix lint" / "fix: lint!") apart. Whitespace differences do not count.
 */
export function branchForPrompt(prompt: string): string {
  const normalized = prompt.trim().replace(/\s+/g, ' ')
  const hash = createHash('sha256').update(normalized).digest('hex').slice(0, 8)
  const slug = slugify(normalized) || 'task'
  return `${BRANCH_PREFIX}${slug}-${hash}`
}

/** Lower-case ASCII words joined by '-', cut at a word boundary. Accents are folded ("café" → cafe). */
export function slugify(text: string): string {
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(word => word !== '')
  let slug = ''
  for (const word of words) {
    const next = slug === '' ? word : `${slug}-${word}`
    if (next.length > MAX_SLUG_CHARS) {
      // A first word longer than the limit is cut rather than dropped, so the slug says something.
      if (slug === '') slug = word.slice(0, MAX_SLUG_CHARS)
      break
    }
    slug = next
  }
  return slug
}

/**
 * Why `name` cannot be a branch Tandem pushes to, or undefined when it can. The rules of
 * `git check-ref-format --branch`, plus names that would push somewhere other than intended.
 */
export function invalidBranchName(name: string): string | undefined {
  if (name === '') return 'it is empty'
  // A loose ref is a file: a longer name fails only at the push, after all the work.
  if (Buffer.byteLength(name) > 255)
    return 'it is longer than 255 bytes, more than a ref file name holds'
  if (name === 'HEAD' || name === '@') return `'${name}' is not a branch`
  if (name.startsWith('refs/')) return "give the branch's short name, without refs/"
  if (name.startsWith('-')) return "it starts with '-'"
  // eslint-disable-next-line no-control-regex -- control characters are exactly what git refuses
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) {
    return 'it contains a space, a control character or one of ~ ^ : ? * [ \\'
  }
  if (name.includes('..')) return "it contains '..'"
  if (name.includes('@{')) return "it contains '@{'"
  if (name.endsWith('/') || name.startsWith('/') || name.includes('//')) {
    return "it has an empty path component ('/' at either end or '//')"
  }
  if (name.endsWith('.')) return "it ends with '.'"
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return `its component '${component}' starts with '.'`
    if (component.endsWith('.lock')) return `its component '${component}' ends with '.lock'`
  }
  return undefined
}
