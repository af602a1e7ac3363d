// The inputs of pair's tests-first loop.
import type { Mode } from '../inputs.js'
import { DEFAULT_TEST_PATHS } from '../pair/tests-first.js'
import { InputError, type InputReader, optionalString, parseBoolean, splitList } from './values.js'

/** `tests-first` and `test-paths` (pair): tests that fail first need a check that runs them. */
export function parseTestsFirst(
  read: InputReader,
  mode: Mode,
  prNumber: number | undefined
): { testsFirst: boolean; testPaths: string[] } {
  const testsFirst = parseBoolean(read, 'tests-first', false)
  const given = splitList(read('test-paths'))
  if (testsFirst && mode === 'pair') {
    if (optionalString(read, 'verify-command') === undefined) {
      throw new InputError(
        "Input 'tests-first' is true and 'verify-command' is empty: expected the command that " +
          'runs the tests (it must fail before the change and pass after it)'
      )
    }
    if (prNumber !== undefined) {
      throw new InputError(
        `Input 'tests-first' is true and 'pr-number' is ${prNumber}: expected no pr-number ` +
          '(tests come first, before the writer opens the pull request)'
      )
    }
  }
  return { testsFirst, testPaths: given.length > 0 ? given : [...DEFAULT_TEST_PATHS] }
}
