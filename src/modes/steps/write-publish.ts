/**
 * Write mode's branch steps: the branch settled before the writer runs, and once its change has
 * passed the checks, the commit pushed and the ONE pull request created or updated.
 */
import * as core from '@actions/core'
import type { SessionReport } from '../../agent/report.js'
import type { GitHub, Repo } from '../../github/client.js'
import { entryPaths, statusEntries } from '../../git/branch.js'
import { type Inputs } from '../../inputs.js'
import {
  commitMessage,
  pullRequestTitle,
  renderPullRequestBody,
  renderVerify
} from '../../write/render.js'
import type { WriteFacts } from '../../write/result.js'
import { commitAndPush, resolveBranch, upsertPullRequest } from './branch-pr.js'

/** resolveBranch for write mode, with a warning for changes that were there before the writer. */
export async function prepareWriteBranch(
  gh: GitHub,
  repo: Repo,
  options: { cwd: string; branch: string; base: string | undefined }
): Promise<{ base: string; topLevel: string }> {
  const settled = await resolveBranch(gh, repo, { ...options, mode: 'write' })
  const before = entryPaths(await statusEntries(options.cwd))
  if (before.length > 0) {
    core.warning(
      `The checkout already had ${before.length} changed file(s) before the writer ran ` +
        `(${before.slice(0, 5).join(', ')}${before.length > 5 ? ', …' : ''}); they are part of the commit.`
    )
  }
  return settled
}

/** Commits and pushes the checked change, then opens or updates its pull request. */
export async function publishWrite(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  run: {
    facts: WriteFacts
    session: SessionReport
    prompt: string
    redact: (text: string) => string
    appendix?: string
  }
): Promise<void> {
  const { facts, session, prompt, redact } = run
  const { branch } = facts
  const pushed = await core.group(`Committing and pushing ${branch}`, () =>
    commitAndPush(inputs.workingDirectory, {
      branch,
      message: redact(inputs.commitMessage ?? commitMessage(facts.report, prompt)),
      author: inputs.commitAuthor,
      token: inputs.githubToken,
      owner: 'write mode'
    })
  )
  facts.commitSha = pushed.commitSha
  facts.pushed = pushed.pushed

  const title = redact(inputs.prTitle ?? pullRequestTitle(facts.report, prompt))
  const body = redact(
    renderPullRequestBody({
      branch,
      userBody: inputs.prBody,
      report: facts.report,
      changedFiles: facts.changedFiles,
      verify: facts.verify,
      session: { costUsd: session.costUsd, numTurns: session.numTurns, model: session.model },
      appendix: run.appendix
    })
  )
  facts.pr = await core.group('Opening or updating the pull request', () =>
    upsertPullRequest(gh, repo, {
      branch,
      base: facts.base,
      title,
      body,
      labels: inputs.labels,
      draft: inputs.draft,
      // Same tree as last time: the title and body stay as they are, since the session's
      // cost, turns and wording differ on every run and would edit the PR for nothing —
      // unless the check's outcome changed, which the PR must show.
      refreshText: facts.pushed,
      mustShow: [renderVerify(facts.verify).split('\n', 1)[0] ?? ''].filter(line => line !== '')
    })
  )
  core.info(`Pull request #${facts.pr.number}: ${facts.pr.operation} (${facts.pr.url})`)
}
