/**
 * Pair's tests-first step, as pure functions: which files are tests, the test writer's tools and
 * prompts, and what the run demands of the tests (red on the base) and of the writer (green,
 * without touching them).
 */
import { minimatch } from 'minimatch'
import { fenced } from '../markdown.js'
import type { VerifyResult } from '../write/verify.js'
import type { PairStop } from './rounds.js'

/** `test-paths` when empty: where the common test runners look for tests. */
export const DEFAULT_TEST_PATHS = [
  '**/*.test.*',
  '**/*.spec.*',
  '**/__tests__/**',
  '**/test/**',
  '**/tests/**',
  '**/test_*.py',
  '**/*_test.py',
  '**/*_test.go'
]

/** Whether `file` (relative, `/`-separated) is a test file: gitignore-like, `*.x` at any depth. */
export function isTestPath(file: string, globs: readonly string[]): boolean {
  return globs.some(glob => minimatch(file, glob, { dot: true, matchBase: true, nocomment: true }))
}

/** The test files among `files`, and the rest. */
export function splitByTestPaths(
  files: readonly string[],
  globs: readonly string[]
): { tests: string[]; others: string[] } {
  const tests = files.filter(file => isTestPath(file, globs))
  return { tests, others: files.filter(file => !tests.includes(file)) }
}

/**
 * The test writer's permission rules: read anything, edit only test files (Claude Code's `Edit`
 * rules cover every tool that writes a file). Tandem also reverts anything else it changes.
 */
export function testWriterTools(globs: readonly string[]): string[] {
  return ['Read', 'Glob', 'Grep', ...globs.map(glob => `Edit(${glob})`)]
}

/** The writer's tools in tests-first: its usual ones, with every test file denied. */
export function testDenyRules(globs: readonly string[]): string[] {
  return globs.map(glob => `Edit(${glob})`)
}

/** The test writer's prompt: tests for the task that fail now, and nothing else. */
export function buildTestWriterPrompt(task: string, globs: readonly string[]): string {
  return [
    'You are working in a git checkout of a repository, in CI, with nobody to answer questions. ' +
      'Another engineer will implement the task below after you; your job is only to write the ' +
      'tests that will prove it is done.',
    '',
    '<task>',
    task.trim(),
    '</task>',
    '',
    'Rules:',
    '- Write or extend tests for the behaviour the task asks for. They must FAIL on the code as it ' +
      'is now (the task is not done yet) and pass once it is done correctly.',
    `- Change only test files: paths matching ${globs.map(glob => `\`${glob}\``).join(', ')}. ` +
      'Any other change is reverted. Do not implement the task.',
    "- Follow the repository's existing test framework and conventions. Do not run git.",
    '',
    'When you have finished, call the StructuredOutput tool once with your report: `summary` (what ' +
      'the tests check) and `changes` (each test file, with why). It ends the session at once.'
  ].join('\n')
}

/** The test writer's one retry: its tests passed on the unchanged code, so they prove nothing. */
export function buildTestsPassedPrompt(verify: VerifyResult): string {
  return [
    `Your tests pass on the unchanged code: \`${verify.command ?? ''}\` exited 0 before anything was ` +
      'implemented, so they prove nothing about the task. Change them so that they fail until the ' +
      'task is done (check behaviour the task adds, not behaviour that exists).',
    ...(verify.tail ? ['', 'The end of its output:', fenced(verify.tail, 'text')] : []),
    '',
    'Then call the StructuredOutput tool again with your report.'
  ].join('\n')
}

/** The writer's task in tests-first: the task, and the tests it must make pass untouched. */
export function buildGreenTask(
  task: string,
  testFiles: readonly string[],
  verifyCommand: string
): string {
  return [
    task.trim(),
    '',
    `Tests for this task have been written: ${testFiles.map(file => `\`${file}\``).join(', ')}. ` +
      `They fail now. Make them pass — \`${verifyCommand}\` is the check — by changing the code, ` +
      'never the tests: a change to a test file is refused.'
  ].join('\n')
}

/** What the writer is told when it changed test files anyway (they were put back). */
export function buildTestsTouchedPrompt(files: readonly string[]): string {
  return [
    `You changed test files (${files.map(file => `\`${file}\``).join(', ')}). Tests are not yours ` +
      'to change: your changes to them were undone. Make the tests pass by changing the code only.',
    '',
    'Then call the StructuredOutput tool again with your report.'
  ].join('\n')
}

/** How the red step ended, for the rounds table and the outputs. */
export type RedOutcome =
  | { status: 'red'; tests: string[]; retried: boolean; verify: VerifyResult }
  /** The tests passed on the base twice (or the check could not run): nothing to build on. */
  | { status: 'passing'; tests: string[]; verify: VerifyResult }
  | { status: 'no-tests'; reason: string }

/** Whether the check's result shows the tests fail on the base, as they must. */
export function isRed(verify: VerifyResult): boolean {
  // A check that timed out or could not start says nothing about the tests.
  return verify.status === 'failed' && !verify.timedOut && typeof verify.exitCode === 'number'
}

/** Why pair stopped before the first review in tests-first, from how far the steps got. */
export function testsFirstStop(red: RedOutcome | undefined, touchedTimes: number): PairStop {
  if (red?.status === 'no-tests') return 'no-tests'
  if (red?.status === 'passing') return 'tests-pass'
  // Put back twice: the second time is the refusal.
  return touchedTimes >= 2 ? 'tests-touched' : 'writer-failed'
}
