import * as core from '@actions/core'
import type { Inputs } from '../inputs.js'

import type { ModeOutcome } from '../outcome.js'

export type { ModeOutcome }

/** A run that decided not to act (a bot's event, no permission, nothing to do): exit 0. */
export function skipped(reason: string, outputs: Record<string, string> = {}): ModeOutcome {
  core.info(`Skipping: ${reason}`)
  return { outputs: { ...outputs, conclusion: 'skipped' } }
}

/** The token every GitHub-facing mode needs, or an error that says what it is for. */
export function requireToken(inputs: Inputs, purpose: string): string {
  if (!inputs.githubToken) {
    throw new Error(
      `Input 'github-token' is empty: ${inputs.mode} mode needs a token to ${purpose}`
    )
  }
  return inputs.githubToken
}
