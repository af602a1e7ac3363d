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
import { findSessionFile, sessionFilePath } from '../agent/sessions.js'
import { renderSessionSummary } from '../agent/summary.js'
import { ADDRESS_ANSWER_SCHEMA, checkAnswers, type ThreadAnswer } from '../address/answer.js'
import { buildAddressPrompt, threadLocation } from '../address/prompt.js'
import { whyCannotPush } from '../address/push.js'
import {
  commitMessage,
  renderAddressSummary,
  renderReply,
  shouldResolve,
  type PushedCommit
} from '../address/render.js'
import {
  peopleToCheck,
  roundsDone,
  selectThreads,
  type AddressableThread,
  type ThreadSelection
} from '../address/threads.js'
import { createGitHub, repoFromEnv, type GitHub, type Repo } from '../github/client.js'
import {
  addressTrigger,
  readEvent,
  requireWritePermission,
  whyNotTrusted
} from '../github/event.js'
import { tandemLogin } from '../github/identity.js'
import { getPullRequest, type PullRequest } from '../github/pulls.js'
import { tokenCanPushTo } from '../github/push.js'
import { containsSecret, redactorFor, runSecrets } from '../github/redact.js'
import { listReviewThreads, replyToReviewThread, resolveReviewThread } from '../github/threads.js'
import {
  commitAll,
  entryPaths,
  pushBranch,
  statusEntries,
  type GitIdentity
} from '../git/branch.js'
import { checkoutCommit, originUrl, readCheckoutFile } from '../git/checkout.js'
import { headSha } from '../git/git.js'
import { diffBetween, ensureCommits, git } from '../git/git.js'
import { workflowChanges } from '../git/workflow-paths.js'
import { type Inputs } from '../inputs.js'
import { renderVerify } from '../write/render.js'
import { NO_VERIFY, verifyCheckout, type VerifyResult } from '../write/verify.js'
import { requireToken, skipped, type ModeOutcome } from './outcome.js'
import { WRITER_TOOLS } from './write.js'

/** `address`: unresolved review threads → writer → one commit on the PR branch → replies. */
export async function addressMode(inputs: Inputs): Promise<ModeOutcome> {
  const { eventName, payload } = readEvent()
  const trigger = addressTrigger(eventName, payload, {
    prNumberInput: inputs.prNumber,
    allowedBots: inputs.allowedBots
  })
  if (!trigger.run) return skipped(trigger.reason, SKIPPED_OUTPUTS)

  const gh = createGitHub(requireToken(inputs, 'read and answer the review threads'))
  const repo = repoFromEnv()
  const refusal = await whyNotTrusted(gh, repo, trigger)
  if (refusal) return skipped(refusal)
  const round = await addressPullRequest(inputs, gh, repo, trigger.prNumber, {
    // Only a chain of Tandem's own reviews needs a bound; a person asking again is fine.
    maxRounds: trigger.source === 'reviewer' ? inputs.maxRounds : undefined
  })
  return round.outcome
}

export interface AddressOptions {
  /** A writer session to resume (pair mode's own writer); default: the `session-id` input. */
  sessionId?: string
  /** More to fix besides the threads, e.g. pair mode's failing verify-command. */
  feedback?: string
  /** Stop once Tandem has pushed this many rounds of fixes to the pull request's threads. */
  maxRounds?: number
  agent?: Agent
}

/** What one address run did; `pair` reads it to decide on the next review. */
export interface AddressRound {
  outcome: ModeOutcome
  /** Undefined when no writer ran (nothing to address). */
  session?: SessionReport
  resumed: boolean
  /** Threads that got an answer posted. */
  addressed: number
  resolved: number
  answers: ThreadAnswer[]
  /** Thread ids the writer did not answer: left for the next run. */
  missing: string[]
  /** The pushed commit; undefined when nothing changed or the push was refused. */
  commitSha?: string
  changedFiles: string[]
  /** Why changes were not pushed, when there were changes. */
  notPushed?: string
  verify: VerifyResult
  costUsd: number
}

/**
 * Addresses the unresolved review threads of one pull request: the whole of address mode after
 * the trigger. The checkout must be clean; it is moved to the pull request's head.
 */
export async function addressPullRequest(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  options: AddressOptions = {}
): Promise<AddressRound> {
  const cwd = inputs.workingDirectory
  const pr = await getPullRequest(gh, repo, prNumber)
  if (pr.state === 'closed') return nothingToDo(`pull request #${prNumber} is closed`)

  const { threads, selection } = await core.group('Reading the review threads', async () => {
    const threads = await listReviewThreads(gh, repo, pr.number)
    const writers = new Map<string, boolean>()
    for (const login of peopleToCheck(threads, inputs.includeHumanComments)) {
      writers.set(login.toLowerCase(), await requireWritePermission(gh, repo, login))
    }
    const selection = selectThreads(threads, {
      includeHumanComments: inputs.includeHumanComments,
      canWrite: login => writers.get(login.toLowerCase()) === true,
      tandem: await tandemLogin(gh)
    })
    logSelection(selection)
    return { threads, selection }
  })
  if (options.maxRounds !== undefined) {
    const done = roundsDone(threads, await tandemLogin(gh))
    if (done >= options.maxRounds) {
      return nothingToDo(
        `Tandem already pushed fixes for the review threads of #${pr.number} ${done} time(s) ` +
          `(max-rounds ${options.maxRounds}); a person can ask for more with /tandem fix`
      )
    }
  }
  const selected = selection.selected
  if (selected.length === 0 && !options.feedback?.trim()) {
    return nothingToDo(`no unresolved review thread of #${pr.number} waits for an answer`)
  }

  await core.group(`Checking out the head of #${pr.number}`, () => checkoutHead(cwd, pr))
  const pushRefusal = await core.group('Checking where the fix can be pushed', () =>
    pushRefusalFor(gh, pr, cwd)
  )
  if (pushRefusal) core.warning(`Fixes cannot be pushed to ${pr.headRef}: ${pushRefusal}`)

  const secrets = runSecrets(inputs)
  const redact = redactorFor(inputs)
  const agent = options.agent ?? (await prepareAgent(agentSettings(inputs)))
  const wanted = options.sessionId ?? inputs.sessionId
  const resumed =
    wanted !== undefined &&
    findSessionFile({ CLAUDE_CONFIG_DIR: agent.sessionStore }, agent.cwd, wanted) !== undefined
  if (wanted !== undefined && !resumed) {
    core.info(
      `Session ${wanted} is not on this runner (${sessionFilePath(agent.sessionStore, agent.cwd, wanted)}): ` +
        'a fresh writer session gets the full context instead'
    )
  }
  const prompt = buildAddressPrompt({
    repository: pr.baseRepoFullName,
    pr: {
      number: pr.number,
      title: pr.title,
      body: pr.body,
      baseRef: pr.baseRef,
      headRef: pr.headRef
    },
    threads: selected,
    files: resumed ? new Map() : readThreadFiles(cwd, selected),
    resumed,
    allowWorkflowChanges: inputs.allowWorkflowChanges,
    instructions: inputs.prompt,
    feedback: options.feedback
  })
  core.info(
    `Writer prompt: ${Buffer.byteLength(prompt)} bytes, ${selected.length} thread(s), ` +
      (resumed ? `resuming session ${wanted}` : 'fresh session')
  )
  // runAgent keeps the checkout's stored credentials hidden while the session runs.
  const session = await runAgent(agent, {
    label: 'writer',
    prompt,
    allowedTools: inputs.allowedTools ?? WRITER_TOOLS,
    jsonSchema: ADDRESS_ANSWER_SCHEMA,
    structuredOutputOptional: true,
    // A fork's checkout can carry .claude/settings.json hooks and .mcp.json servers.
    settingSources: pr.isFork ? 'user' : undefined,
    resumeSessionId: resumed ? wanted : undefined
  })

  const facts: Facts = {
    pr,
    selection,
    session,
    resumed,
    answers: new Map(),
    missing: selected.map(t => t.thread.id),
    problems: [],
    changedFiles: [],
    verify: NO_VERIFY,
    resolvedIds: new Set(),
    addressed: 0
  }
  if (session.conclusion !== 'success') {
    return finish(
      facts,
      `${sessionFailure('writer', session)}; nothing was committed, pushed or posted`
    )
  }
  let answer = session.structuredOutput
  if (answer === undefined && (await statusEntries(cwd)).length > 0) {
    // The edits are there but no per-thread answer: the changes answer every thread, in the
    // writer's own closing words, rather than being thrown away.
    core.warning(
      'The writer changed files but gave no per-thread answer: each thread gets the change'
    )
    const reply = session.result?.trim() ? session.result.trim().slice(0, 2000) : 'Addressed.'
    answer = { threads: selected.map(t => ({ id: t.thread.id, status: 'fixed', reply })) }
  }
  try {
    const check = checkAnswers(
      answer,
      selected.map(t => t.thread.id)
    )
    facts.answers = check.answers
    facts.missing = check.missing
    facts.problems = check.problems
  } catch (error) {
    return finish(facts, `${(error as Error).message}; nothing was committed, pushed or posted`)
  }
  for (const problem of facts.problems) core.warning(`The writer's answer: ${problem}`)
  for (const id of facts.missing) {
    const item = selected.find(t => t.thread.id === id)!
    core.warning(
      `The writer did not answer thread ${threadLocation(item.thread)} (${id}); it stays open for the next run`
    )
  }

  if (inputs.verifyCommand) {
    facts.verify = await verifyCheckout(inputs.verifyCommand, agent, redact)
    if (facts.verify.status === 'failed') {
      core.warning('verify-command failed: fixed threads stay open, the replies say why')
    }
  }

  await core.group('Committing and pushing', () =>
    commitAndPush(cwd, facts, {
      pushRefusal,
      allowWorkflowChanges: inputs.allowWorkflowChanges,
      secrets,
      redact,
      repo,
      message: redact(inputs.commitMessage ?? commitMessage(pr.number, selected, facts.answers)),
      author: inputs.commitAuthor,
      token: inputs.githubToken
    })
  )

  await core.group('Answering the threads', () => answerThreads(gh, facts, selected, redact))
  const failures: string[] = []
  if (facts.notPushed !== undefined) {
    failures.push(
      `The changes could not be pushed to ${pr.headRef}: ${facts.notPushed}. The answers were ` +
        'posted; the diff is in the job summary'
    )
  }
  if (facts.postFailures) failures.push(facts.postFailures)
  return finish(facts, failures.length > 0 ? failures.join('. ') : undefined)
}

interface Facts {
  pr: PullRequest
  selection: ThreadSelection
  session: SessionReport
  resumed: boolean
  answers: Map<string, ThreadAnswer>
  missing: string[]
  problems: string[]
  changedFiles: string[]
  commit?: PushedCommit
  notPushed?: string
  /** The diff of changes that were not pushed, for the job summary. */
  unpushedDiff?: string
  verify: VerifyResult
  resolvedIds: Set<string>
  addressed: number
  postFailures?: string
}

/**
 * Moves the checkout to the PR head. A dirty tree is refused: everything in it would go into the
 * commit pushed to someone's pull request.
 */
async function checkoutHead(cwd: string, pr: PullRequest): Promise<void> {
  const top = await git(cwd, ['rev-parse', '--show-toplevel'], { allowFailure: true })
  if (top.exitCode !== 0) {
    throw new Error(
      `working-directory ${cwd} is not a git checkout: address mode commits and pushes from one ` +
        '(run actions/checkout first)'
    )
  }
  const dirty = entryPaths(await statusEntries(cwd))
  if (dirty.length > 0) {
    throw new Error(
      `The checkout has ${dirty.length} changed file(s) before the writer ran (` +
        `${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}): address mode commits ` +
        'everything that changed to the pull request, so it needs a clean checkout (add such ' +
        'files to .gitignore, or run address mode before the steps that create them)'
    )
  }
  if ((await headSha(cwd)) === pr.headSha) return
  if (!(await ensureCommits(cwd, [pr.headSha]))) {
    throw new Error(
      `The head of #${pr.number} (${pr.headSha}) cannot be fetched into the checkout from origin`
    )
  }
  await checkoutCommit(cwd, pr.headSha)
  core.info(`Checked out ${pr.headSha} (${pr.headRef})`)
}

async function pushRefusalFor(
  gh: GitHub,
  pr: PullRequest,
  cwd: string
): Promise<string | undefined> {
  const fork = pr.isFork && pr.headRepoFullName !== undefined
  return whyCannotPush({
    isFork: pr.isFork,
    headRepoFullName: pr.headRepoFullName,
    maintainerCanModify: fork && pr.maintainerCanModify,
    tokenCanPush: fork && (await tokenCanPushTo(gh, pr.headRepoFullName!)),
    originUrl: await originUrl(cwd)
  })
}

function readThreadFiles(
  cwd: string,
  threads: AddressableThread[]
): Map<string, string | undefined> {
  const files = new Map<string, string | undefined>()
  for (const { thread } of threads) {
    if (!files.has(thread.path)) files.set(thread.path, readCheckoutFile(cwd, thread.path))
  }
  return files
}

async function commitAndPush(
  cwd: string,
  facts: Facts,
  how: {
    pushRefusal: string | undefined
    allowWorkflowChanges: boolean
    secrets: string[]
    redact: (text: string) => string
    repo: Repo
    message: string
    author: GitIdentity | undefined
    /** For a checkout that stored no credentials (persist-credentials: false). */
    token: string | undefined
  }
): Promise<void> {
  const entries = await statusEntries(cwd)
  facts.changedFiles = entryPaths(entries).sort()
  if (facts.changedFiles.length === 0) {
    core.info('The writer changed nothing: no commit')
    return
  }
  core.info(`Changed: ${facts.changedFiles.join(', ')}`)
  const workflows = workflowChanges(entries)
  const sha = await commitAll(cwd, { message: how.message, author: how.author })
  if (!sha) throw new Error('git found nothing to commit although the working tree had changes')
  const diff = await diffBetween(cwd, facts.pr.headSha, sha)
  const added = diff
    .split('\n')
    .filter(line => line.startsWith('+') && !line.startsWith('+++'))
    .join('\n')
  if (containsSecret(added, how.secrets)) {
    // Not even the job summary gets this diff.
    facts.notPushed = 'the changes hold a credential of this run'
    return
  }
  facts.unpushedDiff = how.redact(diff)
  if (workflows.length > 0 && !how.allowWorkflowChanges) {
    facts.notPushed =
      `the changes touch workflow files (${workflows.join(', ')}), which allow-workflow-changes ` +
      'does not allow'
    return
  }
  if (how.pushRefusal) {
    facts.notPushed = how.pushRefusal
    return
  }
  try {
    // Never forced: a push someone made meanwhile is theirs, and wins.
    await pushBranch(cwd, facts.pr.headRef, { token: how.token })
  } catch (error) {
    facts.notPushed = `git push failed: ${how.redact((error as Error).message)}`
    return
  }
  facts.unpushedDiff = undefined
  const server = (process.env.GITHUB_SERVER_URL?.trim() || 'https://github.com').replace(/\/+$/, '')
  facts.commit = { sha, url: `${server}/${how.repo.owner}/${how.repo.repo}/commit/${sha}` }
  core.info(`Pushed ${sha} to ${facts.pr.headRef}`)
}

async function answerThreads(
  gh: GitHub,
  facts: Facts,
  selected: AddressableThread[],
  redact: (text: string) => string
): Promise<void> {
  const failed: string[] = []
  for (const item of selected) {
    const answer = facts.answers.get(item.thread.id)
    if (!answer) continue
    const where = threadLocation(item.thread)
    const body = redact(
      renderReply({
        answer,
        answering: item.answering.databaseId,
        commit: facts.commit,
        notPushed: facts.changedFiles.length > 0 ? facts.notPushed : undefined,
        branch: facts.pr.headRef,
        verify: facts.verify
      })
    )
    try {
      await replyToReviewThread(gh, item.thread.id, body)
      facts.addressed++
      if (shouldResolve(answer.status, { notPushed: facts.notPushed, verify: facts.verify })) {
        await resolveReviewThread(gh, item.thread.id)
        facts.resolvedIds.add(item.thread.id)
      }
      core.info(
        `${where}: ${answer.status}${facts.resolvedIds.has(item.thread.id) ? ', resolved' : ''}`
      )
    } catch (error) {
      core.warning(`Could not answer the thread at ${where}: ${(error as Error).message}`)
      failed.push(where)
    }
  }
  if (failed.length > 0) {
    facts.postFailures = `${failed.length} answer(s) could not be posted (${failed.join(', ')}); they are in the job summary`
  }
}

async function finish(facts: Facts, failure: string | undefined): Promise<AddressRound> {
  const { session } = facts
  await appendJobSummary(
    renderSessionSummary(session, 'Tandem · writer session (address)') +
      '\n' +
      renderAddressSummary({
        prNumber: facts.pr.number,
        branch: facts.pr.headRef,
        threads: facts.selection.selected,
        answers: facts.answers,
        resolved: facts.resolvedIds,
        skipped: facts.selection.skipped,
        problems: facts.problems,
        commit: facts.commit,
        notPushed: facts.changedFiles.length > 0 ? facts.notPushed : undefined,
        changedFiles: facts.changedFiles,
        diff: facts.unpushedDiff,
        verify: renderVerify(facts.verify),
        resumed: facts.resumed
      })
  )
  return {
    outcome: {
      outputs: {
        ...sessionOutputs(session),
        'threads-addressed': String(facts.addressed),
        'threads-resolved': String(facts.resolvedIds.size),
        'commit-sha': facts.commit?.sha ?? '',
        'verify-result': facts.verify.status
      },
      failure
    },
    session,
    resumed: facts.resumed,
    addressed: facts.addressed,
    resolved: facts.resolvedIds.size,
    answers: [...facts.answers.values()],
    missing: facts.missing,
    commitSha: facts.commit?.sha,
    changedFiles: facts.changedFiles,
    notPushed: facts.changedFiles.length > 0 ? facts.notPushed : undefined,
    verify: facts.verify,
    costUsd: session.costUsd
  }
}

function logSelection(selection: ThreadSelection): void {
  for (const item of selection.selected) {
    core.info(`To address: ${threadLocation(item.thread)} (${item.origin}, ${item.thread.id})`)
  }
  for (const { thread, reason } of selection.skipped) {
    core.info(`Not addressed: ${threadLocation(thread)}: ${reason}`)
  }
}

const SKIPPED_OUTPUTS = {
  conclusion: 'skipped',
  'threads-addressed': '0',
  'threads-resolved': '0',
  'commit-sha': '',
  'verify-result': 'none'
}

function nothingToDo(reason: string): AddressRound {
  return {
    outcome: skipped(reason, SKIPPED_OUTPUTS),
    resumed: false,
    addressed: 0,
    resolved: 0,
    answers: [],
    missing: [],
    changedFiles: [],
    verify: NO_VERIFY,
    costUsd: 0
  }
}
