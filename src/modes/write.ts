import * as core from '@actions/core'
import {
  prepareAgent,
  runAgent,
  sessionOutputs,
  type Agent,
  sessionFailure
} from '../agent/launch.js'
import { agentSettings } from './steps/agent-settings.js'
import { appendJobSummary } from '../github/emit.js'
import type { SessionReport } from '../agent/report.js'
import { renderSessionSummary } from '../agent/summary.js'
import { createGitHub, repoFromEnv, type GitHub, type Repo } from '../github/client.js'
import { redactorFor, runSecrets } from '../github/redact.js'
import { entryPaths, statusEntries } from '../git/branch.js'
import { branchForPrompt } from '../git/branch-name.js'
import { workflowChanges } from '../git/workflow-paths.js'
import { type Inputs } from '../inputs.js'
import {
  commitMessage,
  pullRequestTitle,
  renderPullRequestBody,
  renderVerify,
  renderWriteSummary
} from '../write/render.js'
import {
  WRITER_REPORT_SCHEMA,
  buildWriterPrompt,
  parseWriterReport,
  type WriterReport
} from '../write/report.js'
import { NO_VERIFY, verifyCheckout, type VerifyResult } from '../write/verify.js'
import { botSender, readEvent } from '../github/event.js'
import { WRITER_TOOLS } from '../agent/tools.js'
import { requireToken, skipped, type ModeOutcome } from './outcome.js'
import { reviewPullRequest, type ReviewRound } from './review.js'
import {
  adoptReviewOutcome,
  checkBranchName,
  commitAndPush,
  filesHoldingSecrets,
  resolveBranch,
  upsertPullRequest,
  type PullRequestOperation
} from './steps/branch-pr.js'

// Re-exported for the modes that still import it from here.
export { WRITER_TOOLS }

export type { PullRequestOperation }

/** Everything one write produced; `pair` reads it to go on with the pull request. */
export interface WriteResult {
  outcome: ModeOutcome
  /** Undefined when the run stopped before the writer ran. */
  session?: SessionReport
  report?: WriterReport
  branch: string
  base: string
  changedFiles: string[]
  /** The head of `branch` after this run (pushed now, or already there with the same tree). */
  commitSha?: string
  pushed: boolean
  verify: VerifyResult
  pr?: { number: number; url: string; operation: PullRequestOperation; headSha?: string }
  /** With `review: true`: the review of that pull request. */
  review?: ReviewRound
  costUsd: number
}

/** `write`: the writer session → commit → push a branch → ONE pull request, created or updated. */
export async function writeMode(inputs: Inputs): Promise<ModeOutcome> {
  // Tandem's own pushes and comments must never start another run.
  const bot = botSender(readEvent().payload)
  if (bot) return skipped(`the event was sent by a bot (${bot})`, { 'pr-operation': 'none' })
  const gh = createGitHub(requireToken(inputs, 'open the pull request'))
  return (await writeChanges(inputs, gh, repoFromEnv())).outcome
}

/**
 * Runs the writer with `inputs.prompt` in the checkout and publishes the result as one pull
 * request from `branch`. Nothing is pushed when nothing changed, when the change touches
 * workflows without `allow-workflow-changes`, or when it holds a secret; the working tree is
 * then left as the writer left it, for inspection.
 */
export async function writeChanges(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  agent?: Agent
): Promise<WriteResult> {
  const cwd = inputs.workingDirectory
  const prompt = inputs.prompt?.trim()
  if (!prompt) {
    throw new Error("Inputs 'prompt' and 'prompt-file' are both empty: write mode needs the task")
  }
  const branch = inputs.branch ?? branchForPrompt(prompt)
  checkBranchName(branch)
  const { base, topLevel } = await core.group('Preparing the branch', async () => {
    const settled = await resolveBranch(gh, repo, { cwd, branch, base: inputs.base, mode: 'write' })
    const before = entryPaths(await statusEntries(cwd))
    if (before.length > 0) {
      core.warning(
        `The checkout already had ${before.length} changed file(s) before the writer ran ` +
          `(${before.slice(0, 5).join(', ')}${before.length > 5 ? ', …' : ''}); they are part of the commit.`
      )
    }
    return settled
  })

  const secrets = runSecrets(inputs)
  const redact = redactorFor(inputs)
  const facts: WriteFacts = { branch, base, changedFiles: [], pushed: false, verify: NO_VERIFY }

  const writer = agent ?? (await prepareAgent(agentSettings(inputs)))
  // runAgent keeps the checkout's stored credentials hidden while the session runs.
  const session = await runAgent(writer, {
    label: 'writer',
    prompt: buildWriterPrompt(prompt, { allowWorkflowChanges: inputs.allowWorkflowChanges }),
    allowedTools: inputs.allowedTools ?? WRITER_TOOLS,
    jsonSchema: WRITER_REPORT_SCHEMA,
    // The edits are the work; a writer that edits and then just says so has still succeeded.
    structuredOutputOptional: true
  })
  const finish = (conclusion: string | undefined, failure?: string): Promise<WriteResult> =>
    finishWrite(session, facts, { conclusion, failure })

  if (session.conclusion !== 'success') {
    return finish(
      undefined,
      `${sessionFailure('writer', session)}; nothing was committed or pushed`
    )
  }
  facts.report = parseWriterReport(session.structuredOutput)
  if (!facts.report) {
    core.warning('The writer did not report what it changed; the pull request shows the diff only.')
  }

  try {
    if ((await statusEntries(cwd)).length === 0) {
      core.info('The writer changed nothing: no commit, no pull request.')
      facts.stopped = 'no changes'
      return await finish('no-changes')
    }

    if (inputs.verifyCommand) {
      // The check runs code the writer may have changed: the stored credentials stay hidden
      // while it runs, and whatever it leaves behind goes through the same checks below.
      facts.verify = await verifyCheckout(inputs.verifyCommand, writer, redact)
      const how = facts.verify.timedOut ? 'timed out' : `exit ${facts.verify.exitCode}`
      if (facts.verify.status === 'passed') core.info(`verify-command passed (${how})`)
      else core.warning(`verify-command failed (${how}); the pull request reports it`)
    }

    // Read after the check: what is committed is exactly what these checks saw.
    const entries = await statusEntries(cwd)
    facts.changedFiles = entryPaths(entries).sort()
    core.info(`Changed: ${facts.changedFiles.join(', ')}`)

    const workflows = workflowChanges(entries)
    if (workflows.length > 0 && !inputs.allowWorkflowChanges) {
      facts.stopped = 'refused: workflow files changed'
      return await finish(
        undefined,
        `The writer changed workflow files (${workflows.join(', ')}), which allow-workflow-changes ` +
          'does not allow: nothing was committed or pushed. The working tree is left as the ' +
          'writer left it. Set allow-workflow-changes: true if the task is meant to change ' +
          'workflows (the token then needs the workflows permission).'
      )
    }
    // git reports paths from the repository root, which working-directory may be below.
    const leaking = filesHoldingSecrets(topLevel, facts.changedFiles, secrets)
    if (leaking.length > 0) {
      facts.stopped = 'refused: a credential in the changes'
      return await finish(
        undefined,
        `The changes would publish a credential of this run (in ${leaking.join(', ')}): nothing ` +
          'was committed or pushed.'
      )
    }

    const pushed = await core.group(`Committing and pushing ${branch}`, () =>
      commitAndPush(cwd, {
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
        session: { costUsd: session.costUsd, numTurns: session.numTurns, model: session.model }
      })
    )
    facts.pr = await core.group('Opening or updating the pull request', () =>
      upsertPullRequest(gh, repo, {
        branch,
        base,
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
  } catch (error) {
    return finish(undefined, error instanceof Error ? error.message : String(error))
  }

  const result = await finish(undefined)
  if (inputs.review && facts.pr) {
    // A fresh session: the reviewer never sees the writer's context, only the pull request.
    // `prompt` is the writer's task, not review instructions.
    const review = await reviewPullRequest(
      { ...inputs, prompt: undefined },
      gh,
      repo,
      facts.pr.number,
      writer
    )
    result.review = review
    result.costUsd += review.costUsd
    adoptReviewOutcome(result.outcome, review.outcome)
  }
  return result
}

interface WriteFacts {
  branch: string
  base: string
  report?: WriterReport
  changedFiles: string[]
  commitSha?: string
  pushed: boolean
  verify: VerifyResult
  pr?: WriteResult['pr']
  stopped?: string
}

async function finishWrite(
  session: SessionReport,
  facts: WriteFacts,
  end: { conclusion?: string; failure?: string }
): Promise<WriteResult> {
  await appendJobSummary(
    renderSessionSummary(session, 'Tandem · writer session') +
      '\n' +
      renderWriteSummary({
        branch: facts.branch,
        base: facts.base,
        commitSha: facts.commitSha,
        pushed: facts.pushed,
        changedFiles: facts.changedFiles,
        pr: facts.pr,
        verify: facts.verify,
        stopped: end.failure ? (facts.stopped ?? 'failed') : facts.stopped
      })
  )
  const outputs: Record<string, string> = {
    ...sessionOutputs(session),
    'pr-number': facts.pr ? String(facts.pr.number) : '',
    'pr-url': facts.pr?.url ?? '',
    'pr-operation': facts.pr?.operation ?? 'none',
    branch: facts.branch,
    'commit-sha': facts.commitSha ?? '',
    'changed-files': JSON.stringify(facts.changedFiles),
    'verify-result': facts.verify.status
  }
  if (end.conclusion) outputs.conclusion = end.conclusion
  return {
    outcome: { outputs, failure: end.failure },
    session,
    report: facts.report,
    branch: facts.branch,
    base: facts.base,
    changedFiles: facts.changedFiles,
    commitSha: facts.commitSha,
    pushed: facts.pushed,
    verify: facts.verify,
    pr: facts.pr,
    costUsd: session.costUsd
  }
}
