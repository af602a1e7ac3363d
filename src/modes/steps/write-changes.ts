/**
 * One write, shared by write mode and pair mode: the writer session in the checkout, its change
 * checked, committed and pushed to `branch`, and ONE pull request from it, created or updated.
 */
import * as core from '@actions/core'
import { prepareAgent, runAgent, type Agent, sessionFailure } from '../../agent/launch.js'
import type { SessionReport } from '../../agent/report.js'
import { WRITER_TOOLS } from '../../agent/tools.js'
import type { GitHub, Repo } from '../../github/client.js'
import { redactorFor, runSecrets } from '../../github/redact.js'
import { entryPaths, statusEntries } from '../../git/branch.js'
import { branchForPrompt } from '../../git/branch-name.js'
import { workflowChanges } from '../../git/workflow-paths.js'
import { type Inputs } from '../../inputs.js'
import { WRITER_REPORT_SCHEMA, buildWriterPrompt, parseWriterReport } from '../../write/report.js'
import {
  secretRefusal,
  workflowRefusal,
  writeOutputs,
  type WriteFacts
} from '../../write/result.js'
import { NO_VERIFY } from '../../write/verify.js'
import { checkBranchName, filesHoldingSecrets } from './branch-pr.js'
import { prepareWriteBranch, publishWrite } from './write-publish.js'
import { verifyChange } from './verify.js'
import { finishWrite, reviewIfAsked, type WriteResult } from './write-report.js'
import { agentSettings } from './agent-settings.js'
import { messageOf } from '../../outcome.js'

export type { WriteResult }

/** Steps around the writer's session (pair's tests-first); write mode has none. */
export interface WriteHooks {
  /**
   * Once the branch is settled, before the writer: the writer's task and agent instead of
   * `prompt` (which still names the branch, the commit and the PR) and `agent`, or why the
   * write stops here, with nothing pushed.
   */
  beforeWriter(): Promise<{ task: string; writer: Agent } | { failure: string }>
  /**
   * After the writer's session succeeded, before its change is checked or pushed: the session
   * to go on with (`resume` continues the writer's with a new prompt), or why the write stops.
   */
  afterWriter(
    session: SessionReport,
    resume: (prompt: string) => Promise<SessionReport>
  ): Promise<{ session: SessionReport; failure?: string }>
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
  agent?: Agent,
  hooks?: WriteHooks
): Promise<WriteResult> {
  const cwd = inputs.workingDirectory
  const prompt = inputs.prompt?.trim()
  if (!prompt) {
    throw new Error("Inputs 'prompt' and 'prompt-file' are both empty: write mode needs the task")
  }
  const branch = inputs.branch ?? branchForPrompt(prompt)
  checkBranchName(branch)
  const { base, topLevel } = await core.group('Preparing the branch', () =>
    prepareWriteBranch(gh, repo, { cwd, branch, base: inputs.base })
  )

  const secrets = runSecrets(inputs)
  const redact = redactorFor(inputs)
  const facts: WriteFacts = { branch, base, changedFiles: [], pushed: false, verify: NO_VERIFY }

  let writer = agent ?? (await prepareAgent(agentSettings(inputs)))
  let task = prompt
  const before = await hooks?.beforeWriter()
  if (before && 'failure' in before) {
    const failure = `${before.failure}; nothing was committed or pushed`
    const outcome = { outputs: { ...writeOutputs(facts), conclusion: 'failure' }, failure }
    return { outcome, ...facts, costUsd: 0 }
  }
  if (before) ({ task, writer } = before)
  const writerTask = {
    label: 'writer',
    allowedTools: inputs.allowedTools ?? WRITER_TOOLS,
    jsonSchema: WRITER_REPORT_SCHEMA,
    // The edits are the work; a writer that edits and then just says so has still succeeded.
    structuredOutputOptional: true
  }
  // runAgent keeps the checkout's stored credentials hidden while the session runs.
  let session = await runAgent(writer, {
    ...writerTask,
    prompt: buildWriterPrompt(task, { allowWorkflowChanges: inputs.allowWorkflowChanges })
  })
  const finish = (conclusion: string | undefined, failure?: string): Promise<WriteResult> =>
    finishWrite(session, facts, { conclusion, failure })

  if (session.conclusion !== 'success') {
    return finish(
      undefined,
      `${sessionFailure('writer', session)}; nothing was committed or pushed`
    )
  }
  if (hooks) {
    const after = await hooks.afterWriter(session, prompt =>
      runAgent(writer, { ...writerTask, prompt, resumeSessionId: session.sessionId })
    )
    session = after.session
    if (after.failure) return finish('failure', `${after.failure}; nothing was committed or pushed`)
  }
  facts.report = parseWriterReport(session.structuredOutput)
  if (!facts.report) {
    core.warning('The writer did not report what it changed; the pull request shows the diff only.')
  }

  try {
    let entries = await statusEntries(cwd)
    if (entries.length === 0) {
      core.info('The writer changed nothing: no commit, no pull request.')
      facts.stopped = 'no changes'
      return await finish('no-changes')
    }
    // The check runs code the writer may have changed: the stored credentials stay hidden
    // while it runs, and whatever it leaves behind goes through the same checks below.
    if (inputs.verifyCommand) {
      facts.verify = await verifyChange(inputs.verifyCommand, writer, redact)
      // Read again after the check: what is committed is exactly what these checks saw.
      entries = await statusEntries(cwd)
    }
    facts.changedFiles = entryPaths(entries).sort()
    core.info(`Changed: ${facts.changedFiles.join(', ')}`)
    // git reports paths from the repository root, which working-directory may be below.
    const refusal =
      workflowRefusal(workflowChanges(entries), inputs.allowWorkflowChanges) ??
      secretRefusal(filesHoldingSecrets(topLevel, facts.changedFiles, secrets))
    if (refusal) {
      facts.stopped = refusal.stopped
      return await finish('failure', refusal.failure)
    }
    await publishWrite(inputs, gh, repo, { facts, session, prompt, redact })
  } catch (error) {
    return finish('failure', messageOf(error))
  }

  return reviewIfAsked(inputs, gh, repo, await finish(undefined), writer)
}
