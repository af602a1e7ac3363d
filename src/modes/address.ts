import type { Inputs } from '../inputs.js'
import type { ModeOutcome } from './outcome.js'

/** `address`: not built yet. */
export async function addressMode(_inputs: Inputs): Promise<ModeOutcome> {
  throw new Error("mode 'address' is not implemented yet")
}
