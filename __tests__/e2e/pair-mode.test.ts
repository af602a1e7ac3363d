// Pair mode end to end: write → review → address → review … through dist/index.js, with the
// real CLI (whose writer really edits files), the scripted API, the fake GitHub following a
// real bare remote, and a real checkout.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import path from 'node:path'
import { runAction, type ActionRun } from '../harness/action.js'
import {
  startScriptedApi,
  type Expectation,
  type RecordedRequest,
  type Reply,
  type ScriptedApi
} from '../harness/anthropic-api.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

const TOKEN = 'ghs_pairE2eToken0123456789abcdefABCDEF'
const OWNER = 'acme'
const REPO = 'widgets'
const BRANCH = 'tandem/parse'

let tmp: TempDir
let repo: TestRepo
let gh: FakeGitHub
let api: ScriptedApi | undefined

beforeEach(async () => {
  tmp = makeTempDir('tandem-pair-e2e')
  repo = createTestRepo(path.join(tmp.path, 'git'), { 'README.md': '# Widgets\n' })
  gh = await startFakeGitHub({ token: TOKEN })
  gh.seedRepo({ owner: OWNER, repo: REPO, gitDir: repo.remote })
})

afterEach(async () => {
  gh.assertClean()
  if (api) {
    for (const req of api.requests) expect(req.rawBody).not.toContain(TOKEN)
    // Every session was shown what its scripted replies expected.
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

/** Turns counted from the last user message that contains `marker` (a resumed session carries earlier ones). */
function turnAfter(req: RecordedRequest, marker: string): number {
  const messages = messagesOf(req)
  let start = -1
  messages.forEach((m, i) => {
    if (m.role === 'user' && JSON.stringify(m.content).includes(marker)) start = i
  })
  return messages.slice(start + 1).filter(m => m.role === 'assistant').length
}

const finding = (title: string) => ({
  path: 'src/parse.ts',
  line: 1,
  severity: 'major',
  title,
  body: 'eval runs arbitrary code.'
})

/**
 * One scripted model for every session of the run, told apart by their prompts: the writer
 * (write mode), the reviewer of round N, and the writer addressing round N's review.
 */
function pairScript(script: {
  write: Reply[]
  reviews: unknown[]
  /** What the reviewer of round N (index N - 1) must be shown. */
  reviewerSees?: Expectation[]
  address: (round: number, threadIds: string[]) => Reply[]
}): (req: RecordedRequest) => Reply {
  let reviews = 0
  let addresses = 0
  return req => {
    const first = JSON.stringify(messagesOf(req)[0]?.content ?? '')
    if (first.includes('You are reviewing pull request')) {
      if (turnAfter(req, 'You are reviewing pull request') === 0) reviews++
      return {
        structuredOutput: script.reviews[reviews - 1] ?? script.reviews.at(-1),
        expect: script.reviewerSees?.[reviews - 1]
      }
    }
    const turn = turnAfter(req, '## Review threads')
    if (JSON.stringify(messagesOf(req)).includes('## Review threads')) {
      if (turn === 0) addresses++
      const open = gh
        .threads(OWNER, REPO, 1)
        .filter(t => !t.isResolved)
        .map(t => t.id)
      return script.address(addresses, open)[turn] ?? { text: 'done' }
    }
    const writeTurn = messagesOf(req).filter(m => m.role === 'assistant').length
    return script.write[writeTurn] ?? { text: 'done' }
  }
}

const REPORT = { summary: 'Add parse', changes: [{ path: 'src/parse.ts', why: 'new' }] }

const TASK = 'Add a parse function for the config'

function writeReplies(content = 'export const parse = (s: string) => eval(s)\n'): Reply[] {
  return [
    {
      toolUses: [{ name: 'Write', input: { file_path: file('src/parse.ts'), content } }],
      expect: { label: 'writer, first request', contains: [`<task>\n${TASK}\n</task>`] }
    },
    { structuredOutput: REPORT }
  ]
}

function fix(
  content: string,
  ids: string[],
  extra: { path: string; content: string }[] = []
): Reply[] {
  return [
    {
      toolUses: [
        { name: 'Write', input: { file_path: file('src/parse.ts'), content } },
        ...extra.map(e => ({
          name: 'Write',
          input: { file_path: file(e.path), content: e.content }
        }))
      ]
    },
    {
      structuredOutput: {
        threads: ids.map(id => ({ id, status: 'fixed', reply: 'Fixed.' }))
      }
    }
  ]
}

async function pair(
  script: ReturnType<typeof pairScript>,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  api = await startScriptedApi(script)
  return runAction({
    api,
    home: path.join(tmp.path, 'home'),
    workspace: repo.workspace,
    inputs: {
      mode: 'pair',
      prompt: TASK,
      branch: BRANCH,
      'github-token': TOKEN,
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

describe('pair mode through dist/index.js', () => {
  it('converges in two rounds when the second review is clean', async () => {
    const run = await pair(
      pairScript({
        write: writeReplies(),
        reviews: [
          { summary: 'eval', verdict: 'request_changes', findings: [finding('eval of input')] },
          { summary: 'clean', verdict: 'approve', findings: [] }
        ],
        reviewerSees: [
          {
            label: 'reviewer, round 1',
            contains: [
              '### src/parse.ts (added, +1 −0)',
              '      1 +export const parse = (s: string) => eval(s)'
            ],
            // `prompt` is the writer's task in pair mode, never the reviewer's instructions.
            notContains: ["Instructions from the repository's workflow", TASK],
            tools: ['Read', 'Grep', 'Glob', 'StructuredOutput']
          },
          {
            label: 'reviewer, round 2',
            contains: [
              'This is an incremental review',
              '    (1) -export const parse = (s: string) => eval(s)\n' +
                '      1 +export const parse = (s: string) => JSON.parse(s)'
            ],
            // Round 1's thread was answered and resolved: nothing is left open to list.
            notContains: ['Already reported and still open'],
            tools: ['Read', 'Grep', 'Glob', 'StructuredOutput']
          }
        ],
        address: (_round, ids) => {
          const replies = fix('export const parse = (s: string) => JSON.parse(s)\n', ids)
          replies[0]!.expect = {
            label: 'writer addressing round 1',
            contains: [
              `### Thread ${ids[0]}\n\n\`src/parse.ts:1\``,
              '```text\n**🟠 Major** · eval of input\n\neval runs arbitrary code.\n```'
            ]
          }
          return replies
        }
      })
    )
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({
      rounds: '2',
      verdict: 'approve',
      conclusion: 'success',
      'pr-number': '1'
    })
    expect(remoteFile('src/parse.ts')).toContain('JSON.parse(s)')
    // The write step's outputs carry through.
    expect(run.outputs).toMatchObject({ branch: BRANCH, 'pr-operation': 'created' })
    expect(run.outputs['session-id']).toMatch(/^[0-9a-f-]{36}$/)
    // Round 1's thread was answered and resolved; round 2 posted no review.
    const threads = gh.threads(OWNER, REPO, 1)
    expect(threads).toHaveLength(1)
    expect(threads[0]!.isResolved).toBe(true)
    // (GitHub files each thread reply under an empty review of its own.)
    const reviews = gh.reviews(OWNER, REPO, 1).filter(r => r.body !== '')
    expect(reviews).toHaveLength(1)
    // The writer's token opened the PR: GitHub refuses REQUEST_CHANGES there, so it is COMMENT.
    expect(reviews[0]!.state).toBe('COMMENTED')
    expect(run.summary).toContain('### Tandem pair: ✅ converged')
    expect(run.summary).toMatch(/\| 1 \| 0 \| 1 \| 0 \| 0 \| 1 \| request_changes \| none \| 1 \|/)
    expect(run.summary).toMatch(/\| 2 \| 0 \| 0 \| 0 \| 0 \| 0 \| approve \| none \| 0 \|/)
    gh.assertClean()
  })

  it('stops at max-rounds when the review is never clean', async () => {
    const run = await pair(
      pairScript({
        write: writeReplies(),
        reviews: [
          {
            summary: 'still eval',
            verdict: 'request_changes',
            findings: [finding('eval of input')]
          }
        ],
        address: (round, ids) => {
          const replies = fix(`export const parse = (s: string) => eval(s) // try ${round}\n`, ids)
          // Round 2 repeats a finding whose thread round 1 resolved: it comes back as feedback.
          if (round === 2) {
            replies[0]!.expect = {
              label: 'writer addressing round 2',
              contains: [
                'The reviewer also reports these, which have no open thread:\n' +
                  '- src/parse.ts:1 [major] eval of input — eval runs arbitrary code.'
              ]
            }
          }
          return replies
        }
      }),
      { 'max-rounds': '3' }
    )
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({
      rounds: '3',
      verdict: 'request_changes',
      conclusion: 'failure'
    })
    expect(run.log).toContain(
      '::warning::Pair stopped without converging (max-rounds) after 3 review round(s)'
    )
    // An address round ran between each two reviews — the second one although the repeated
    // finding's thread was resolved by the first: it reached the writer as feedback.
    expect(remoteFile('src/parse.ts')).toContain('// try 2')
    const addressing = api!.requests.filter(req => req.rawBody.includes('## Review threads'))
    expect(addressing.at(-1)!.rawBody).toContain('which have no open thread')
    expect(run.summary).toContain('stopped at max-rounds')
    gh.assertClean()
  })

  it('pair-budget-usd bounds every session together: the loop stops when it is spent', async () => {
    const script = pairScript({
      write: writeReplies(),
      reviews: [
        { summary: 'still eval', verdict: 'request_changes', findings: [finding('eval of input')] }
      ],
      address: (round, ids) => fix(`export const parse = (s: string) => eval(s) // ${round}\n`, ids)
    })
    // No per-session limit: only pair's budget stops it, and well before max-rounds.
    const run = await pair(script, { 'max-rounds': '5', 'pair-budget-usd': '0.0009' })
    expect(run.outputs.conclusion).toBe('budget')
    // write ($0.0003) + review ($0.0002) + address ($0.00055) reached $0.0009: the second review
    // never started, although max-rounds allowed four more.
    expect(Number(run.outputs['cost-usd'])).toBeCloseTo(0.00105, 6)
    expect(run.outputs.rounds).toBe('1')
    expect(gh.reviews(OWNER, REPO, 1).filter(r => r.body !== '')).toHaveLength(1)
    expect(remoteFile('src/parse.ts')).toContain('// 1')
    expect(run.summary).toContain('the budget is spent')
    gh.assertClean()
  })

  it('feeds a failing verify-command back to the writer; the next round makes it pass', async () => {
    const CHECK =
      'echo "checking 1 file"; test -f CHANGELOG.md || { echo "CHANGELOG.md is missing" >&2; exit 1; }'
    const run = await pair(
      pairScript({
        write: writeReplies('export const parse = (s: string) => JSON.parse(s)\n'),
        reviews: [{ summary: 'clean', verdict: 'approve', findings: [] }],
        address: () => [
          {
            toolUses: [
              { name: 'Write', input: { file_path: file('CHANGELOG.md'), content: '- parse\n' } }
            ],
            expect: {
              label: 'writer after the failed check',
              contains: [
                `Also fix this:\n\`\`\`text\nThe check \`${CHECK}\` failed (exit 1). Make it pass.\n\n` +
                  'The end of its output:\nchecking 1 file\nCHANGELOG.md is missing\n```'
              ]
            }
          },
          { structuredOutput: { threads: [] } }
        ]
      }),
      { 'verify-command': CHECK }
    )
    expect(run.exitCode).toBe(0)
    expect(run.outputs).toMatchObject({
      rounds: '2',
      'verify-result': 'passed',
      conclusion: 'success'
    })
    expect(remoteFile('CHANGELOG.md')).toBe('- parse')
    // The writer was told about the failing check.
    const addressPrompt = api!.requests.find(req => req.rawBody.includes('## Review threads'))!
    expect(addressPrompt.rawBody).toContain('test -f CHANGELOG.md')
    expect(addressPrompt.rawBody).toContain('failed')
    expect(run.summary).toMatch(/\| 1 \|[^\n]*\| failed \| 1 \|/)
    expect(run.summary).toMatch(/\| 2 \|[^\n]*\| passed \| 0 \|/)
    gh.assertClean()
  })

  it('a bot-caused event starts nothing', async () => {
    api = await startScriptedApi([])
    const eventPath = path.join(tmp.path, 'event.json')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(
      eventPath,
      JSON.stringify({ sender: { login: 'github-actions[bot]', type: 'Bot' } })
    )
    const run = await runAction({
      api,
      home: path.join(tmp.path, 'home'),
      workspace: repo.workspace,
      inputs: { mode: 'pair', prompt: 'x', 'github-token': TOKEN },
      env: {
        GITHUB_API_URL: gh.url,
        GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: eventPath
      }
    })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.conclusion).toBe('skipped')
    expect(api.requests).toHaveLength(0)
  })
})
