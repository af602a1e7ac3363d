import type { Inputs } from '../inputs.js'
import type { ModeOutcome } from './outcome.js'

/** `pair`: not built yet. */
export async function pairMode(_inputs: Inputs): Promise<ModeOutcome> {
  throw new Error("mode 'pair' is not implemented yet")
}
