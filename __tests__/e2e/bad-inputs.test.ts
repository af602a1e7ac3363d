// Bad inputs and hostile model answers through dist/index.js: a refused input fails the step
// before the model server or GitHub hears anything; shell metacharacters in every input that
// reaches a process stay data; huge and schema-bending review answers are published within
// GitHub's limits (the fake refuses bodies over 65,536 characters) and nothing is lost.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BASE_CALC, HEAD_CALC } from './calc-pr.js'
import { runAction, type ActionRun } from '../harness/action.js'
import { startScriptedApi, type Reply, type ScriptedApi } from '../harness/anthropic-api.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { isWrite, startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

const TOKEN = 'ghs_badInputsE2eToken0123456789abcdefAB'
const OWNER = 'acme'
const REPO = 'widgets'
const PR = 7

let tmp: TempDir
let repo: TestRepo
let gh: FakeGitHub
let api: ScriptedApi | undefined
let headSha: string
/** Where every canary would land. */
let canary: string

beforeEach(async () => {
  tmp = makeTempDir('tandem-bad-inputs-e2e')
  canary = path.join(tmp.path, 'canary')
  mkdirSync(canary)
  repo = createTestRepo(path.join(tmp.path, 'git'), {
    'src/calc.ts': BASE_CALC,
    'README.md': '# Widgets\n'
  })
  const baseSha = repo.head()
  repo.checkout('feature', true)
  headSha = repo.commit(
    { 'src/calc.ts': HEAD_CALC, 'src/new.ts': 'export const a = 1\nexport const b = 42\n' },
    'feature'
  )
  repo.checkout('main')
  gh = await startFakeGitHub({ token: TOKEN })
  gh.seedRepo({ owner: OWNER, repo: REPO, gitDir: repo.remote })
  gh.seedPullRequest({
    owner: OWNER,
    repo: REPO,
    number: PR,
    title: 'Compute values from input',
    body: 'A change.',
    author: 'alice',
    headRef: 'feature',
    baseRef: 'main',
    headSha,
    baseSha,
    diff: repo.diff(baseSha, headSha)
  })
  gh.setPermission('alice', 'write')
})

afterEach(async () => {
  try {
    gh.assertClean()
    expect(readdirSync(canary)).toEqual([])
  } finally {
    await api?.close()
    api = undefined
    await gh.close()
    tmp.cleanup()
  }
})

async function action(
  inputs: Record<string, string>,
  script: Reply[] | ((turn: number) => Reply) = []
): Promise<ActionRun> {
  await api?.close()
  api = await startScriptedApi(Array.isArray(script) ? script : (_req, turn) => script(turn))
  const eventPath = path.join(tmp.path, 'event.json')
  writeFileSync(
    eventPath,
    JSON.stringify({
      action: 'synchronize',
      number: PR,
      pull_request: {
        number: PR,
        draft: false,
        state: 'open',
        head: { sha: headSha, ref: 'feature' },
        base: { ref: 'main' },
        user: { login: 'alice', type: 'User' }
      },
      repository: { name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } },
      sender: { login: 'alice', type: 'User' }
    })
  )
  return runAction({
    api,
    home: path.join(tmp.path, 'home'),
    workspace: repo.workspace,
    inputs: { 'github-token': TOKEN, ...inputs },
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_GRAPHQL_URL: gh.graphqlUrl,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_EVENT_NAME: inputs.mode === 'review' ? 'pull_request' : 'workflow_dispatch',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_TOKEN: TOKEN
    }
  })
}

/** The step's failure message, as the runner reads it from `::error::`. */
function failure(run: ActionRun): string {
  const line = run.log.split('\n').find(l => l.startsWith('::error::'))
  return (line ?? '').slice('::error::'.length).replace(/%0A/g, '\n').replace(/%25/g, '%')
}

describe('a refused input', () => {
  // One per class of input: enum, whole number, boolean, fraction with a limit, branch name,
  // shell words, model word, GitHub length limits, secret, NUL-free text is unit-tested only
  // (no environment variable can carry a NUL).
  it.each<[string, Record<string, string>, string]>([
    [
      'enum',
      { mode: 'deploy' },
      `Input 'mode' has value "deploy": expected one of review, write, address, pair, plan, shard, collect, explore, run`
    ],
    [
      'whole number',
      { mode: 'write', prompt: 'p', 'max-turns': '1.5' },
      `Input 'max-turns' has value "1.5": expected a whole number ≥ 1`
    ],
    [
      'boolean',
      { mode: 'write', prompt: 'p', draft: 'yes' },
      `Input 'draft' has value "yes": expected true or false`
    ],
    [
      'timer limit',
      { mode: 'write', prompt: 'p', 'timeout-minutes': '40000' },
      `Input 'timeout-minutes' has value "40000": expected a number greater than 0 and at most 35791 (the longest a timer can wait), such as 5 or 0.5`
    ],
    [
      'branch',
      { mode: 'write', prompt: 'p', base: '../main' },
      `Input 'base' has value "../main": expected a git branch name (it contains '..')`
    ],
    [
      'shell words',
      { mode: 'write', prompt: 'p', 'claude-args': '--verbose; touch pwned' },
      `Input 'claude-args' has value "--verbose; touch pwned": expected command-line words, split like a shell splits them; it contains the shell operator ';': quote it, the arguments never go through a shell`
    ],
    [
      'model',
      { mode: 'write', prompt: 'p', model: 'opus $(id)' },
      `Input 'model' has value "opus $(id)": expected a model name such as claude-sonnet-4-5 or an alias such as opus (one word, not starting with -)`
    ],
    [
      'title limit',
      { mode: 'write', prompt: 'p', 'pr-title': 't'.repeat(300) },
      `Input 'pr-title' has value ${JSON.stringify(`${'t'.repeat(200)}…`)} (300 characters): expected at most 256 characters, GitHub's limit for a title`
    ],
    [
      'secret',
      { mode: 'review', 'github-token': `${TOKEN} x` },
      `Input 'github-token' has a value that is not shown (a secret of ${TOKEN.length + 2} characters): expected a single token without spaces, line breaks or control characters`
    ]
  ])(
    '%s: fails the step before any model request or GitHub write',
    async (_class, inputs, message) => {
      const run = await action(inputs)
      expect(run.exitCode).toBe(1)
      expect(failure(run)).toBe(message)
      expect(api!.requests).toHaveLength(0)
      expect(gh.requests.filter(r => r.method !== 'GET')).toEqual([])
    }
  )
})

describe('shell metacharacters in inputs that reach processes', () => {
  it('stay data: the canaries never run, and each value lands verbatim', async () => {
    const c = canary
    const prompt = `Add a note. $(touch ${c}/prompt) \`touch ${c}/prompt-tick\``
    const message = `Add a note $(touch ${c}/msg)\n\n\`touch ${c}/msg-tick\`; touch ${c}/msg-semi`
    const title = `Note $(touch ${c}/title) \`touch ${c}/title-tick\``
    const branch = `tandem/$(touch\${IFS}${c.slice(1)}/branch)\`id\``
    const model = `claude-$(touch\${IFS}${c}/model)\`id\``
    const system = `$(touch ${c}/claude-args) \`touch ${c}/claude-args-tick\``
    const note = path.join(repo.workspace, 'NOTE.md')
    const run = await action(
      {
        mode: 'write',
        prompt,
        'commit-message': message,
        'pr-title': title,
        'pr-body': `$(touch ${c}/body)`,
        branch,
        model,
        'claude-args': `--append-system-prompt ${JSON.stringify(system).replace(/\$/g, '\\$')}`,
        'allowed-tools': `Write, Bash(touch ${c}/tool $(touch ${c}/tool-subst))`,
        'commit-author': `$(touch ${c}/author) <a@example.com>`,
        labels: '$(touch pwned-label) `id`'
      },
      [
        { toolUses: [{ name: 'Write', input: { file_path: note, content: 'note\n' } }] },
        { structuredOutput: { summary: 'Added a note.', changes: [{ path: 'NOTE.md', why: 'x' }] } }
      ]
    )
    expect([run.exitCode, failure(run)]).toEqual([0, ''])
    expect(run.outputs['pr-operation']).toBe('created')
    // The CLI got the model and the system prompt as the words they were.
    const [first] = api!.mainRequests()
    expect(first!.body.model).toBe(model)
    expect(first!.rawBody).toContain(JSON.stringify(system).slice(1, -1))
    expect(first!.rawBody).toContain(JSON.stringify(prompt).slice(1, -1))
    // The commit, the branch, the author and the pull request hold them verbatim.
    expect(git(repo.remote, ['log', '-1', '--format=%B', `refs/heads/${branch}`])).toBe(
      `${message}\n\nTandem-Write: ${branch}`
    )
    expect(git(repo.remote, ['log', '-1', '--format=%an', `refs/heads/${branch}`])).toBe(
      `$(touch ${c}/author)`
    )
    const pr = gh.pullRequest(OWNER, REPO, Number(run.outputs['pr-number']))!
    expect(pr.title).toBe(title)
    expect(pr.body).toContain(`$(touch ${c}/body)`)
    expect(gh.labels(OWNER, REPO, pr.number)).toEqual(['$(touch pwned-label) `id`'])
    expect(existsSync(note)).toBe(true)
    expect(existsSync(path.join(repo.workspace, 'pwned-label'))).toBe(false)
  })
})

describe('huge', () => {
  it('a 1 MB prompt-file reaches the CLI whole (the runner cannot pass 1 MB in one input)', async () => {
    const big = `Say ok. ${'z'.repeat(1 << 20)}`
    writeFileSync(path.join(repo.workspace, 'big-prompt.md'), big)
    const run = await action({ mode: 'run', 'prompt-file': 'big-prompt.md' }, [{ text: 'ok' }])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.result).toBe('ok')
    expect(api!.mainRequests()).toHaveLength(1)
    expect(api!.mainRequests()[0]!.rawBody).toContain(big)
    expect(run.durationMs).toBeLessThan(20_000)
  })
})

const finding = (over: Record<string, unknown>) => ({
  path: 'src/new.ts',
  line: 1,
  severity: 'minor',
  title: 'A finding',
  body: 'Why.',
  ...over
})

/** What GitHub holds for the PR: review bodies, inline comment bodies, the summary. */
function posted() {
  const reviews = gh.reviews(OWNER, REPO, PR)
  const inline = gh.reviewComments(OWNER, REPO, PR)
  const summaries = gh
    .issueComments(OWNER, REPO, PR)
    .filter(comment => comment.body.includes('tandem:summary'))
  return { reviews, inline, summaries }
}

function expectWithinLimits(): void {
  // Nothing GitHub would refuse was sent: no 4xx, no body over 65,536 characters.
  expect(
    gh.requests.filter(r => r.status >= 400).map(r => `${r.method} ${r.path} ${r.status}`)
  ).toEqual([])
  const { reviews, inline, summaries } = posted()
  for (const body of [...reviews, ...inline, ...summaries].map(item => item.body ?? '')) {
    expect([...body].length).toBeLessThanOrEqual(65_536)
  }
}

describe('a review answer that bends the schema as far as the CLI lets it', () => {
  async function bendTheSchema(bodyChars: number): Promise<void> {
    const long = (c: string) => c.repeat(bodyChars)
    const findings = [
      finding({ title: 'Inline with a long body', body: 'a'.repeat(5000) }),
      finding({
        line: 2,
        title: 'Inline with a long suggestion',
        suggestion: 's'.repeat(5000)
      }),
      finding({
        path: 'src/calc.ts',
        line: 12,
        title: 'Off the diff with a long body',
        body: long('b')
      }),
      finding({ line: 2 ** 53, title: 'Line 2^53' }),
      finding({ line: 1e300, title: 'Line 1e300' }),
      finding({ line: 2, start_line: 1e9, title: 'start_line after line' }),
      finding({ path: '../../etc/passwd', title: 'Dot-dot path' }),
      finding({ path: '/etc/passwd', title: 'Absolute path' }),
      finding({ path: 'src/new.ts\u0000.evil', title: 'NUL in the path' }),
      finding({ path: 'src/new.ts', line: 2, title: '', body: '' }),
      finding({ line: 1, side: 'LEFT', title: 'LEFT on an added file' }),
      finding({ title: 'Extra fields', confidence: 0.9, nested: { a: [1] } })
    ]
    const run = await action({ mode: 'review' }, [
      { structuredOutput: { summary: 'S'.repeat(5000), verdict: 'approve', findings, extra: true } }
    ])
    expect([run.exitCode, failure(run)]).toEqual([0, ''])
    expectWithinLimits()
    const { reviews, inline, summaries } = posted()
    expect(reviews).toHaveLength(1)
    expect(summaries).toHaveLength(1)
    expect(JSON.parse(run.outputs.findings!)).toHaveLength(findings.length)
    // An inline comment names its finding on its first line, a listed one on its list entry;
    // several findings share src/new.ts:1 and :2, so a place alone would not tell them apart.
    const heads = inline.map(c => c.body.split('\n')[0]!)
    const entries = (body: string) => body.split('\n').filter(l => l.startsWith('- **'))
    const [reviewEntries, summaryEntries] = [entries(reviews[0]!.body), entries(summaries[0]!.body)]
    for (const f of findings.filter(f => f.title !== '')) {
      const where = [
        heads.filter(h => h.endsWith(` · ${f.title}`)).length,
        reviewEntries.filter(e => e.includes(` · ${f.title} — `)).length,
        summaryEntries.filter(e => e.includes(` · ${f.title} — `)).length
      ]
      // Inline once and nowhere else, or listed once in the review and once in the summary.
      const once = ['1,0,0', '0,1,1'].includes(where.join())
      expect([f.title, once ? 'once' : where.join()]).toEqual([f.title, 'once'])
    }
    // The finding without a title has nothing to find it by: it is the one more place counted.
    expect(heads.filter(h => h.endsWith(' · '))).toHaveLength(1)
    expect(inline.length + reviewEntries.length).toBe(findings.length)
    expect(summaryEntries).toHaveLength(reviewEntries.length)
    // The model's verdict is not Tandem's: a minor finding stands, so COMMENT, not approve.
    expect(run.outputs.verdict).toBe('comment')
  }

  it('is published within GitHub limits with every finding inline or listed', () =>
    bendTheSchema(5000))

  // One unanchored finding with a 70,000-character body used to fill the review body and the
  // summary, and every unanchored finding listed after it was cut off with the rest.
  it('keeps listing every finding when one body alone is over the limit', () =>
    bendTheSchema(70_000))

  it('with request_changes and no findings is an approval of nothing, not a blank review', async () => {
    const run = await action({ mode: 'review' }, [
      { structuredOutput: { summary: '', verdict: 'request_changes', findings: [] } }
    ])
    expect([run.exitCode, failure(run)]).toEqual([0, ''])
    const { reviews, summaries } = posted()
    expect(reviews.filter(r => r.state === 'CHANGES_REQUESTED')).toEqual([])
    expect(summaries).toHaveLength(1)
    expect(run.outputs).toMatchObject({ verdict: 'approve', 'findings-count': '0' })
  })

  it('that the CLI refuses (a string line) is a failed review: nothing is posted', async () => {
    const run = await action({ mode: 'review' }, () => ({
      structuredOutput: { summary: 's', verdict: 'comment', findings: [finding({ line: '5' })] }
    }))
    expect(run.exitCode).toBe(1)
    expect(failure(run)).toMatch(/^The reviewer session ended with 'failure': /)
    expect(api!.mainRequests()).toHaveLength(5)
    expect(gh.requests.filter(isWrite)).toEqual([])
    expect(posted().summaries).toEqual([])
  })
})

describe('a huge review answer', () => {
  // The CLI's stdout is a file: through a pipe the CLI (2.1.197) exits with what the pipe has not
  // taken yet unwritten, and answers from ~120 KB on lost their result event to a busy reader.
  it.each([
    [
      '10,000 findings',
      { summary: 'Many.' },
      [],
      Array.from({ length: 10_000 }, (_, i) =>
        finding({ line: (i % 2) + 1, title: `Finding number ${i}`, body: `Body ${i}` })
      )
    ],
    [
      'a 10 MB finding body',
      { summary: 'Many.' },
      [],
      [finding({ body: 'm'.repeat(10 * 1024 * 1024) })]
    ],
    [
      '200 KB: two 70,000-character bodies off the diff and a 70,000-character summary',
      { summary: 'S'.repeat(70_000) },
      ['First long', 'Second long', 'Short after them'],
      [
        finding({ path: 'src/calc.ts', line: 12, title: 'First long', body: 'x'.repeat(70_000) }),
        finding({ path: 'src/calc.ts', line: 13, title: 'Second long', body: 'y'.repeat(70_000) }),
        finding({ path: 'src/calc.ts', line: 14, title: 'Short after them' })
      ]
    ]
  ])(
    '%s: bounded time, within limits, published',
    async (_name, { summary }, offDiff, findings) => {
      const started = Date.now()
      const run = await action({ mode: 'review' }, () => ({
        structuredOutput: { summary, verdict: 'comment', findings }
      }))
      const seconds = (Date.now() - started) / 1000
      expect(seconds).toBeLessThan(30)
      expect([run.exitCode, failure(run)]).toEqual([0, ''])
      expectWithinLimits()
      const { reviews, inline, summaries } = posted()
      expect([reviews.length, summaries.length]).toEqual([1, 1])
      expect(JSON.parse(run.outputs.findings!)).toEqual(findings)
      expect(run.outputs['findings-count']).toBe(String(findings.length))
      expect(inline.length).toBe(Math.min(findings.filter(f => f.path === 'src/new.ts').length, 30))
      // Each finding off the diff is named in both the review body and the summary.
      expect(findings.filter(f => f.path !== 'src/new.ts').map(f => f.title)).toEqual(offDiff)
      for (const title of offDiff) {
        expect([title, reviews[0]!.body.includes(title)]).toEqual([title, true])
        expect([title, summaries[0]!.body.includes(title)]).toEqual([title, true])
      }
    }
  )
})
