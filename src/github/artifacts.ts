import { DefaultArtifactClient } from '@actions/artifact'
import * as path from 'node:path'
import { messageOf } from '../outcome.js'

/**
 * Fan-out's artifacts between jobs of one workflow run, through @actions/artifact (v4
 * artifacts): a shard uploads one artifact, collect lists the run's shard artifacts and
 * downloads each. The client finds the run, the job and the service by itself
 * (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL; see __tests__/harness/artifacts.ts), and it
 * already retries what is worth retrying (Twirp 5xx/429 up to 5 attempts, blob PUTs in the
 * storage SDK, a download 5 times), so nothing here retries: errors are only made to say which
 * artifact and which step failed.
 *
 * Re-runs. Artifact names are unique within a run attempt, not across attempts: "Re-run jobs"
 * (all or failed ones) may upload a name an earlier attempt already uploaded, and the run then
 * holds both; the client's `listArtifacts({ latest: true })` exists for exactly that and keeps
 * the newest (highest id) per name (https://github.com/actions/toolkit/pull/1592, by the
 * artifact maintainers: "In the case of reruns (both full and partial) where there are
 * Artifacts with the same name … `latest` … will filter the Artifacts to the latest by their
 * name"; seen in practice in https://github.com/llvm/llvm-project/pull/198792 and
 * https://github.com/microsoft/AL-Go/issues/2084). Some users report a 409 "an artifact with
 * this name already exists on the workflow run" on re-runs instead; the same 409 also comes
 * when an attempt's upload created the name but failed before finalizing. So a shard keeps its
 * contract name `tandem-shard-<id>`, and only when that is refused in a re-run
 * (GITHUB_RUN_ATTEMPT > 1) uploads `tandem-shard-<id>-attempt-<n>` instead; listing treats
 * both as the one logical artifact `tandem-shard-<id>` and keeps the newest upload.
 */

/** Level 6 (zlib's default): patches and JSON are text and shrink well; 9 buys little more. */
const COMPRESSION_LEVEL = 6

const ATTEMPT_SUFFIX = /-attempt-[1-9][0-9]*$/

export interface UploadedArtifact {
  id: number
  /** Bytes of the uploaded zip. */
  size: number
  /** The name it was stored under: `name`, or `name-attempt-<n>` after a re-run conflict. */
  name: string
}

export interface RunArtifact {
  id: number
  /** The logical name (any `-attempt-<n>` suffix taken off), e.g. `tandem-shard-3`. */
  name: string
  size: number
  /** The name it is stored under. */
  storedName: string
  /** `sha256:<hex>` of the zip, recorded by the service at upload. */
  digest?: string
}

/** What listRunArtifacts saw, so a download can name the artifact and check its digest. */
const seen = new Map<number, { name: string; digest?: string }>()

function client(): DefaultArtifactClient {
  // Stateless: it reads the environment at every call (one process can act as several jobs).
  return new DefaultArtifactClient()
}

/** An artifact client's failure, saying which service answered. */
function artifactError(error: unknown): string {
  const message = messageOf(error)
  // Twirp failures already say "Failed to <Method>: …"; the storage SDK's RestError says only
  // what the blob service answered.
  const status = (error as { statusCode?: unknown } | null)?.statusCode
  if (typeof status === 'number' && !message.startsWith('Failed to ')) {
    return `blob storage answered ${status}: ${message}`
  }
  return message
}

/** The client's words for a name taken in this run (a Twirp 409 `already_exists`). */
function isNameConflict(error: unknown): boolean {
  return /Failed to CreateArtifact: .*\(409\)/.test(artifactError(error))
}

function runAttempt(): number {
  const attempt = Number(process.env.GITHUB_RUN_ATTEMPT)
  return Number.isInteger(attempt) && attempt >= 1 ? attempt : 1
}

/**
 * Uploads `files` (absolute paths under `rootDirectory`, which becomes the zip's root) as the
 * artifact `name`, with the repository's default retention.
 */
export async function uploadShardArtifact(
  name: string,
  rootDirectory: string,
  files: string[],
  options: { attempt?: number } = {}
): Promise<UploadedArtifact> {
  const root = path.resolve(rootDirectory)
  const fail = (what: string, cause?: unknown): Error =>
    new Error(`Uploading artifact ${name} failed: ${what}`, cause ? { cause } : undefined)
  if (files.length === 0) throw fail('no files to upload')
  for (const file of files) {
    const relative = path.relative(root, file)
    if (
      !path.isAbsolute(file) ||
      !relative ||
      relative === '..' ||
      relative.startsWith(`..${path.sep}`) ||
      path.isAbsolute(relative)
    ) {
      // The client checks only a string prefix (/a/root2 passes for /a/root).
      throw fail(`${file} is not an absolute path under ${root}`)
    }
  }

  const upload = async (storedName: string): Promise<UploadedArtifact> => {
    const result = await client().uploadArtifact(storedName, files, root, {
      compressionLevel: COMPRESSION_LEVEL
    })
    if (result.id === undefined) throw new Error('the service returned no artifact id')
    return { id: result.id, size: result.size ?? 0, name: storedName }
  }

  try {
    return await upload(name)
  } catch (error) {
    const attempt = options.attempt ?? runAttempt()
    if (!isNameConflict(error)) throw fail(artifactError(error), error)
    if (attempt === 1) {
      throw fail(
        `${artifactError(error)} (another job of this run uploaded it first: do two matrix jobs ` +
          `have the same shard id?)`,
        error
      )
    }
    // A re-run whose name is taken by an earlier attempt (see the top of this file).
    const retryName = `${name.replace(ATTEMPT_SUFFIX, '')}-attempt-${attempt}`
    try {
      return await upload(retryName)
    } catch (second) {
      throw fail(
        `${artifactError(error)}; as ${retryName} (run attempt ${attempt}): ${artifactError(second)}`,
        second
      )
    }
  }
}

/**
 * This run's artifacts whose (logical) names match `pattern` (`*` any run of characters, `?`
 * one), one per name — the newest upload, so a re-run shard supersedes its earlier attempt —
 * sorted by name in natural order (`tandem-shard-2` before `tandem-shard-10`).
 */
export async function listRunArtifacts(pattern: string): Promise<RunArtifact[]> {
  const matcher = globToRegExp(pattern)
  let listed
  try {
    listed = (await client().listArtifacts({ latest: true })).artifacts
  } catch (error) {
    throw new Error(`Listing this run's artifacts (${pattern}) failed: ${artifactError(error)}`, {
      cause: error
    })
  }
  const newest = new Map<string, RunArtifact>()
  for (const artifact of listed) {
    const name = artifact.name.replace(ATTEMPT_SUFFIX, '')
    if (!matcher.test(name)) continue
    const known = newest.get(name)
    if (known && known.id > artifact.id) continue
    newest.set(name, {
      id: artifact.id,
      name,
      size: artifact.size,
      storedName: artifact.name,
      ...(artifact.digest ? { digest: artifact.digest } : {})
    })
  }
  const found = [...newest.values()].sort((a, b) => naturalCompare(a.name, b.name))
  for (const artifact of found) {
    seen.set(artifact.id, { name: artifact.storedName, digest: artifact.digest })
  }
  return found
}

/**
 * Downloads and unzips artifact `id` of this run into `directory` (created if missing; use a
 * fresh one per artifact, files of the same name are overwritten) and returns its path. An
 * artifact listed by listRunArtifacts is checked against the digest the service recorded.
 */
export async function downloadArtifact(id: number, directory: string): Promise<string> {
  const known = seen.get(id)
  const label = known ? `${known.name} (id ${id})` : `id ${id}`
  const target = path.resolve(directory)
  try {
    const result = await client().downloadArtifact(id, {
      path: target,
      ...(known?.digest ? { expectedHash: known.digest } : {})
    })
    if (result.digestMismatch) {
      throw new Error(
        `the download's sha256 differs from the digest recorded at upload (${known?.digest}); ` +
          `discard ${target}`
      )
    }
    return result.downloadPath ?? target
  } catch (error) {
    throw new Error(`Downloading artifact ${label} failed: ${artifactError(error)}`, {
      cause: error
    })
  }
}

/** A glob of artifact names (no `/` in them): `*` any run of characters, `?` exactly one. */
export function globToRegExp(pattern: string): RegExp {
  let source = ''
  for (const char of pattern) {
    if (char === '*') source += '[\\s\\S]*'
    else if (char === '?') source += '[\\s\\S]'
    else source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 'u')
}

/**
 * Natural order: runs of digits compare as numbers (2 < 10), everything else by UTF-16 code
 * units, independent of the locale; equal numbers with more leading zeros sort later.
 */
export function naturalCompare(a: string, b: string): number {
  const parts = (s: string) => s.match(/\d+|\D+/g) ?? []
  const pa = parts(a)
  const pb = parts(b)
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string
    const y = pb[i] as string
    const digits = /^\d/.test(x) && /^\d/.test(y)
    if (digits) {
      const nx = x.replace(/^0+/, '')
      const ny = y.replace(/^0+/, '')
      if (nx.length !== ny.length) return nx.length - ny.length
      if (nx !== ny) return nx < ny ? -1 : 1
      if (x.length !== y.length) return x.length - y.length
    } else if (x !== y) {
      return x < y ? -1 : 1
    }
  }
  return pa.length - pb.length
}
