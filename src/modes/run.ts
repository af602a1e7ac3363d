import { prepareAgent, runAgent, sessionOutputs, sessionFailure } from '../agent/launch.js'
import { agentSettings } from './steps/agent-settings.js'
import { appendJobSummary } from '../github/emit.js'
import { renderSessionSummary } from '../agent/summary.js'
import type { Inputs } from '../inputs.js'
import type { ModeOutcome } from './outcome.js'
import { WRITER_TOOLS } from '../agent/tools.js'

/** `run`: one plain Claude Code session with the prompt, reported in full. */
export async function runMode(inputs: Inputs): Promise<ModeOutcome> {
  const agent = await prepareAgent(agentSettings(inputs))
  const report = await runAgent(agent, {
    label: 'run',
    prompt: inputs.prompt ?? '',
    allowedTools: inputs.allowedTools ?? WRITER_TOOLS
  })
  await appendJobSummary(renderSessionSummary(report, 'Tandem · Claude Code session'))
  return {
    outputs: sessionOutputs(report),
    failure: report.conclusion === 'success' ? undefined : sessionFailure('Claude Code', report)
  }
}
