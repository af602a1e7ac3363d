import { git } from './git.js'
import { APPLY_PINS } from './patch-apply.js'
import { parsePatch } from './patch-parse.js'
import { patchRefusal, type PatchPolicy } from './patch-policy.js'

/**
 * Applies one patch made from the checkout's own HEAD (a worktree's change) to its working
 * tree and index, after collect's refusals (unsafe paths, symlinks out, workflow files without
 * permission, a credential of the run). Throws with why when it is refused or does not apply.
 */
export async function applyToCheckout(
  top: string,
  patch: Buffer,
  policy: PatchPolicy
): Promise<void> {
  const text = patch.toString('utf8')
  const refusal = patchRefusal(parsePatch(text), text, policy)
  if (refusal) throw new Error(`The chosen change is refused: ${refusal}`)
  await git(top, [...APPLY_PINS, 'apply', '--index', '--binary', '-'], { input: patch })
}
