/**
 * Applying the fan-out's patches: each task's patch, in task order, as one commit of its own on
 * the current branch. Patches are data from other jobs (whose agent code could have shaped
 * them), so each is read here first and refused when it would write outside the repository,
 * into `.git`, into workflows (unless allowed), create a symlink that leads out, or publish a
 * credential of this run. git agrees on what a patch touches (`git apply --numstat`) or the
 * patch is refused.
 *
 * Nothing touches the working tree until the end: patches go into a private index
 * (`GIT_INDEX_FILE`), commits are made from it, and the branch, the index and the files move
 * to the last commit at once. When every patch touches files no other patch touches (a
 * migration of one file per task) they are applied in ONE `git apply` and the commits written
 * by ONE `git fast-import`; otherwise one by one, three-way (`git apply --3way --cached`), a
 * patch that does not apply on top of the ones before it being a conflict that leaves the
 * index as the last good commit had it.
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ACTIONS_BOT, type GitIdentity } from './branch.js'
import { git } from './git.js'
import { numstatName, parseNumstatZ, type PatchPolicy, patchRefusal } from './patch-policy.js'
import {
  APPLY_PINS,
  type ApplyContext,
  applyOneByOne,
  type Candidate,
  firstLine
} from './patch-apply.js'
import { applyInOrder } from './patch-order.js'
import { parsePatch, type PatchSection, touchedPaths } from './patch-parse.js'

// --- Applying (I/O) ------------------------------------------------------------------------------

export interface PatchTask {
  /** The caller's key for this task (its row). */
  key: number
  /** The patch file on disk. */
  file: string
  /** The commit message, trailer included. */
  message: string
}

export type PatchOutcome =
  | { status: 'applied'; commit: string; paths: string[] }
  /** It applied and changed nothing on top of the patches before it. */
  | { status: 'empty' }
  | { status: 'conflict'; reason: string }
  | { status: 'refused'; reason: string }

export interface ApplyPatchesOptions extends PatchPolicy {
  /** Who the commits are by (author and committer); default github-actions[bot]. */
  author?: GitIdentity
  /** `auto`: all at once when no two patches touch the same file; `sequential`: one by one. */
  strategy?: 'auto' | 'sequential'
  /** Largest patch read, in bytes. */
  maxPatchBytes?: number
  /** Where the private index and read-back files go; default the system's temp folder. */
  scratchDir?: string
}

export interface AppliedPatches {
  outcomes: Map<number, PatchOutcome>
  /** The branch's head afterwards: the last task's commit, or HEAD when nothing applied. */
  head: string
  /** How many patches were applied one by one (three-way); the others went in one `git apply`. */
  oneByOne: number
}

const DEFAULT_MAX_PATCH_BYTES = 100 * 1024 * 1024

/**
 * Applies `tasks` (in their order) on top of HEAD in `top` (the repository's top level, on the
 * branch that is to receive them): one commit per task that changed something. Afterwards the
 * current branch, the index and the working tree are at the last commit (untracked files are
 * kept; tracked changes are overwritten, so the caller starts from a clean checkout).
 */
export async function applyPatches(
  top: string,
  tasks: PatchTask[],
  options: ApplyPatchesOptions
): Promise<AppliedPatches> {
  const outcomes = new Map<number, PatchOutcome>()
  const base = (await git(top, ['rev-parse', '--verify', 'HEAD^{commit}'])).stdout.trim()
  const parent = options.scratchDir ?? os.tmpdir()
  mkdirSync(parent, { recursive: true })
  const scratch = mkdtempSync(path.join(parent, 'tandem-apply-'))
  try {
    const candidates: Candidate[] = []
    for (const task of tasks) {
      const read = readPatch(task, options)
      if ('refused' in read) outcomes.set(task.key, { status: 'refused', reason: read.refused })
      else if (read.sections.length === 0) outcomes.set(task.key, { status: 'empty' })
      else candidates.push(read)
    }
    for (const [key, reason] of await disagreements(top, candidates)) {
      outcomes.set(key, { status: 'refused', reason })
    }
    const ready = candidates.filter(c => !outcomes.has(c.task.key))
    const env = { GIT_INDEX_FILE: path.join(scratch, 'index') }
    const identity = options.author ?? ACTIONS_BOT

    const ctx: ApplyContext = { env, scratch, identity, options, outcomes }
    let done: { head: string; oneByOne: number } | undefined
    if ((options.strategy ?? 'auto') === 'auto' && ready.length > 1) {
      done = await applyInOrder(top, base, ready, ctx)
    }
    if (done === undefined) {
      for (const c of ready) outcomes.delete(c.task.key)
      done = { head: await applyOneByOne(top, base, ready, ctx), oneByOne: ready.length }
    }
    if (done.head !== base) await git(top, ['reset', '--hard', '--quiet', done.head])
    return { outcomes, head: done.head, oneByOne: done.oneByOne }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

function readPatch(task: PatchTask, options: ApplyPatchesOptions): Candidate | { refused: string } {
  let bytes: Buffer
  try {
    const stat = lstatSync(task.file)
    if (!stat.isFile()) return { refused: 'the patch is not a regular file in the artifact' }
    if (stat.size > (options.maxPatchBytes ?? DEFAULT_MAX_PATCH_BYTES)) {
      return { refused: `the patch is too large (${stat.size} bytes)` }
    }
    bytes = readFileSync(task.file)
  } catch {
    return { refused: 'the artifact has no such patch file' }
  }
  const text = bytes.toString('utf8')
  let sections: PatchSection[]
  try {
    sections = parsePatch(text)
  } catch (error) {
    return { refused: `Tandem cannot read the patch: ${(error as Error).message}` }
  }
  const refusal = patchRefusal(sections, text, options)
  if (refusal) return { refused: refusal }
  return { task, text, sections, paths: touchedPaths(sections) }
}

/**
 * Patches git reads differently from parsePatch (other files, another count), with why: asked
 * of git once for all, and patch by patch only when that answer does not line up.
 */
async function disagreements(top: string, candidates: Candidate[]): Promise<Map<number, string>> {
  const found = new Map<number, string>()
  if (candidates.length === 0) return found
  const ask = async (files: string[]) =>
    git(top, [...APPLY_PINS, 'apply', '--numstat', '-z', ...files], { allowFailure: true })
  const all = await ask(candidates.map(c => c.task.file))
  if (all.exitCode === 0) {
    try {
      const names = parseNumstatZ(all.stdout)
      const expected = candidates.flatMap(c => c.sections.map(numstatName))
      if (names.length === expected.length && names.every((n, i) => n === expected[i])) {
        return found
      }
    } catch {
      // told apart below, patch by patch
    }
  }
  for (const c of candidates) {
    const one = await ask([c.task.file])
    if (one.exitCode !== 0) {
      found.set(c.task.key, `git cannot read the patch: ${firstLine(one.stderr)}`)
      continue
    }
    let names: string[]
    try {
      names = parseNumstatZ(one.stdout)
    } catch (error) {
      found.set(c.task.key, (error as Error).message)
      continue
    }
    const expected = c.sections.map(numstatName)
    if (names.length !== expected.length || names.some((n, i) => n !== expected[i])) {
      found.set(c.task.key, 'git reads other files in the patch than its `diff --git` sections say')
    }
  }
  return found
}
