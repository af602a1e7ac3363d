// Pair mode with tests-first end to end, through dist/index.js with the real CLI: a test writer
// writes tests that really fail on the base (verify-command runs them), the writer makes them
// pass without touching them, then the review loop.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { runAction, type ActionRun } from '../harness/action.js'
import {
  startScriptedApi,
  type RecordedRequest,
  type Reply,
  type ScriptedApi
} from '../harness/anthropic-api.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

const TOKEN = 'ghs_testsFirstE2eToken0123456789abcdefAB'
const OWNER = 'acme'
const REPO = 'widgets'
const BRANCH = 'tandem/sum'
const TASK = 'Make sum(a, b) in src/sum.js return the sum of its arguments'
const CHECK = 'node test/sum.test.js'
const TEST_FILE = 'test/sum.test.js'

const RED_TEST =
  "const assert = require('node:assert')\nconst { sum } = require('../src/sum.js')\n" +
  "assert.strictEqual(sum(2, 3), 5, 'sum(2, 3)')\nconsole.log('sum ok')\n"
// Checks what is already there: passes on the base.
const GREEN_ON_BASE =
  "const assert = require('node:assert')\nconst { sum } = require('../src/sum.js')\n" +
  "assert.strictEqual(typeof sum, 'function')\nconsole.log('sum is a function')\n"
const IMPLEMENTATION = 'exports.sum = (a, b) => a + b\n'
// Words only the test writer's report holds: the writer must never be shown them.
const TEST_WRITER_SUMMARY = 'Quokka-reasoning: sum(2, 3) must be 5'

const TEST_WRITER_MARK = 'your job is only to write the tests'
const SENT_BACK = 'Your tests pass on the unchanged code'
const TOUCHED = 'You changed test files'

let tmp: TempDir
let repo: TestRepo
let gh: FakeGitHub
let api: ScriptedApi | undefined

beforeEach(async () => {
  tmp = makeTempDir('tandem-tests-first-e2e')
  repo = createTestRepo(path.join(tmp.path, 'git'), {
    'README.md': '# Widgets\n',
    'src/sum.js': 'exports.sum = (a, b) => 0\n'
  })
  gh = await startFakeGitHub({ token: TOKEN })
  gh.seedRepo({ owner: OWNER, repo: REPO, gitDir: repo.remote })
})

afterEach(async () => {
  gh.assertClean()
  if (api) {
    for (const req of api.requests) expect(req.rawBody).not.toContain(TOKEN)
    api.assertExpectations()
    await api.close()
  }
  api = undefined
  await gh.close()
  tmp.cleanup()
})

const file = (rel: string) => path.join(repo.workspace, rel)
const messagesOf = (req: RecordedRequest) =>
  (req.body?.messages ?? []) as { role: string; content: unknown }[]
const firstText = (req: RecordedRequest) => JSON.stringify(messagesOf(req)[0]?.content ?? '')

/** Assistant turns since the last user message holding `marker` (a resumed session carries the earlier ones). */
function turnAfter(req: RecordedRequest, marker: string): number {
  const messages = messagesOf(req)
  let start = -1
  messages.forEach((m, i) => {
    if (m.role === 'user' && JSON.stringify(m.content).includes(marker)) start = i
  })
  return messages.slice(start + 1).filter(m => m.role === 'assistant').length
}

const writeFile = (rel: string, content: string): Reply => ({
  toolUses: [{ name: 'Write', input: { file_path: file(rel), content } }]
})
const report = (summary: string, rel: string) => ({
  summary,
  changes: [{ path: rel, why: summary }]
})

/**
 * One scripted model for every session, told apart by prompt: the test writer (each try a list
 * of replies, the second one answering the sent-back prompt), the writer (each session, the
 * later ones answering the touched-tests prompt), and the reviewer.
 */
function script(s: { tests: Reply[][]; writer: Reply[][] }): (req: RecordedRequest) => Reply {
  return req => {
    const first = firstText(req)
    if (first.includes('You are reviewing pull request')) {
      return { structuredOutput: { summary: 'clean', verdict: 'approve', findings: [] } }
    }
    const all = JSON.stringify(messagesOf(req))
    if (first.includes(TEST_WRITER_MARK)) {
      const retried = all.includes(SENT_BACK)
      const replies = s.tests[retried ? 1 : 0]!
      return replies[turnAfter(req, retried ? SENT_BACK : TEST_WRITER_MARK)] ?? { text: 'done' }
    }
    const times = all.split(TOUCHED).length - 1
    return s.writer[times]?.[turnAfter(req, times > 0 ? TOUCHED : '<task>')] ?? { text: 'done' }
  }
}

const testWriterTry = (content: string): Reply[] => [
  writeFile(TEST_FILE, content),
  { structuredOutput: report(TEST_WRITER_SUMMARY, TEST_FILE) }
]
const implement = (): Reply[] => [
  // The CLI writes over an existing file only once it has been read.
  { toolUses: [{ name: 'Read', input: { file_path: file('src/sum.js') } }] },
  writeFile('src/sum.js', IMPLEMENTATION),
  { structuredOutput: report('Implement sum', 'src/sum.js') }
]

async function pair(
  replies: ReturnType<typeof script>,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  api = await startScriptedApi(replies)
  return runAction({
    api,
    home: path.join(tmp.path, 'home'),
    workspace: repo.workspace,
    inputs: {
      mode: 'pair',
      prompt: TASK,
      branch: BRANCH,
      'github-token': TOKEN,
      'tests-first': 'true',
      'verify-command': CHECK,
      ...inputs
    },
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_GRAPHQL_URL: gh.graphqlUrl,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_TOKEN: TOKEN
    },
    timeoutMs: 120_000
  })
}

const remoteFile = (rel: string) => git(repo.remote, ['show', `${BRANCH}:${rel}`])
const sessionsOf = (marker: (req: RecordedRequest) => boolean) => api!.requests.filter(marker)
const isTestWriter = (req: RecordedRequest) => firstText(req).includes(TEST_WRITER_MARK)
const isWriter = (req: RecordedRequest) =>
  !isTestWriter(req) && !firstText(req).includes('You are reviewing pull request')

describe('pair with tests-first through dist/index.js', () => {
  it('red on the base, green from the writer, then the review approves', async () => {
    const run = await pair(script({ tests: [testWriterTry(RED_TEST)], writer: [implement()] }))
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({
      conclusion: 'success',
      rounds: '1',
      'verify-result': 'passed'
    })
    // One commit holds the tests and the implementation.
    expect(remoteFile(TEST_FILE)).toBe(RED_TEST.trimEnd())
    expect(remoteFile('src/sum.js')).toBe(IMPLEMENTATION.trimEnd())
    expect(gh.pullRequest(OWNER, REPO, 1)).toBeDefined()

    const testWriter = sessionsOf(isTestWriter)
    // Its tools: read anything, edit test files only; no shell.
    expect(testWriter[0]!.body?.tools?.map((t: { name: string }) => t.name).sort()).toEqual(
      ['Edit', 'Glob', 'Grep', 'Read', 'StructuredOutput', 'Write'].sort()
    )
    const writer = sessionsOf(isWriter)
    // The writer is told which tests to make pass, not how the test writer reasoned.
    expect(writer[0]!.rawBody).toContain(`Tests for this task have been written: \`${TEST_FILE}\``)
    expect(writer[0]!.rawBody).toContain(`\`${CHECK}\` is the check`)
    for (const req of writer) expect(req.rawBody).not.toContain('Quokka-reasoning')
    // The check really ran on the base and failed; then passed on the writer's change.
    expect(run.log).toContain('AssertionError')
    expect(run.summary).toMatch(/\| red \(tests\) \|[^\n]*\| 🔴 failed \| 0 \|/)
    expect(run.summary).toMatch(/\| green \(write\) \|[^\n]*\| 🟢 passed \| 1 \|/)
    expect(run.summary).toContain('### Tandem pair: ✅ converged')
  })

  it('a test writer whose tests already pass is sent back once with the output', async () => {
    const run = await pair(
      script({
        tests: [testWriterTry(GREEN_ON_BASE), testWriterTry(RED_TEST)],
        writer: [implement()]
      })
    )
    expect(run.exitCode).toBe(0)
    expect(run.outputs.conclusion).toBe('success')
    const resumed = sessionsOf(isTestWriter).find(req => req.rawBody.includes(SENT_BACK))!
    // The same session, resumed: its first prompt is there, and the check's output.
    expect(resumed.rawBody).toContain(TEST_WRITER_MARK)
    expect(resumed.rawBody).toContain(`\`${CHECK}\` exited 0 before anything was implemented`)
    expect(resumed.rawBody).toContain('sum is a function')
    expect(remoteFile(TEST_FILE)).toBe(RED_TEST.trimEnd())
    expect(run.summary).toMatch(/\| red 1 \(tests\) \|[^\n]*\| 🟢 passed — must fail \| 0 \|/)
    expect(run.summary).toMatch(/\| red 2 \(tests\) \|[^\n]*\| 🔴 failed \| 0 \|/)
    expect(run.summary).toMatch(/\| green \(write\) \|[^\n]*\| 🟢 passed \| 1 \|/)
  })

  it('tests that pass on the base twice: nothing is written by the writer or pushed', async () => {
    const run = await pair(
      script({ tests: [testWriterTry(GREEN_ON_BASE), testWriterTry(GREEN_ON_BASE)], writer: [] })
    )
    expect([run.exitCode, run.outputs.conclusion]).toEqual([1, 'failure'])
    expect(run.log).toContain("The test writer's tests pass on the unchanged code")
    expect(sessionsOf(isWriter)).toHaveLength(0)
    expect(git(repo.remote, ['branch', '--list', BRANCH])).toBe('')
    expect(gh.pullRequest(OWNER, REPO, 1)).toBeUndefined()
    expect(run.summary).toContain('the tests pass on the unchanged code, so they prove nothing')
    expect(run.summary).toMatch(/\| red 2 \(tests\) \|[^\n]*\| 🟢 passed — must fail \|/)
  })

  it('a writer that edits the test is put back and told; editing it again is refused', async () => {
    const cheat = (n: number): Reply[] => [
      // Write (and a shell redirect) to a test file is denied by the CLI; a program that
      // writes it is not, so Tandem's own check must catch it.
      writeFile(TEST_FILE, `console.log('cheat ${n}')\n`),
      {
        toolUses: [
          {
            name: 'Bash',
            input: {
              command: `node -e "require('fs').writeFileSync('${TEST_FILE}', 'console.log(${n})')"`
            }
          }
        ]
      },
      { structuredOutput: report('Implement sum', 'src/sum.js') }
    ]
    const run = await pair(
      script({ tests: [testWriterTry(RED_TEST)], writer: [cheat(1), cheat(2)] }),
      {
        'allowed-tools': 'Read,Edit,Write,Glob,Grep,Bash'
      }
    )
    expect([run.exitCode, run.outputs.conclusion]).toEqual([1, 'failure'])
    // The Write on the test file was refused by the CLI: its tool result says so.
    const writer = sessionsOf(isWriter)
    expect(JSON.stringify(messagesOf(writer[1]!).at(-1))).toContain(
      'denied by your permission settings'
    )
    // Fed back after the first edit, with the file named.
    const fedBack = writer.find(req => req.rawBody.includes(TOUCHED))!
    expect(fedBack.rawBody).toContain(`You changed test files (\`${TEST_FILE}\`)`)
    expect(run.log).toContain(
      `The writer changed the tests again after being told not to (${TEST_FILE})`
    )
    // Nothing pushed, and the test is as the test writer left it.
    expect(git(repo.remote, ['branch', '--list', BRANCH])).toBe('')
    expect(gh.pullRequest(OWNER, REPO, 1)).toBeUndefined()
    expect(readFileSync(file(TEST_FILE), 'utf8')).toBe(RED_TEST)
    expect(run.summary).toContain('the writer changed the tests')
  })
})
