import type { Inputs } from '../inputs.js'
import type { ModeOutcome } from './outcome.js'

/** `write`: not built yet. */
export async function writeMode(_inputs: Inputs): Promise<ModeOutcome> {
  throw new Error("mode 'write' is not implemented yet")
}
