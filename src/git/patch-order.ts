// Applying patches that touch separate files in one go, their commits made by fast-import.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { git } from './git.js'
import {
  APPLY_PINS,
  type ApplyContext,
  applyOne,
  type Candidate,
  indexEntries,
  type IndexEntry,
  needsReadBack,
  readBack
} from './patch-apply.js'
import { throughSymlink } from './patch-policy.js'

/**
 * The fast way, same result: the patches whose files no other patch touches ("alone") in ONE
 * `git apply` — their order cannot matter to what each does —, the others one by one, three-way,
 * in task order, in an index of their own (what they touch, nothing alone touches); then every
 * commit, in task order, by ONE `git fast-import`. Undefined when git refused the one
 * `git apply` (the base is not what the shards saw): the caller then goes one by one.
 */
export async function applyInOrder(
  top: string,
  base: string,
  ready: Candidate[],
  ctx: ApplyContext
): Promise<{ head: string; oneByOne: number } | undefined> {
  const { env } = ctx
  await git(top, ['read-tree', base], { env })
  const before = await indexEntries(top, env)
  const baseLinks = new Set([...before].filter(([, e]) => e.mode === '120000').map(([p]) => p))
  // Links the patches themselves make count too: no patch may write through another's link.
  const links = new Set(baseLinks)
  for (const c of ready) {
    for (const s of c.sections) if (s.newMode === '120000' && s.newPath) links.add(s.newPath)
  }
  const live: Candidate[] = []
  for (const c of ready) {
    const via = throughSymlink(c.paths, links)
    if (via) ctx.outcomes.set(c.task.key, { status: 'refused', reason: via })
    else live.push(c)
  }
  const related = sharingFiles(live)
  const alone = live.filter(c => !related.has(c))
  const shared = live.filter(c => related.has(c))
  const changes = new Map<Candidate, string[]>()

  if (alone.length > 0) {
    const applied = await git(
      top,
      [...APPLY_PINS, 'apply', '--cached', ...alone.map(c => c.task.file)],
      { env, allowFailure: true }
    )
    if (applied.exitCode !== 0) return undefined
    const after = await indexEntries(top, env)
    for (const c of alone) {
      // No other patch touches these files: checking them is checking this task's result.
      if (needsReadBack(c, baseLinks)) {
        const refusal = await readBack(top, c, ctx, new Set(baseLinks))
        if (refusal) {
          ctx.outcomes.set(c.task.key, { status: 'refused', reason: refusal })
          continue
        }
      }
      const lines = changeLines(c.paths, before, after)
      if (lines.length === 0) ctx.outcomes.set(c.task.key, { status: 'empty' })
      else changes.set(c, lines)
    }
  }

  if (shared.length > 0) {
    const own = { ...ctx, env: { GIT_INDEX_FILE: path.join(ctx.scratch, 'index-shared') } }
    let tree = (await git(top, ['rev-parse', `${base}^{tree}`])).stdout.trim()
    await git(top, ['read-tree', tree], { env: own.env })
    const state = new Map(before)
    const symlinks = new Set(baseLinks)
    for (const c of shared) {
      const outcome = await applyOne(top, c, own, symlinks, tree)
      if (outcome) {
        ctx.outcomes.set(c.task.key, outcome)
        continue
      }
      const now = await indexEntries(top, own.env, c.paths)
      const lines = changeLines(c.paths, state, now)
      for (const p of c.paths) {
        const entry = now.get(p)
        if (entry) state.set(p, entry)
        else state.delete(p)
      }
      if (lines.length === 0) {
        ctx.outcomes.set(c.task.key, { status: 'empty' })
        continue
      }
      changes.set(c, lines)
      tree = (await git(top, ['write-tree'], { env: own.env })).stdout.trim()
    }
  }

  const commits = live.filter(c => changes.has(c))
  if (commits.length === 0) return { head: base, oneByOne: shared.length }
  const shas = await fastImport(
    top,
    base,
    commits.map(c => ({ message: c.task.message, changes: changes.get(c)! })),
    ctx
  )
  const head = shas.at(-1)!
  // Only patches alone, none refused after applying: what was committed must be what git applied.
  if (shared.length === 0 && commits.length === alone.length) {
    const [ours, theirs] = await Promise.all([
      git(top, ['rev-parse', `${head}^{tree}`]),
      git(top, ['write-tree'], { env })
    ])
    if (ours.stdout.trim() !== theirs.stdout.trim()) return undefined
  }
  commits.forEach((c, i) => {
    ctx.outcomes.set(c.task.key, { status: 'applied', commit: shas[i]!, paths: c.paths })
  })
  return { head, oneByOne: shared.length }
}

/**
 * The patches that share a file with another patch (the same path, or one's path a folder of
 * the other's): these go one by one, in order; every other patch is independent of all others.
 */
function sharingFiles(candidates: Candidate[]): Set<Candidate> {
  const byPath = new Map<string, Candidate[]>()
  for (const c of candidates) {
    for (const p of c.paths) byPath.set(p, [...(byPath.get(p) ?? []), c])
  }
  const related = new Set<Candidate>()
  for (const [p, owners] of byPath) {
    if (new Set(owners).size > 1) for (const c of owners) related.add(c)
    const parts = p.split('/')
    for (let i = 1; i < parts.length; i++) {
      const folder = byPath.get(parts.slice(0, i).join('/'))
      if (!folder) continue
      for (const c of [...folder, ...owners]) related.add(c)
    }
  }
  return related
}

/** fast-import's file commands for what changed on `paths` from `was` to `now`. */
function changeLines(
  paths: string[],
  was: ReadonlyMap<string, IndexEntry>,
  now: ReadonlyMap<string, IndexEntry>
): string[] {
  const lines: string[] = []
  for (const p of paths) {
    const a = was.get(p)
    const b = now.get(p)
    if (b !== undefined && (a === undefined || a.mode !== b.mode || a.sha !== b.sha)) {
      lines.push(`M ${b.mode} ${b.sha} ${quotePath(p)}`)
    } else if (b === undefined && a !== undefined) {
      lines.push(`D ${quotePath(p)}`)
    }
  }
  return lines
}

/** One commit per entry, each on the one before, the first on `base`; their SHAs in order. */
async function fastImport(
  top: string,
  base: string,
  commits: { message: string; changes: string[] }[],
  ctx: ApplyContext
): Promise<string[]> {
  const ref = `refs/tandem/apply-${path.basename(ctx.scratch)}`
  const marks = path.join(ctx.scratch, 'marks')
  const when = `${Math.floor(Date.now() / 1000)} +0000`
  const who = `${ctx.identity.name} <${ctx.identity.email}> ${when}`
  const stream: Buffer[] = []
  commits.forEach(({ message, changes }, i) => {
    const data = Buffer.from(message, 'utf8')
    stream.push(
      Buffer.from(
        `commit ${ref}\nmark :${i + 1}\nauthor ${who}\ncommitter ${who}\ndata ${data.length}\n`
      ),
      data,
      Buffer.from(`\n${i === 0 ? `from ${base}\n` : ''}${changes.join('\n')}\n\n`)
    )
  })
  writeFileSync(marks, '')
  try {
    await git(top, ['fast-import', '--quiet', `--export-marks=${marks}`], {
      input: Buffer.concat(stream)
    })
    const shas = new Map<number, string>()
    for (const line of readFileSync(marks, 'utf8').split('\n')) {
      const m = /^:(\d+) ([0-9a-f]+)$/.exec(line)
      if (m) shas.set(Number(m[1]), m[2]!)
    }
    return commits.map((_, i) => {
      const sha = shas.get(i + 1)
      if (sha === undefined) throw new Error(`git fast-import wrote no commit ${i + 1}`)
      return sha
    })
  } finally {
    await git(top, ['update-ref', '-d', ref], { allowFailure: true })
  }
}

/** A path for a fast-import command: C-quoted, so no name can end the line or the command. */
function quotePath(p: string): string {
  let out = '"'
  for (const c of p) {
    const code = c.charCodeAt(0)
    if (c === '"' || c === '\\') out += `\\${c}`
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(8).padStart(3, '0')}`
    else out += c
  }
  return `${out}"`
}
