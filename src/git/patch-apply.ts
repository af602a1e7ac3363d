// Applying patches one by one onto a temporary index, each read back and committed.
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import path from 'node:path'
import { containsSecret } from '../github/redact.js'
import type { GitIdentity } from './branch.js'
import { git } from './git.js'
import type { ApplyPatchesOptions, PatchOutcome, PatchTask } from './patches.js'
import type { PatchSection } from './patch-parse.js'
import { throughSymlink, unsafeSymlink } from './patch-policy.js'

// A repository's apply.* settings must not change what a patch does (`fix` rewrites lines).
export const APPLY_PINS = ['-c', 'apply.whitespace=nowarn', '-c', 'apply.ignoreWhitespace=no']

export interface Candidate {
  task: PatchTask
  text: string
  sections: PatchSection[]
  paths: string[]
}

export interface ApplyContext {
  env: Record<string, string>
  scratch: string
  identity: GitIdentity
  options: ApplyPatchesOptions
  outcomes: Map<number, PatchOutcome>
}

export interface IndexEntry {
  mode: string
  sha: string
}

/** The index's entries (of `paths` only, when given). */
export async function indexEntries(top: string, env: Record<string, string>, paths?: string[]) {
  const args = ['--literal-pathspecs', 'ls-files', '--stage', '-z']
  const out = (await git(top, paths ? [...args, '--', ...paths] : args, { env })).stdout
  const entries = new Map<string, IndexEntry>()
  for (const record of out.split('\0')) {
    const m = /^([0-7]{6}) ([0-9a-f]+) \d\t(.*)$/s.exec(record)
    if (m) entries.set(m[3]!, { mode: m[1]!, sha: m[2]! })
  }
  return entries
}

/** Whether a task's result must be read back: binary content, or a symlink in play. */
export function needsReadBack(c: Candidate, symlinks: ReadonlySet<string>): boolean {
  return c.sections.some(
    s =>
      s.binary ||
      s.newMode === '120000' ||
      (s.oldPath !== undefined && symlinks.has(s.oldPath)) ||
      (s.newPath !== undefined && symlinks.has(s.newPath))
  )
}

/**
 * Reads back what a task left in the index for its paths (checked out into a scratch folder,
 * never into the working tree) and says why it is refused: a symlink that leads out, or binary
 * content holding a credential. Also tells which of the paths are now symlinks.
 */
export async function readBack(
  top: string,
  c: Candidate,
  ctx: ApplyContext,
  symlinks: Set<string>
): Promise<string | undefined> {
  const dir = mkdtempSync(path.join(ctx.scratch, 'out-'))
  const paths = c.sections.flatMap(s => (s.newPath === undefined ? [] : [s.newPath]))
  try {
    await git(top, ['checkout-index', '-q', '-z', '--stdin', `--prefix=${dir}/`], {
      env: ctx.env,
      input: paths.join('\0'),
      allowFailure: true
    })
    for (const s of c.sections) if (s.oldPath !== undefined) symlinks.delete(s.oldPath)
    for (const p of paths) {
      const full = path.join(dir, p)
      let stat
      try {
        stat = lstatSync(full)
      } catch {
        symlinks.delete(p)
        continue
      }
      if (stat.isSymbolicLink()) {
        symlinks.add(p)
        const unsafe = unsafeSymlink(p, readlinkSync(full))
        if (unsafe) return `the patch makes ${unsafe}`
        continue
      }
      symlinks.delete(p)
      const binary = c.sections.some(s => s.binary && s.newPath === p)
      if (binary && stat.isFile() && ctx.options.secrets.some(s => s.trim() !== '')) {
        const content = readFileSync(full)
          .subarray(0, 10 * 1024 * 1024)
          .toString('utf8')
        if (containsSecret(content, ctx.options.secrets)) {
          return `the patch would publish a credential of this run (in ${p})`
        }
      }
    }
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function symlinksOf(top: string, env: Record<string, string>): Promise<Set<string>> {
  const links = new Set<string>()
  for (const [p, entry] of await indexEntries(top, env)) if (entry.mode === '120000') links.add(p)
  return links
}

/** One by one, three-way: a patch that does not apply is a conflict; the index goes back. */
export async function applyOneByOne(
  top: string,
  base: string,
  ready: Candidate[],
  ctx: ApplyContext
): Promise<string> {
  const { env } = ctx
  let head = base
  let tree = (await git(top, ['rev-parse', `${base}^{tree}`])).stdout.trim()
  await git(top, ['read-tree', tree], { env })
  const symlinks = await symlinksOf(top, env)
  for (const c of ready) {
    const key = c.task.key
    const outcome = await applyOne(top, c, ctx, symlinks, tree)
    if (outcome) {
      ctx.outcomes.set(key, outcome)
      continue
    }
    const next = (await git(top, ['write-tree'], { env })).stdout.trim()
    if (next === tree) {
      ctx.outcomes.set(key, { status: 'empty' })
      continue
    }
    head = await commitTree(top, next, head, c.task.message, ctx.identity)
    tree = next
    ctx.outcomes.set(key, { status: 'applied', commit: head, paths: c.paths })
  }
  return head
}

/**
 * Applies one patch three-way on the index (`ctx.env`) that holds `tree`: undefined when it
 * applied and passed the read-back; else its outcome, with the index back at `tree`.
 */
export async function applyOne(
  top: string,
  c: Candidate,
  ctx: ApplyContext,
  symlinks: Set<string>,
  tree: string
): Promise<PatchOutcome | undefined> {
  const { env } = ctx
  const via = throughSymlink(c.paths, symlinks)
  if (via) return { status: 'refused', reason: via }
  const applied = await git(top, [...APPLY_PINS, 'apply', '--cached', '--3way', c.task.file], {
    env,
    allowFailure: true
  })
  if (applied.exitCode !== 0) {
    await git(top, ['read-tree', tree], { env })
    return {
      status: 'conflict',
      reason: `does not apply on top of the tasks before it: ${conflictReason(applied.stderr)}`
    }
  }
  if (needsReadBack(c, symlinks)) {
    const before = new Set(symlinks)
    const refusal = await readBack(top, c, ctx, symlinks)
    if (refusal) {
      await git(top, ['read-tree', tree], { env })
      symlinks.clear()
      for (const p of before) symlinks.add(p)
      return { status: 'refused', reason: refusal }
    }
  }
  return undefined
}

async function commitTree(
  top: string,
  tree: string,
  parent: string,
  message: string,
  who: GitIdentity
): Promise<string> {
  const result = await git(top, ['commit-tree', '--no-gpg-sign', tree, '-p', parent, '-F', '-'], {
    input: message,
    env: {
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: who.name,
      GIT_COMMITTER_EMAIL: who.email
    }
  })
  return result.stdout.trim()
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map(line => line.trim())
      .find(line => line !== '') ?? 'no reason given'
  )
}

/** git's words for why a patch did not apply, without its chatter about what did. */
function conflictReason(stderr: string): string {
  const lines = stderr.split('\n').map(line => line.trim())
  const conflicted = lines.flatMap(line => {
    const m = /^Applied patch to '(.*)' with conflicts\.$/.exec(line)
    return m ? [m[1]!] : []
  })
  if (conflicted.length > 0) return `conflicts in ${conflicted.join(', ')}`
  const error = lines.find(line => line.startsWith('error: ') && !/patch failed:/.test(line))
  return (error ?? lines.find(line => line.startsWith('error: ')) ?? firstLine(stderr)).replace(
    /^error: /,
    ''
  )
}
