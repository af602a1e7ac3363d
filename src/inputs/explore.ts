// The inputs of explore: how many candidates, and the approach each one is given.
import { DEFAULT_CANDIDATES, MAX_CANDIDATES } from '../explore/candidates.js'
import { InputError, type InputReader, parseInteger } from './values.js'

/** `candidates` and `approaches`: with approaches and no count, one candidate per approach. */
export function parseCandidates(read: InputReader): { candidates: number; approaches: string[] } {
  const approaches = read('approaches')
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(line => line !== '')
  const candidates =
    parseInteger(read, 'candidates', {
      min: 1,
      max: MAX_CANDIDATES,
      note: 'more parallel writers on one task stop paying for themselves'
    }) ?? (approaches.length > 0 ? Math.min(approaches.length, MAX_CANDIDATES) : DEFAULT_CANDIDATES)
  if (approaches.length > candidates) {
    throw new InputError(
      `Input 'approaches' has ${approaches.length} lines: expected at most one per candidate ` +
        `(candidates is ${candidates})`
    )
  }
  return { candidates, approaches }
}
