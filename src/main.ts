import * as core from '@actions/core'
import { releaseAgents } from './agent/launch.js'
import { addMask, installRedaction, setOutputs } from './github/emit.js'
import { redactorFor } from './github/redact.js'
import { readInputs, type Inputs, type Mode } from './inputs.js'
import { addressMode } from './modes/address.js'
import { collectMode } from './modes/collect.js'
import { exploreMode } from './modes/explore.js'
import { pairMode } from './modes/pair.js'
import { planMode } from './modes/plan.js'
import { reviewMode } from './modes/review.js'
import { runMode } from './modes/run.js'
import { shardMode } from './modes/shard.js'
import { writeMode } from './modes/write.js'
import type { ModeOutcome } from './modes/outcome.js'
import { messageOf } from './outcome.js'

const MODES: Partial<Record<Mode, (inputs: Inputs) => Promise<ModeOutcome>>> = {
  review: reviewMode,
  write: writeMode,
  address: addressMode,
  pair: pairMode,
  run: runMode,
  plan: planMode,
  shard: shardMode,
  collect: collectMode,
  explore: exploreMode
}

/** The action: inputs → mode → outputs. The only place that fails the step. */
export async function run(): Promise<void> {
  // Before anything is read or logged: from here on no line, output or summary shows a secret.
  const secrets = {
    githubToken: core.getInput('github-token'),
    anthropicApiKey: core.getInput('anthropic-api-key')
  }
  installRedaction(redactorFor(secrets))
  // The runner masks them too, in this step's lines and in every later step's.
  for (const value of Object.values(secrets)) addMask(value)
  try {
    const inputs = readInputs()
    const mode = MODES[inputs.mode]
    if (!mode) {
      throw new Error(
        `mode '${inputs.mode}' is not implemented yet; implemented modes: ${Object.keys(MODES).join(', ')}`
      )
    }
    const outcome = await mode(inputs)
    setOutputs(outcome.outputs)
    if (outcome.failure) core.setFailed(outcome.failure)
  } catch (error) {
    core.setFailed(messageOf(error))
  } finally {
    await releaseAgents()
  }
}
