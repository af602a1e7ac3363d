/**
 * Address mode's writer session: resumed when the earlier session is on this runner, else a
 * fresh one given the threads' files; either way it answers in ADDRESS_ANSWER_SCHEMA.
 */
import * as core from '@actions/core'
import { runAgent, type Agent } from '../../agent/launch.js'
import type { SessionReport } from '../../agent/report.js'
import { findSessionFile, sessionFilePath } from '../../agent/sessions.js'
import { WRITER_TOOLS } from '../../agent/tools.js'
import { ADDRESS_ANSWER_SCHEMA } from '../../address/answer.js'
import { buildAddressPrompt } from '../../address/prompt.js'
import type { AddressableThread } from '../../address/threads.js'
import type { PullRequest } from '../../github/pulls.js'
import { readCheckoutFile } from '../../git/checkout.js'
import type { Inputs } from '../../inputs.js'

export async function runAddressWriter(
  inputs: Inputs,
  agent: Agent,
  pr: PullRequest,
  selected: AddressableThread[],
  options: { sessionId?: string; feedback?: string }
): Promise<{ session: SessionReport; resumed: boolean }> {
  const wanted = options.sessionId ?? inputs.sessionId
  const resumed = canResume(agent, wanted)
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
    files: resumed ? new Map() : readThreadFiles(inputs.workingDirectory, selected),
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
  return { session, resumed }
}

/** Whether the wanted writer session is on this runner, so that it can be resumed. */
function canResume(agent: Agent, wanted: string | undefined): boolean {
  const resumed =
    wanted !== undefined &&
    findSessionFile({ CLAUDE_CONFIG_DIR: agent.sessionStore }, agent.cwd, wanted) !== undefined
  if (wanted !== undefined && !resumed) {
    core.info(
      `Session ${wanted} is not on this runner (${sessionFilePath(agent.sessionStore, agent.cwd, wanted)}): ` +
        'a fresh writer session gets the full context instead'
    )
  }
  return resumed
}

/** The checkout's text of every file a thread is on, for a fresh session's prompt. */
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
