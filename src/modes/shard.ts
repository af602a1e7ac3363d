import type { Inputs } from '../inputs.js'
import type { ModeOutcome } from './outcome.js'

/** `shard`: being built (issue 8). */
export async function shardMode(inputs: Inputs): Promise<ModeOutcome> {
  throw new Error(`mode '${inputs.mode}' is not implemented yet`)
}
