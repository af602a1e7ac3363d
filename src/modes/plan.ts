import type { Inputs } from '../inputs.js'
import type { ModeOutcome } from './outcome.js'

/** `plan`: being built (issue 8). */
export async function planMode(inputs: Inputs): Promise<ModeOutcome> {
  throw new Error(`mode '${inputs.mode}' is not implemented yet`)
}
