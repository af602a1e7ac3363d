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
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { containsSecret } from '../github/redact.js'
import { ACTIONS_BOT, type GitIdentity } from './branch.js'
import { git } from './git.js'
import { isWorkflowPath } from './workflow-paths.js'

// --- Reading a patch (pure) ----------------------------------------------------------------------

/** One file of a patch, as `git apply` will see it. */
export interface PatchSection {
  /** The path before (undefined for a new file). */
  oldPath: string | undefined
  /** The path after (undefined for a deletion). */
  newPath: string | undefined
  /** Every name the section gives anywhere (header, ---/+++, rename/copy lines), checked alike. */
  names: string[]
  newMode?: string
  binary: boolean
  /** The text of its `+` lines: a symlink's new target. */
  added: string
}

export class PatchError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PatchError'
  }
}

const C_UNESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  '"': 34,
  '\\': 92
}

/** git's C-style quoted name: `"a/t\303\251st"` → `a/tést`; the rest of the text after it. */
function unquote(text: string): { name: string; rest: string } {
  const bytes: number[] = []
  let i = 1
  for (; i < text.length; i++) {
    const c = text[i]!
    if (c === '"') break
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'))
      continue
    }
    const next = text[++i] ?? ''
    if (/[0-7]/.test(next)) {
      const octal = text.slice(i, i + 3)
      if (!/^[0-7]{3}$/.test(octal)) throw new PatchError(`bad escape in ${text}`)
      bytes.push(parseInt(octal, 8))
      i += 2
    } else if (next in C_UNESCAPES) {
      bytes.push(C_UNESCAPES[next]!)
    } else {
      throw new PatchError(`bad escape in ${text}`)
    }
  }
  if (text[i] !== '"') throw new PatchError(`unterminated quoted name: ${text}`)
  return { name: Buffer.from(bytes).toString('utf8'), rest: text.slice(i + 1) }
}

/** A name as `git apply -p1` reads it: unquoted, its first component (`a/`, `b/`) taken off. */
function stripped(raw: string): string {
  const slash = raw.indexOf('/')
  if (slash < 0) throw new PatchError(`a name without the a/ or b/ prefix: ${raw}`)
  return raw.slice(slash + 1)
}

function readName(text: string): string {
  if (text.startsWith('"')) return unquote(text).name
  // A tab ends a name in a traditional diff (a timestamp follows); git quotes names with tabs.
  return text.split('\t', 1)[0]!
}

/** The two names of a `diff --git` line, when they can be told apart. */
function headerNames(rest: string): [string, string] | undefined {
  if (rest.startsWith('"')) {
    const first = unquote(rest)
    const second = first.rest.replace(/^ /, '')
    return [first.name, readName(second)]
  }
  const quoted = rest.indexOf(' "')
  if (quoted >= 0) return [rest.slice(0, quoted), unquote(rest.slice(quoted + 1)).name]
  // Unquoted names with spaces: git's own rule, both halves the same name after the prefix.
  if (rest.length % 2 === 1) {
    const half = (rest.length - 1) / 2
    const a = rest.slice(0, half)
    const b = rest.slice(half + 1)
    if (rest[half] === ' ' && stripped(a) === stripped(b)) return [a, b]
  }
  const parts = rest.split(' ')
  return parts.length === 2 ? [parts[0]!, parts[1]!] : undefined
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/

/**
 * The files of a patch as `git diff --binary` writes it: only `diff --git` sections are read;
 * anything that is not one is refused (git would also apply a traditional diff found among
 * other text, which is why collect also asks git what it reads, see applyPatches).
 */
export function parsePatch(text: string): PatchSection[] {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const sections: PatchSection[] = []
  let i = 0
  while (i < lines.length && !lines[i]!.startsWith('diff --git ')) {
    if (/^(---|\+\+\+|@@) /.test(lines[i]!)) {
      throw new PatchError('diff text outside a `diff --git` section')
    }
    i++
  }
  while (i < lines.length) {
    const header = lines[i]!
    if (!header.startsWith('diff --git ')) {
      throw new PatchError(`unexpected text between sections: ${header.slice(0, 80)}`)
    }
    i++
    const names: string[] = []
    const pair = headerNames(header.slice('diff --git '.length))
    let headerOld: string | undefined
    let headerNew: string | undefined
    if (pair) {
      headerOld = stripped(pair[0])
      headerNew = stripped(pair[1])
      names.push(headerOld, headerNew)
    }
    let oldPath: string | undefined
    let newPath: string | undefined
    let minus: string | undefined
    let plus: string | undefined
    let created = false
    let deleted = false
    let newMode: string | undefined
    let binary = false
    const added: string[] = []
    // Extended header lines.
    for (; i < lines.length; i++) {
      const line = lines[i]!
      let m: RegExpExecArray | null
      if ((m = /^(?:new file mode|new mode) ([0-7]{6})$/.exec(line))) {
        newMode = m[1]
        if (line.startsWith('new file')) created = true
      } else if (/^deleted file mode [0-7]{6}$/.test(line)) {
        deleted = true
      } else if (/^old mode [0-7]{6}$/.test(line) || /^(dis)?similarity index \d+%$/.test(line)) {
        // nothing to read
      } else if ((m = /^index [0-9a-f]+\.\.[0-9a-f]+(?: ([0-7]{6}))?$/.exec(line))) {
        newMode ??= m[1]
      } else if ((m = /^(rename|copy) (from|to) (.+)$/.exec(line))) {
        const name = readName(m[3]!)
        names.push(name)
        if (m[2] === 'from') oldPath = name
        else newPath = name
      } else {
        break
      }
    }
    // Content: a text diff, a binary patch, or nothing (a mode change, a pure rename).
    if (i < lines.length && lines[i]!.startsWith('--- ')) {
      const from = lines[i]!.slice(4)
      const to = lines[i + 1]
      if (to === undefined || !to.startsWith('+++ ')) throw new PatchError('--- without +++')
      if (from !== '/dev/null') names.push((minus = stripped(readName(from))))
      if (to.slice(4) !== '/dev/null') names.push((plus = stripped(readName(to.slice(4)))))
      if (from === '/dev/null') created = true
      if (to.slice(4) === '/dev/null') deleted = true
      i += 2
      while (i < lines.length && lines[i]!.startsWith('@@')) {
        const m = HUNK.exec(lines[i]!)
        if (!m) throw new PatchError(`bad hunk header: ${lines[i]!.slice(0, 80)}`)
        let oldLeft = m[2] === undefined ? 1 : Number(m[2])
        let newLeft = m[4] === undefined ? 1 : Number(m[4])
        i++
        while (i < lines.length && (oldLeft > 0 || newLeft > 0 || lines[i]!.startsWith('\\'))) {
          const line = lines[i]!
          const kind = line[0]
          if (kind === ' ' || line === '') {
            oldLeft--
            newLeft--
          } else if (kind === '-') oldLeft--
          else if (kind === '+') {
            newLeft--
            added.push(line.slice(1))
          } else if (kind !== '\\') break
          i++
        }
        if (oldLeft !== 0 || newLeft !== 0) throw new PatchError('a hunk shorter than its header')
      }
    } else if (i < lines.length && lines[i] === 'GIT binary patch') {
      binary = true
      i++
      while (i < lines.length && !lines[i]!.startsWith('diff --git ')) i++
    } else if (i < lines.length && /^Binary files .* differ$/.test(lines[i]!)) {
      throw new PatchError('a binary change without its content (the patch needs --binary)')
    }
    oldPath = created ? undefined : (oldPath ?? minus ?? headerOld)
    newPath = deleted ? undefined : (newPath ?? plus ?? headerNew)
    if (oldPath === undefined && newPath === undefined) {
      throw new PatchError(`a section whose file cannot be told: ${header.slice(0, 80)}`)
    }
    sections.push({ oldPath, newPath, names, newMode, binary, added: added.join('\n') })
  }
  return sections
}

/** Every path a patch touches, both sides of a rename, each once. */
export function touchedPaths(sections: PatchSection[]): string[] {
  const paths = new Set<string>()
  for (const s of sections) {
    if (s.oldPath !== undefined) paths.add(s.oldPath)
    if (s.newPath !== undefined) paths.add(s.newPath)
  }
  return [...paths]
}

/** Whether a path component names the repository's own `.git` (any case; NTFS and HFS forms). */
function isGitDirName(component: string): boolean {
  const c = component
    .normalize('NFC')
    .replace(/[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g, '')
    .toLowerCase()
  return c.replace(/[. ]+$/, '') === '.git' || /^git~\d+$/.test(c)
}

/** Why a repository path from a patch is unsafe to write, or undefined when it is fine. */
export function unsafePath(name: string): string | undefined {
  if (name === '') return 'an empty path'
  if (name.includes('\0')) return 'a path with a NUL byte'
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return `an absolute path (${name})`
  const parts = name.split(/[\\/]/)
  if (parts.some(p => p === '..')) return `a path outside the repository (${name})`
  if (parts.some(p => p === '' || p === '.'))
    return `a path with an empty or '.' component (${name})`
  if (parts.some(isGitDirName)) return `a path into .git (${name})`
  return undefined
}

/**
 * Why a symlink at `link` pointing at `target` is refused: it must stay inside the repository
 * and out of `.git`, read from where the link is.
 */
export function unsafeSymlink(link: string, target: string): string | undefined {
  if (target === '' || target.includes('\0') || target.includes('\n')) {
    return `a symlink with an unusable target (${link})`
  }
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target) || target.startsWith('\\')) {
    return `a symlink out of the repository (${link} → ${target})`
  }
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(link), target))
  if (resolved === '..' || resolved.startsWith('../')) {
    return `a symlink out of the repository (${link} → ${target})`
  }
  if (resolved.split('/').some(isGitDirName)) return `a symlink into .git (${link} → ${target})`
  return undefined
}

/**
 * The symlink a path would be written through (`lib/x.js` when `lib` is a symlink), or
 * undefined. git refuses such a write too; saying so here makes it a refusal, not a conflict.
 */
export function throughSymlink(
  paths: readonly string[],
  symlinks: ReadonlySet<string>
): string | undefined {
  for (const p of paths) {
    const parts = p.split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      if (symlinks.has(dir)) return `the patch writes through the symlink ${dir} (${p})`
    }
  }
  return undefined
}

export interface PatchPolicy {
  allowWorkflowChanges: boolean
  /** The run's credentials (runSecrets): a patch holding one is never applied. */
  secrets: readonly string[]
}

/** Why collect refuses a patch before applying it, or undefined. */
export function patchRefusal(
  sections: PatchSection[],
  text: string,
  policy: PatchPolicy
): string | undefined {
  for (const section of sections) {
    for (const name of section.names) {
      const unsafe = unsafePath(name)
      if (unsafe) return `the patch writes ${unsafe}`
    }
  }
  const workflows = touchedPaths(sections).filter(isWorkflowPath).sort()
  if (workflows.length > 0 && !policy.allowWorkflowChanges) {
    return (
      `the patch changes workflow files (${workflows.join(', ')}), which allow-workflow-changes ` +
      'does not allow'
    )
  }
  for (const section of sections) {
    if (section.newMode !== '120000' || section.newPath === undefined) continue
    if (section.binary)
      return `the patch makes ${section.newPath} a symlink without a readable target`
    const unsafe = unsafeSymlink(section.newPath, section.added)
    if (unsafe) return `the patch makes ${unsafe}`
  }
  if (policy.secrets.some(s => s.trim() !== '') && containsSecret(text, policy.secrets)) {
    return 'the patch would publish a credential of this run'
  }
  return undefined
}

/** The paths of `git apply --numstat -z` output, one per file section, in order. */
export function parseNumstatZ(output: string): string[] {
  return output
    .split('\0')
    .filter(record => record !== '')
    .map(record => {
      const m = /^(?:\d+|-)\t(?:\d+|-)\t(.*)$/s.exec(record)
      if (!m) throw new PatchError(`unexpected numstat record: ${record.slice(0, 80)}`)
      return m[1]!
    })
}

/** The path git's numstat names for a section: the new one, else the old one. */
function numstatName(section: PatchSection): string {
  return (section.newPath ?? section.oldPath)!
}

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

// A repository's apply.* settings must not change what a patch does (`fix` rewrites lines).
const APPLY_PINS = ['-c', 'apply.whitespace=nowarn', '-c', 'apply.ignoreWhitespace=no']

interface Candidate {
  task: PatchTask
  text: string
  sections: PatchSection[]
  paths: string[]
}

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

interface ApplyContext {
  env: Record<string, string>
  scratch: string
  identity: GitIdentity
  options: ApplyPatchesOptions
  outcomes: Map<number, PatchOutcome>
}

interface IndexEntry {
  mode: string
  sha: string
}

/** The index's entries (of `paths` only, when given). */
async function indexEntries(top: string, env: Record<string, string>, paths?: string[]) {
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
function needsReadBack(c: Candidate, symlinks: ReadonlySet<string>): boolean {
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
async function readBack(
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
async function applyOneByOne(
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
async function applyOne(
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

/**
 * The fast way, same result: the patches whose files no other patch touches ("alone") in ONE
 * `git apply` — their order cannot matter to what each does —, the others one by one, three-way,
 * in task order, in an index of their own (what they touch, nothing alone touches); then every
 * commit, in task order, by ONE `git fast-import`. Undefined when git refused the one
 * `git apply` (the base is not what the shards saw): the caller then goes one by one.
 */
async function applyInOrder(
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

function firstLine(text: string): string {
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
