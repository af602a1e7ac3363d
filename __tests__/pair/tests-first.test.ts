import { describe, expect, it } from '@jest/globals'
import {
  buildGreenTask,
  buildTestsPassedPrompt,
  buildTestWriterPrompt,
  DEFAULT_TEST_PATHS,
  isRed,
  isTestPath,
  splitByTestPaths,
  testWriterTools
} from '../../src/pair/tests-first.js'

describe('test paths', () => {
  it('knows the common test layouts by default', () => {
    const files = [
      'src/calc.test.js',
      'lib/util.spec.ts',
      'src/__tests__/a.js',
      'test/calc.js',
      'pkg/tests/x.py',
      'tests/test_calc.py',
      'calc_test.go',
      'src/calc.js',
      'src/testing.js',
      'README.md'
    ]
    expect(splitByTestPaths(files, DEFAULT_TEST_PATHS)).toEqual({
      tests: files.slice(0, 7),
      others: ['src/calc.js', 'src/testing.js', 'README.md']
    })
  })

  it('reads a pattern without a slash at any depth, one with a slash from the root', () => {
    expect(isTestPath('a/b/c.check.js', ['*.check.js'])).toBe(true)
    expect(isTestPath('a/spec/c.js', ['spec/**'])).toBe(false)
    expect(isTestPath('spec/c.js', ['spec/**'])).toBe(true)
    expect(isTestPath('.hidden/x.test.js', DEFAULT_TEST_PATHS)).toBe(true)
  })

  it('gives the test writer edit rules for test files only', () => {
    expect(testWriterTools(['test/**', '*.test.js'])).toEqual([
      'Read',
      'Glob',
      'Grep',
      'Edit(test/**)',
      'Edit(*.test.js)'
    ])
  })
})

describe('prompts', () => {
  it('tells the test writer to write failing tests and nothing else', () => {
    const prompt = buildTestWriterPrompt('Add sum()', ['test/**'])
    expect(prompt).toContain('<task>\nAdd sum()\n</task>')
    expect(prompt).toContain('They must FAIL on the code as it is now')
    expect(prompt).toContain('paths matching `test/**`')
  })

  it('sends back passing tests with the output', () => {
    const prompt = buildTestsPassedPrompt({
      status: 'passed',
      command: 'npm test',
      exitCode: 0,
      tail: '1 passing'
    })
    expect(prompt).toContain('`npm test` exited 0 before anything was implemented')
    expect(prompt).toContain('```text\n1 passing\n```')
  })

  it("gives the writer the task and the tests' names, not the test writer's reasoning", () => {
    expect(buildGreenTask('Add sum()', ['test/sum.test.js'], 'npm test')).toBe(
      'Add sum()\n\nTests for this task have been written: `test/sum.test.js`. They fail now. Make them pass — `npm test` is the check — by changing the code, never the tests: a change to a test file is refused.'
    )
  })

  it('counts only a real failing exit as red', () => {
    expect(isRed({ status: 'failed', exitCode: 1 })).toBe(true)
    expect(isRed({ status: 'failed', exitCode: null, timedOut: true })).toBe(false)
    expect(isRed({ status: 'failed', exitCode: null })).toBe(false)
    expect(isRed({ status: 'passed', exitCode: 0 })).toBe(false)
  })
})
