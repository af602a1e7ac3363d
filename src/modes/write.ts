import * as core from '@actions/core'
import { lstatSync, openSync, readSync, closeSync } from 'node:fs'
import path from 'node:path'
import {
  prepareAgent,
  runAgent,
  sessionOutputs,
  type Agent,
  sessionFailure
} from '../agent/launch.js'
import { appendJobSummary } from '../github/emit.js'
import type { SessionReport } from '../agent/report.js'
import { renderSessionSummary } from '../agent/summary.js'
import { createGitHub, repoFromEnv, type GitHub, type Repo } from '../github/client.js'
import {
  addLabels,
  createPullRequest,
  findOpenPullRequestByHead,
  getDefaultBranch,
  samePullRequestBody,
  updatePullRequest,
  type OpenPullRequest
} from '../github/pulls.js'
import { containsSecret, redactorFor, runSecrets } from '../github/redact.js'
import {
  checkoutBranchHere,
  commitAll,
  entryPaths,
  fetchRemoteBranch,
  pushBranch,
  remoteBranchSha,
  resetSoft,
  statusEntries,
  treeOf,
  type GitIdentity
} from '../git/branch.js'
import { branchForPrompt, invalidBranchName } from '../git/branch-name.js'
import { git, hasCommit } from '../git/git.js'
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
import { requireToken, skipped, type ModeOutcome } from './outcome.js'
import { reviewPullRequest, type ReviewRound } from './review.js'

/** The writer's tools when `allowed-tools` is empty: files only, no shell. */
export const WRITER_TOOLS = ['Read', 'Edit', 'Write', 'Glob', 'Grep']

export type PullRequestOperation = 'created' | 'updated' | 'none'

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
  const bad = invalidBranchName(branch)
  if (bad) {
    throw new Error(
      `Input 'branch' has value ${JSON.stringify(branch)}: expected a git branch name (${bad})`
    )
  }
  const { base, topLevel } = await core.group('Preparing the branch', async () => {
    const top = await git(cwd, ['rev-parse', '--show-toplevel'], { allowFailure: true })
    if (top.exitCode !== 0) {
      throw new Error(
        `working-directory ${cwd} is not a git checkout: write mode commits and pushes from one ` +
          '(run actions/checkout first)'
      )
    }
    const defaultBranch = await getDefaultBranch(gh, repo)
    const base = inputs.base ?? defaultBranch
    // The branch is force-pushed: it must never be one people build on.
    for (const protectedBranch of new Set([base, defaultBranch])) {
      if (branch === protectedBranch) {
        throw new Error(
          `Input 'branch' has value ${JSON.stringify(branch)}: expected a branch other than the ` +
            `base and the default branch (${protectedBranch}), since Tandem force-pushes it`
        )
      }
    }
    core.info(`Branch ${branch} → base ${base}`)
    const before = entryPaths(await statusEntries(cwd))
    if (before.length > 0) {
      core.warning(
        `The checkout already had ${before.length} changed file(s) before the writer ran ` +
          `(${before.slice(0, 5).join(', ')}${before.length > 5 ? ', …' : ''}); they are part of the commit.`
      )
    }
    return { base, topLevel: top.stdout.trim() }
  })

  const secrets = runSecrets(inputs)
  const redact = redactorFor(inputs)
  const facts: WriteFacts = { branch, base, changedFiles: [], pushed: false, verify: NO_VERIFY }

  const writer = agent ?? (await prepareAgent(inputs))
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

    await core.group(`Committing and pushing ${branch}`, () =>
      commitAndPush(
        cwd,
        facts,
        redact(inputs.commitMessage ?? commitMessage(facts.report, prompt)),
        inputs.commitAuthor,
        inputs.githubToken
      )
    )

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
        mustShow: renderVerify(facts.verify).split('\n', 1)[0] || undefined
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
    const { outputs } = review.outcome
    for (const name of REVIEW_OUTPUTS) {
      if (outputs[name] !== undefined) result.outcome.outputs[name] = outputs[name]
    }
    if (review.outcome.failure) result.outcome.failure = review.outcome.failure
  }
  return result
}

// The review's own outputs; the session outputs stay the writer's.
const REVIEW_OUTPUTS = [
  'review-id',
  'verdict',
  'findings',
  'findings-count',
  'inline-comments',
  'summary-comment-id'
]

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

/**
 * Commits the working tree on `branch` and pushes it, unless the remote branch already holds
 * exactly this tree: then nothing is pushed and the checkout takes the remote commit as HEAD,
 * so an identical re-run neither rewrites history nor triggers anything.
 */
async function commitAndPush(
  cwd: string,
  facts: WriteFacts,
  message: string,
  author: GitIdentity | undefined,
  /** For a checkout that stored no credentials (persist-credentials: false). */
  token: string | undefined
): Promise<void> {
  await checkoutBranchHere(cwd, facts.branch)
  const sha = await commitAll(cwd, { message: withWriteTrailer(message, facts.branch), author })
  if (!sha) throw new Error('git found nothing to commit although the working tree had changes')
  const remote = await remoteBranchSha(cwd, facts.branch, token)
  if (
    remote !== undefined &&
    ((await hasCommit(cwd, remote)) || (await fetchRemoteBranch(cwd, facts.branch, token)))
  ) {
    const [ours, theirs] = [await treeOf(cwd, sha), await treeOf(cwd, remote)]
    if (ours !== undefined && ours === theirs) {
      await resetSoft(cwd, remote)
      facts.commitSha = remote
      core.info(`origin/${facts.branch} already holds this tree at ${remote}: nothing to push`)
      return
    }
    // The branch is Tandem's to replace only while its tip is write mode's own commit: fixes
    // pushed since (by address mode or a person) must never be force-pushed away.
    if (!hasWriteTrailer(await commitMessageOf(cwd, remote), facts.branch)) {
      throw new Error(
        `origin/${facts.branch} has commits that write mode did not make (its tip ${remote}): ` +
          'not overwriting them. Use address mode to build on that pull request, or another branch.'
      )
    }
  }
  // The lease: replace the branch only if it is still where we just saw it (or still absent).
  try {
    await pushBranch(cwd, facts.branch, { force: true, expectedRemoteSha: remote, token })
  } catch (error) {
    const message = (error as Error).message
    // GitHub's words when a token without the `workflows` permission pushes a workflow file.
    if (/refusing to allow .* to create or update workflow/i.test(message)) {
      throw new Error(
        `${message}\nThe token cannot push workflow changes: GITHUB_TOKEN never can. Pass a GitHub ` +
          "App token or a PAT with the workflows permission as github-token, or don't allow " +
          'workflow changes.'
      )
    }
    throw error
  }
  facts.commitSha = sha
  facts.pushed = true
  core.info(`Pushed ${sha} to ${facts.branch}${remote ? ` (was ${remote})` : ''}`)
}

const WRITE_TRAILER = 'Tandem-Write:'

function withWriteTrailer(message: string, branch: string): string {
  return `${message.trimEnd()}\n\n${WRITE_TRAILER} ${branch}\n`
}

function hasWriteTrailer(message: string, branch: string): boolean {
  return message.split('\n').some(line => line.trim() === `${WRITE_TRAILER} ${branch}`)
}

async function commitMessageOf(cwd: string, sha: string): Promise<string> {
  return (await git(cwd, ['log', '-1', '--format=%B', sha], { allowFailure: true })).stdout
}

async function upsertPullRequest(
  gh: GitHub,
  repo: Repo,
  want: {
    branch: string
    base: string
    title: string
    body: string
    labels: string[]
    draft: boolean
    refreshText: boolean
    mustShow?: string
  }
): Promise<NonNullable<WriteResult['pr']>> {
  const existing = await findOpenPullRequestByHead(gh, repo, want.branch)
  let pr: OpenPullRequest
  let operation: PullRequestOperation
  if (existing === undefined) {
    pr = await createPullRequest(gh, repo, {
      head: want.branch,
      base: want.base,
      title: want.title,
      body: want.body,
      draft: want.draft
    })
    operation = 'created'
  } else {
    pr = existing
    const changes: { title?: string; body?: string; base?: string } = {}
    const refresh =
      want.refreshText || (want.mustShow !== undefined && !existing.body.includes(want.mustShow))
    if (refresh && existing.title !== want.title) changes.title = want.title
    if (refresh && !samePullRequestBody(existing.body, want.body)) changes.body = want.body
    if (existing.baseRef !== want.base) changes.base = want.base
    operation = 'none'
    if (Object.keys(changes).length > 0) {
      pr = await updatePullRequest(gh, repo, existing.number, changes)
      operation = 'updated'
    }
  }
  const have = new Set(pr.labels.map(label => label.toLowerCase()))
  const missing = want.labels.filter(label => !have.has(label.toLowerCase()))
  if (missing.length > 0) {
    await addLabels(gh, repo, pr.number, missing)
    if (operation === 'none') operation = 'updated'
  }
  return { number: pr.number, url: pr.htmlUrl, operation, headSha: pr.headSha }
}

const MAX_SCANNED_BYTES = 10 * 1024 * 1024

/** Changed files (regular files, up to 10 MB each) that hold a credential of this run. */
function filesHoldingSecrets(root: string, files: string[], secrets: string[]): string[] {
  if (!secrets.some(secret => secret.trim() !== '')) return []
  const leaking: string[] = []
  for (const file of files) {
    const full = path.join(root, file)
    let size: number
    try {
      const stat = lstatSync(full)
      if (!stat.isFile()) continue
      size = Math.min(stat.size, MAX_SCANNED_BYTES)
    } catch {
      continue // deleted
    }
    const buffer = Buffer.alloc(size)
    const fd = openSync(full, 'r')
    try {
      readSync(fd, buffer, 0, size, 0)
    } finally {
      closeSync(fd)
    }
    if (containsSecret(buffer.toString('utf8'), secrets)) leaking.push(file)
  }
  return leaking
}
