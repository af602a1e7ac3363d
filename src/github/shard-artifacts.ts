/**
 * The fan-out's artifacts on disk: what a shard packs and uploads (results.json and its `ok`
 * tasks' patches), what collect downloads and reads back, and the conflicting patches it keeps.
 */
import * as core from '@actions/core'
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CONFLICTS_ARTIFACT, conflictFileName } from '../fanout/collect.js'
import type { CollectedTask, ShardResults } from '../fanout/merge.js'
import {
  ARTIFACT_PREFIX,
  RESULTS_FILE,
  readResults,
  shardArtifactName,
  type TaskResult
} from '../fanout/results.js'
import { downloadArtifact, listRunArtifacts, uploadShardArtifact } from './artifacts.js'
import { messageOf } from '../outcome.js'

/** A shard's artifact as collect downloaded it; `dir` is undefined when the download failed. */
export interface DownloadedShard extends ShardResults {
  dir?: string
}

/** Every shard artifact of this run, downloaded, with its results read (or why they are not). */
export async function downloadShards(pattern: string, scratch: string): Promise<DownloadedShard[]> {
  const artifacts = await listRunArtifacts(pattern)
  core.info(`${artifacts.length} artifact(s) match ${pattern}`)
  const shards: DownloadedShard[] = []
  for (const [i, artifact] of artifacts.entries()) {
    const shard = artifact.name.startsWith(ARTIFACT_PREFIX)
      ? artifact.name.slice(ARTIFACT_PREFIX.length)
      : artifact.name
    try {
      const dir = await downloadArtifact(artifact.id, path.join(scratch, `shard-${i + 1}`))
      const file = path.join(dir, RESULTS_FILE)
      // A regular file only: what another job put in its artifact is never followed elsewhere.
      if (!existsSync(file) || !lstatSync(file).isFile()) {
        throw new Error(`it holds no ${RESULTS_FILE} file`)
      }
      shards.push({ shard, dir, results: readResults(readFileSync(file, 'utf8')) })
    } catch (error) {
      const message = (error as Error).message
      core.warning(`Shard ${shard} (${artifact.name}): ${message}; its tasks count as missing`)
      shards.push({ shard, results: undefined, error: message })
    }
  }
  return shards
}

export interface KeptConflicts {
  artifact?: string
  files: { task: string; file: string }[]
  error?: string
}

/** The conflicting patches, uploaded as one artifact so none is lost. */
export async function keepConflicts(
  tasks: CollectedTask[],
  shards: DownloadedShard[],
  scratch: string
): Promise<KeptConflicts | undefined> {
  const conflicting = tasks.filter(t => t.status === 'conflict' && t.result?.patch)
  if (conflicting.length === 0) return undefined
  const dirs = new Map(shards.map(s => [s.shard, s.dir]))
  const root = path.join(scratch, 'conflicts')
  mkdirSync(root, { recursive: true })
  const files = conflicting.map(t => {
    const file = conflictFileName(t.shard!, t.result!.patch!)
    copyFileSync(path.join(dirs.get(t.shard!)!, t.result!.patch!), path.join(root, file))
    return { task: t.task, file }
  })
  try {
    const uploaded = await uploadShardArtifact(
      CONFLICTS_ARTIFACT,
      root,
      files.map(f => path.join(root, f.file))
    )
    core.info(`The ${files.length} conflicting patch(es) are in the artifact ${uploaded.name}`)
    return { artifact: uploaded.name, files }
  } catch (error) {
    core.warning(`Could not upload the conflicting patches: ${(error as Error).message}`)
    return { files, error: (error as Error).message }
  }
}

export interface ShardFiles {
  dir: string
  resultsFile: string
  paths: string[]
}

/**
 * results.json (task order) and the `ok` tasks' patches, in a fresh directory under `parent`
 * (the runner's temp dir, which agent code cannot read): the artifact's root, and
 * `results-file` for later steps of the job.
 */
export async function writeShardFiles(
  parent: string,
  shardId: string,
  finished: { result: TaskResult; patch?: Buffer }[]
): Promise<ShardFiles> {
  await mkdir(parent, { recursive: true })
  const dir = await mkdtemp(path.join(parent, `shard-${shardId}-`))
  const resultsFile = path.join(dir, RESULTS_FILE)
  const results = finished.map(task => task.result)
  await writeFile(resultsFile, JSON.stringify(results, null, 2) + '\n', { flag: 'wx' })
  const paths = [resultsFile]
  for (const { result, patch } of finished) {
    if (result.patch === null || patch === undefined) continue
    const file = path.join(dir, result.patch)
    await writeFile(file, patch, { flag: 'wx' })
    paths.push(file)
  }
  return { dir, resultsFile, paths }
}

/** The one artifact of the shard; why the step fails when it could not be uploaded. */
export async function uploadShardFiles(
  shardId: string,
  files: { dir: string; paths: string[] }
): Promise<string | undefined> {
  try {
    const uploaded = await uploadShardArtifact(shardArtifactName(shardId), files.dir, files.paths)
    core.info(`Uploaded artifact ${uploaded.name} (id ${uploaded.id}, ${uploaded.size} bytes)`)
    return undefined
  } catch (error) {
    return messageOf(error)
  }
}
