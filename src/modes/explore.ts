import * as core from '@actions/core'
import { prepareAgent } from '../agent/launch.js'
import { chooseCandidate, whyNotChoosable } from '../explore/choose.js'
import { exploreOutputs, noChoiceReason, renderExploreSummary } from '../explore/outcome.js'
import { candidateEntries, renderExploreSection } from '../explore/render.js'
import { entryPaths, statusEntries } from '../git/branch.js'
import { branchForPrompt } from '../git/branch-name.js'
import { checkoutBase } from '../git/worktrees.js'
import { createGitHub, repoFromEnv } from '../github/client.js'
import { appendJobSummary } from '../github/emit.js'
import { botSender, readEvent } from '../github/event.js'
import { redactorFor, runSecrets } from '../github/redact.js'
import type { Inputs } from '../inputs.js'
import { NO_VERIFY } from '../write/verify.js'
import { requireToken, skipped, type ModeOutcome } from './outcome.js'
import { agentSettings } from './steps/agent-settings.js'
import { checkBranchName } from './steps/branch-pr.js'
import {
  compareCandidates,
  nameApproaches,
  writeCandidates,
  type Explore
} from './steps/explore-candidates.js'
import { keepCandidates, publishChosen } from './steps/explore-publish.js'
import { prepareWriteBranch } from './steps/write-publish.js'

/**
 * `explore`: one task, `candidates` writers in parallel worktrees from the same base, each with
 * its own approach and checked by verify-command; ONE fresh reviewer compares them and ranks;
 * the chosen change (never one whose check failed or that changed nothing) becomes ONE pull
 * request with the comparison table, the others' patches kept as an artifact.
 */
export async function exploreMode(inputs: Inputs): Promise<ModeOutcome> {
  // Tandem's own pushes and comments must never start another run.
  const bot = botSender(readEvent().payload)
  if (bot) return skipped(`the event was sent by a bot (${bot})`, { 'pr-operation': 'none' })
  const gh = createGitHub(requireToken(inputs, 'open the pull request'))
  const repo = repoFromEnv()
  const task = inputs.prompt?.trim() ?? '' // inputs.ts refuses explore without one
  const branch = inputs.branch ?? branchForPrompt(task)
  checkBranchName(branch)
  await refuseChangedCheckout(inputs.workingDirectory)
  const { base } = await core.group('Preparing the branch', () =>
    prepareWriteBranch(gh, repo, { cwd: inputs.workingDirectory, branch, base: inputs.base })
  )
  const explore = await prepareExplore(inputs)

  const named = await core.group('Naming the approaches', () => nameApproaches(explore, task))
  const candidates = await writeCandidates(explore, task, named.approaches)
  // No reviewer is paid for when nothing could be chosen whatever it says.
  const compared = candidates.some(c => whyNotChoosable(c) === undefined)
    ? await compareCandidates(explore, task, candidates)
    : undefined
  const choice = chooseCandidate(candidates, compared?.ranking)
  const entries = candidateEntries(candidates, compared?.ranking, choice)
  const artifact = await keepCandidates(explore, branch, candidates, entries)
  const section = renderExploreSection({ entries, ranking: compared?.ranking, choice, artifact })
  const costUsd =
    named.costUsd +
    candidates.reduce((sum, c) => sum + c.costUsd, 0) +
    (compared?.session.costUsd ?? 0)

  const chosen = candidates.find(c => c.number === choice.chosen)
  if (!chosen) {
    const why = noChoiceReason(compared?.failure)
    await appendJobSummary(renderExploreSummary(section, why))
    return {
      outputs: {
        ...exploreOutputs(choice, entries, costUsd),
        conclusion: 'failure',
        'pr-operation': 'none'
      },
      failure: `No candidate can be published: ${why}; nothing was pushed`
    }
  }
  await appendJobSummary(renderExploreSummary(section, undefined))
  const written = await publishChosen(inputs, gh, repo, {
    explore,
    chosen,
    task,
    facts: { branch, base, changedFiles: [], pushed: false, verify: NO_VERIFY },
    appendix: section
  })
  const totalUsd = costUsd + (written.review?.costUsd ?? 0)
  return {
    ...written.outcome,
    outputs: { ...written.outcome.outputs, ...exploreOutputs(choice, entries, totalUsd) }
  }
}

/**
 * Candidates start from HEAD, so a change already in the checkout was seen by no candidate, no
 * check and no reviewer: it would be published unchecked, past write mode's refusals.
 */
async function refuseChangedCheckout(cwd: string): Promise<void> {
  const changed = entryPaths(await statusEntries(cwd))
  if (changed.length === 0) return
  throw new Error(
    `The checkout has ${changed.length} changed or untracked file(s) before explore ran ` +
      `(${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''}): explore publishes ` +
      'only a candidate that started from HEAD; commit them in an earlier step or remove them'
  )
}

/** The agent, and the commit every candidate starts from: without them nothing can run. */
async function prepareExplore(inputs: Inputs): Promise<Explore> {
  const agent = await prepareAgent(agentSettings(inputs))
  const checkout = await checkoutBase(inputs.workingDirectory)
  return { inputs, agent, checkout, secrets: runSecrets(inputs), redact: redactorFor(inputs) }
}
