/**
 * Explore's outcome: every candidate's change kept as an artifact, and the chosen one applied
 * to the checkout and published as write mode publishes its change.
 */
import * as core from '@actions/core'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { CandidateEntry } from '../../explore/render.js'
import { applyToCheckout } from '../../git/apply.js'
import { entryPaths, statusEntries } from '../../git/branch.js'
import { slugify } from '../../git/branch-name.js'
import { uploadShardArtifact } from '../../github/artifacts.js'
import type { GitHub, Repo } from '../../github/client.js'
import type { Inputs } from '../../inputs.js'
import type { WriteFacts } from '../../write/result.js'
import type { Explore, WrittenCandidate } from './explore-candidates.js'
import { publishWrite } from './write-publish.js'
import { finishWrite, reviewIfAsked, type WriteResult } from './write-report.js'

export interface KeptCandidates {
  name: string
  /** The patch file of each kept candidate, by number. */
  files: Record<number, string>
}

/**
 * Every candidate's change that may be published (a refused one may hold a credential), and
 * the table as JSON, in ONE artifact, so a person can take another candidate than the chosen.
 */
export async function keepCandidates(
  explore: Explore,
  branch: string,
  candidates: WrittenCandidate[],
  entries: CandidateEntry[]
): Promise<KeptCandidates | undefined> {
  const kept = candidates.filter(c => c.patchBytes && c.error === undefined)
  if (kept.length === 0) return undefined
  // Under the runner's temp dir, which agent code cannot read.
  await mkdir(explore.agent.transcriptDir, { recursive: true })
  const dir = await mkdtemp(path.join(explore.agent.transcriptDir, 'explore-'))
  const files: Record<number, string> = {}
  for (const candidate of kept) {
    files[candidate.number] = `candidate-${candidate.number}.patch`
    await writeFile(path.join(dir, files[candidate.number]!), candidate.patchBytes!)
  }
  await writeFile(
    path.join(dir, 'candidates.json'),
    explore.redact(JSON.stringify(entries, null, 2)) + '\n'
  )
  const paths = [...Object.values(files), 'candidates.json'].map(file => path.join(dir, file))
  // Named by the branch: two explore steps of one job, or the legs of a matrix, differ there.
  const name = `tandem-explore-${slugify(branch.replace(/^tandem\//, '')) || 'candidates'}`
  try {
    const uploaded = await uploadShardArtifact(name, dir, paths)
    core.info(`The candidates' patches are in the artifact ${uploaded.name}`)
    return { name: uploaded.name, files }
  } catch (error) {
    core.warning(`${(error as Error).message}; the candidates' patches are not kept`)
    return undefined
  }
}

/** The chosen candidate's change, in the checkout, committed, pushed and ONE pull request. */
export async function publishChosen(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  run: {
    explore: Explore
    chosen: WrittenCandidate
    task: string
    facts: WriteFacts
    appendix: string
  }
): Promise<WriteResult> {
  const { explore, chosen, facts } = run
  const session = chosen.session!
  facts.report = chosen.report
  // What the candidate's check saw in its worktree is what the checkout now holds.
  facts.verify = chosen.verify
  try {
    await applyToCheckout(explore.checkout.top, chosen.patchBytes!, {
      allowWorkflowChanges: inputs.allowWorkflowChanges,
      secrets: explore.secrets
    })
    facts.changedFiles = entryPaths(await statusEntries(inputs.workingDirectory)).sort()
    await publishWrite(inputs, gh, repo, {
      facts,
      session,
      prompt: run.task,
      redact: explore.redact,
      appendix: run.appendix
    })
  } catch (error) {
    return finishWrite(session, facts, { failure: (error as Error).message })
  }
  // The pull request's reviewer never saw the candidates, only the pull request.
  return reviewIfAsked(inputs, gh, repo, await finishWrite(session, facts, {}), explore.agent)
}
