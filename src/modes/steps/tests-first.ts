/**
 * Pair's tests-first step: a test writer of its own writes tests that must fail on the base,
 * then the writer makes them pass without touching them. Plugged into the write as its hooks.
 */
import * as core from '@actions/core'
import { runAgent, sessionFailure, type Agent } from '../../agent/launch.js'
import type { SessionReport } from '../../agent/report.js'
import { entryPaths, statusEntries } from '../../git/branch.js'
import { pathsChangedBetween, repoTop, restorePaths, treeWithPaths } from '../../git/snapshot.js'
import type { Inputs } from '../../inputs.js'
import {
  buildGreenTask,
  buildTestWriterPrompt,
  buildTestsPassedPrompt,
  buildTestsTouchedPrompt,
  isRed,
  isTestPath,
  splitByTestPaths,
  testDenyRules,
  testWriterTools,
  type RedOutcome
} from '../../pair/tests-first.js'
import { WRITER_REPORT_SCHEMA } from '../../write/report.js'
import { verifyCheckout, type VerifyResult } from '../../write/verify.js'
import type { WriteHooks } from './write-changes.js'

/** What tests-first did, for the rounds table and the outputs; filled in as the steps run. */
export interface TestsFirstRecord {
  /** Each run of the test writer with the check that followed it. */
  attempts: { verify: VerifyResult; costUsd: number }[]
  red?: RedOutcome
  /** The test files the writer changed and that were put back, per writer session. */
  touched: string[][]
  costUsd: number
}

// The test writer edits files and nothing else: no shell, no web, no agents of its own.
const TEST_WRITER_BUILTINS = ['Read', 'Glob', 'Grep', 'Edit', 'Write']

/**
 * The write's hooks for tests-first: before the writer, the red step (tests that fail on the
 * base, the test writer sent back once when they pass); after it, the tests as the test writer
 * left them, or the write refused. `agentFor` gives the agent for what has been spent so far.
 */
export function testsFirstHooks(
  inputs: Inputs & { verifyCommand: string },
  agentFor: (spentUsd: number) => Agent,
  redact: (text: string) => string
): { hooks: WriteHooks; record: TestsFirstRecord } {
  const record: TestsFirstRecord = { attempts: [], touched: [], costUsd: 0 }
  const globs = inputs.testPaths
  const task = inputs.prompt ?? ''
  // Set by the red step: the repository's top level and the tree with the tests in it.
  let top = ''
  let tests = ''
  let testFiles: string[] = []

  /** The test files that differ from the tree the red step left. */
  const touchedTests = async (): Promise<string[]> => {
    const now = (await changedPaths(top)).filter(file => isTestPath(file, globs))
    const candidates = [...new Set([...testFiles, ...now])]
    return pathsChangedBetween(top, tests, await treeWithPaths(top, candidates, tests))
  }

  const hooks: WriteHooks = {
    async beforeWriter() {
      top = await repoTop(inputs.workingDirectory)
      const red = await redStep(top)
      record.red = red
      if (red.status === 'no-tests') return { failure: red.reason }
      if (red.status === 'passing') {
        return {
          failure:
            red.verify.status === 'passed'
              ? `The test writer's tests pass on the unchanged code (\`${inputs.verifyCommand}\` ` +
                'exited 0), twice: they prove nothing about the task'
              : `\`${inputs.verifyCommand}\` could not run the test writer's tests ` +
                `(${red.verify.timedOut ? 'it timed out' : 'it did not start'})`
        }
      }
      testFiles = red.tests
      tests = await treeWithPaths(top, await changedPaths(top))
      // What the test writer spent is not the writer's to spend again.
      const green = agentFor(record.costUsd)
      return {
        task: buildGreenTask(task, red.tests, inputs.verifyCommand),
        writer: withTestsDenied(green, globs)
      }
    },

    async afterWriter(session, resume) {
      let current = session
      for (let attempt = 1; ; attempt++) {
        const touched = await touchedTests()
        if (touched.length === 0) return { session: current }
        record.touched.push(touched)
        await restorePaths(top, tests, touched)
        const list = touched.join(', ')
        if (attempt === 2) {
          return {
            session: current,
            failure: `The writer changed the tests again after being told not to (${list})`
          }
        }
        core.warning(`The writer changed test files (${list}): they were put back`)
        const next = await resume(buildTestsTouchedPrompt(touched))
        current = { ...next, costUsd: current.costUsd + next.costUsd }
        if (next.conclusion !== 'success') {
          return { session: current, failure: sessionFailure('writer', next) }
        }
      }
    }
  }

  /** The test writer, its changes outside test-paths undone, and the check that must fail. */
  async function redStep(top: string): Promise<RedOutcome> {
    const base = await treeWithPaths(top, await changedPaths(top))
    let written: string[] = []
    let sessionId: string | undefined
    for (let attempt = 1; attempt <= 2; attempt++) {
      const last = record.attempts.at(-1)?.verify
      const session = await runTestWriter(
        agentFor(record.costUsd),
        globs,
        last ? buildTestsPassedPrompt(last) : buildTestWriterPrompt(task, globs),
        sessionId
      )
      record.costUsd += session.costUsd
      sessionId = session.sessionId ?? sessionId
      if (session.conclusion !== 'success') {
        return { status: 'no-tests', reason: sessionFailure('test writer', session) }
      }
      const changed = await changedSince(top, base, written)
      const { tests, others } = splitByTestPaths(changed, globs)
      if (others.length > 0) {
        await restorePaths(top, base, others)
        core.warning(
          `The test writer changed files outside test-paths (${others.join(', ')}): they were undone`
        )
      }
      written = tests
      if (tests.length === 0) {
        return {
          status: 'no-tests',
          reason: `The test writer wrote no tests (no file matching test-paths changed)`
        }
      }
      const verify = await verifyCheckout(inputs.verifyCommand, agentFor(record.costUsd), redact)
      record.attempts.push({ verify, costUsd: session.costUsd })
      if (isRed(verify)) {
        core.info(`The tests fail on the unchanged code, as they must (exit ${verify.exitCode})`)
        return { status: 'red', tests, retried: attempt > 1, verify }
      }
      if (verify.status !== 'passed') return { status: 'passing', tests, verify }
      core.warning(`The test writer's tests pass on the unchanged code (try ${attempt} of 2)`)
    }
    return { status: 'passing', tests: written, verify: record.attempts.at(-1)!.verify }
  }

  return { hooks, record }
}

function runTestWriter(
  agent: Agent,
  globs: readonly string[],
  prompt: string,
  resumeSessionId: string | undefined
): Promise<SessionReport> {
  // A session of its own: the writer never sees its context, only the tests it leaves.
  return runAgent(agent, {
    label: 'test-writer',
    prompt,
    allowedTools: testWriterTools(globs),
    tools: TEST_WRITER_BUILTINS,
    jsonSchema: WRITER_REPORT_SCHEMA,
    structuredOutputOptional: true,
    resumeSessionId
  })
}

/** Every path git status lists, from the top level. */
async function changedPaths(top: string): Promise<string[]> {
  return entryPaths(await statusEntries(top))
}

/** The paths that differ from the tree `base`, `extra` being ones that may have gone back to HEAD. */
async function changedSince(
  top: string,
  base: string,
  extra: readonly string[]
): Promise<string[]> {
  const candidates = new Set([
    ...(await changedPaths(top)),
    ...(await pathsChangedBetween(top, 'HEAD', base)),
    ...extra
  ])
  return pathsChangedBetween(top, base, await treeWithPaths(top, [...candidates], base))
}

/** The writer after tests-first, in every session: the test files are not its to change. */
export function withTestsDenied(agent: Agent, globs: readonly string[]): Agent {
  return { ...agent, disallowedTools: [...agent.disallowedTools, ...testDenyRules(globs)] }
}
