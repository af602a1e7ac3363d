import type { AgentSettings } from '../../agent/settings.js'
import { withCredentialsHidden } from '../../git/credentials.js'
import { guardConfig, guardPaths } from '../../git/guard.js'
import { runSecrets } from '../../github/redact.js'
import type { Inputs } from '../../inputs.js'

/** The agent's settings from the run's inputs, with git's way of keeping the checkout. */
export function agentSettings(inputs: Inputs): AgentSettings {
  return {
    claudePath: inputs.claudePath,
    claudeVersion: inputs.claudeVersion,
    anthropicApiKey: inputs.anthropicApiKey,
    workingDirectory: inputs.workingDirectory,
    model: inputs.model,
    maxTurns: inputs.maxTurns,
    maxBudgetUsd: inputs.maxBudgetUsd,
    timeoutMinutes: inputs.timeoutMinutes,
    claudeArgs: inputs.claudeArgs,
    disallowedTools: inputs.disallowedTools,
    secrets: runSecrets(inputs),
    checkout: {
      hold: (cwd, held, restored) =>
        withCredentialsHidden(cwd, async () => {
          const guard = await guardConfig(cwd, [])
          await held()
          restored(await guard.restore())
        }),
      guardFiles: paths => guardPaths(paths)
    }
  }
}
