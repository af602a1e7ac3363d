// Twelve inputs, each through dist/index.js with the real CLI, and each checked by what it
// changes: the bytes the scripted model server received, the files on disk, what landed on the
// fake GitHub and in the bare origin — never by a log line that merely names the input.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BASE_CALC, HEAD_CALC } from './calc-pr.js'
import { runAction, type ActionRun } from '../harness/action.js'
import {
  startScriptedApi,
  type RecordedRequest,
  type Script,
  type ScriptedApi
} from '../harness/anthropic-api.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'

const TOKEN = 'ghs_inputsE2eToken0123456789abcdefABCDEF'
const OWNER = 'acme'
const REPO = 'widgets'
const PR = 7

let tmp: TempDir
let api: ScriptedApi | undefined

afterEach(async () => {
  await api?.close()
  api = undefined
})

function expectOk(run: ActionRun): void {
  if (run.exitCode !== 0) throw new Error(`action failed:\n${run.log}\n${run.stderr}`)
}

/** The whole system prompt of a request, its blocks joined. */
function systemPrompt(req: RecordedRequest): string {
  const system = req.body.system as string | { text: string }[]
  return typeof system === 'string' ? system : system.map(block => block.text).join('\n')
}

function offeredTools(req: RecordedRequest): string[] {
  return (req.body.tools as { name: string }[]).map(tool => tool.name)
}

/** The user message that answers the previous turn's tool uses. */
function toolResults(req: RecordedRequest): { is_error?: boolean; content: unknown }[] {
  const last = (req.body.messages as { content: unknown }[]).at(-1)!
  return (Array.isArray(last.content) ? last.content : []).filter(
    (block: { type?: string }) => block.type === 'tool_result'
  )
}

/** Every text block of the first user message: the prompt as the model got it. */
function promptTexts(req: RecordedRequest): string[] {
  const first = (req.body.messages as { content: unknown }[])[0]!
  if (typeof first.content === 'string') return [first.content]
  return (first.content as { type: string; text?: string }[])
    .filter(block => block.type === 'text')
    .map(block => block.text!)
}

// ─── run mode: the session's own inputs ─────────────────────────────────────────────────────

describe('session inputs (run mode)', () => {
  let workspace: string
  let home: string

  beforeEach(() => {
    tmp = makeTempDir('tandem-inputs-run')
    workspace = path.join(tmp.path, 'ws')
    home = path.join(tmp.path, 'home')
    mkdirSync(workspace)
  })

  afterEach(() => tmp.cleanup())

  async function run(script: Script, inputs: Record<string, string>): Promise<ActionRun> {
    api = await startScriptedApi(script)
    return runAction({ api, home, workspace, inputs: { mode: 'run', prompt: 'hi', ...inputs } })
  }

  it('model: every request the CLI sends asks for that model', async () => {
    const result = await run([{ text: 'ok' }], { model: 'claude-sonnet-4-5' })
    expectOk(result)
    const models = api!.mainRequests().map(req => req.body.model as string)
    expect(models).toEqual(['claude-sonnet-4-5'])
  })

  it('claude-args: words split like a shell splits them, quotes kept, nothing expanded', async () => {
    const result = await run([{ text: 'ok' }], {
      'claude-args': `--append-system-prompt "Sign as Tandem Tester; keep $HOME and \`id\`"`
    })
    expectOk(result)
    const [request] = api!.mainRequests()
    // One word with its spaces, `;`, `$HOME` and backticks as written: no shell ever saw it.
    expect(systemPrompt(request!)).toMatch(/\n\nSign as Tandem Tester; keep \$HOME and `id`$/)
    // Without the flag, nothing of it is there (and a Bash the writer lacks is still offered).
    const plain = await run([{ text: 'ok' }], {})
    expectOk(plain)
    expect(systemPrompt(api!.mainRequests()[0]!)).not.toContain('Tandem Tester')
    expect(offeredTools(api!.mainRequests()[0]!)).toContain('Bash')
  })

  it('claude-args: a CLI flag given there takes effect (--max-turns=2 stops a model that never ends)', async () => {
    const result = await run(() => ({ toolUses: [{ name: 'Glob', input: { pattern: '*' } }] }), {
      'allowed-tools': 'Glob',
      'claude-args': '--max-turns=2'
    })
    expect([result.exitCode, result.outputs.conclusion]).toEqual([1, 'max-turns'])
    expect(api!.mainRequests()).toHaveLength(2)
  })

  it('disallowed-tools: a denied tool is not offered; a denied path is refused, the rest written', async () => {
    const result = await run(
      [
        {
          toolUses: [
            {
              name: 'Write',
              input: { file_path: path.join(workspace, 'ok.txt'), content: 'ok\n' }
            },
            {
              name: 'Write',
              input: { file_path: path.join(workspace, 'secret', 'key.txt'), content: 'no\n' }
            }
          ]
        },
        { text: 'done' }
      ],
      { 'disallowed-tools': 'Bash\nEdit(secret/**)' }
    )
    expectOk(result)
    const [first, second] = api!.mainRequests()
    expect(offeredTools(first!)).not.toContain('Bash')
    expect(offeredTools(first!)).toContain('Write')
    expect(toolResults(second!)).toEqual([
      expect.objectContaining({ content: expect.stringContaining('File created successfully') }),
      expect.objectContaining({
        is_error: true,
        content:
          '<tool_use_error>File is in a directory that is denied by your permission settings.</tool_use_error>'
      })
    ])
    expect(readFileSync(path.join(workspace, 'ok.txt'), 'utf8')).toBe('ok\n')
    expect(existsSync(path.join(workspace, 'secret', 'key.txt'))).toBe(false)
  })

  it('working-directory: the session runs there; a relative write lands under it', async () => {
    mkdirSync(path.join(workspace, 'pkg', 'app'), { recursive: true })
    const result = await run(
      [
        { toolUses: [{ name: 'Write', input: { file_path: 'landed.txt', content: 'here\n' } }] },
        { text: 'done' }
      ],
      { 'working-directory': 'pkg/app' }
    )
    expectOk(result)
    const dir = path.join(workspace, 'pkg', 'app')
    expect(systemPrompt(api!.mainRequests()[0]!)).toContain(
      ` - Primary working directory: ${dir}\n`
    )
    expect(readFileSync(path.join(dir, 'landed.txt'), 'utf8')).toBe('here\n')
    expect(existsSync(path.join(workspace, 'landed.txt'))).toBe(false)
  })

  it('prompt-file: its text is the prompt; a missing file fails before any request', async () => {
    const task = 'Rename greet to welcome.\nTouch nothing else; keep $HOME literal.\n'
    mkdirSync(path.join(workspace, 'prompts'))
    writeFileSync(path.join(workspace, 'prompts', 'task.md'), task)
    api = await startScriptedApi([{ text: 'ok' }])
    const result = await runAction({
      api,
      home,
      workspace,
      inputs: { mode: 'run', 'prompt-file': 'prompts/task.md' }
    })
    expectOk(result)
    expect(promptTexts(api.mainRequests()[0]!)).toContain(task)

    await api.close()
    api = await startScriptedApi([{ text: 'ok' }])
    const missing = await runAction({
      api,
      home,
      workspace,
      inputs: { mode: 'run', 'prompt-file': 'prompts/missing.md' }
    })
    expect(missing.exitCode).toBe(1)
    expect(missing.log).toContain(
      `::error::Input 'prompt-file' has value "prompts/missing.md": expected an existing file (${path.join(workspace, 'prompts', 'missing.md')} is not one)`
    )
    expect(api.requests).toEqual([])
  })
})

// ─── review mode ────────────────────────────────────────────────────────────────────────────

describe('review inputs', () => {
  let repo: TestRepo
  let gh: FakeGitHub
  let baseSha: string
  let headSha: string

  beforeEach(async () => {
    tmp = makeTempDir('tandem-inputs-review')
    repo = createTestRepo(path.join(tmp.path, 'git'), { 'src/calc.ts': BASE_CALC })
    baseSha = repo.head()
    repo.checkout('feature', true)
    headSha = repo.commit(
      { 'src/calc.ts': HEAD_CALC, 'src/new.ts': 'export const a = 1\nexport const b = 42\n' },
      'compute from input'
    )
    gh = await startFakeGitHub({ token: TOKEN })
    gh.seedRepo({ owner: OWNER, repo: REPO })
    gh.setPermission('alice', 'write')
    seedPullRequest(PR)
  })

  afterEach(async () => {
    gh.assertClean()
    await gh.close()
    tmp.cleanup()
  })

  /** A pull request of the feature branch; a second number is a PR with no review history. */
  function seedPullRequest(number: number): void {
    gh.seedPullRequest({
      owner: OWNER,
      repo: REPO,
      number,
      title: 'Compute values from input',
      author: 'alice',
      headRef: 'feature',
      baseRef: 'main',
      headSha,
      baseSha,
      diff: repo.diff(baseSha, headSha)
    })
  }

  const finding = (line: number, severity: string, title: string, file = 'src/calc.ts') => ({
    path: file,
    line,
    severity,
    title,
    body: `${title}, in detail.`
  })
  const EVAL = finding(5, 'critical', 'eval of user input')
  const DIVISION = finding(20, 'major', 'Division by zero')
  const NAMING = finding(1, 'minor', 'Name a', 'src/new.ts')
  const MAGIC = finding(2, 'nit', 'What is 42', 'src/new.ts')

  async function review(
    findings: object[],
    inputs: Record<string, string> = {},
    pr = PR
  ): Promise<ActionRun> {
    await api?.close()
    api = await startScriptedApi([
      { structuredOutput: { summary: 'Reviewed.', verdict: 'approve', findings } }
    ])
    const eventPath = path.join(tmp.path, 'event.json')
    writeFileSync(
      eventPath,
      JSON.stringify({
        action: 'synchronize',
        number: pr,
        pull_request: {
          number: pr,
          state: 'open',
          head: { sha: headSha, ref: 'feature' },
          base: { ref: 'main' },
          user: { login: 'alice', type: 'User' }
        },
        repository: { name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } },
        sender: { login: 'alice', type: 'User' }
      })
    )
    const run = await runAction({
      api,
      home: path.join(tmp.path, 'home'),
      workspace: repo.workspace,
      inputs: { mode: 'review', 'github-token': TOKEN, ...inputs },
      env: {
        GITHUB_API_URL: gh.url,
        GITHUB_GRAPHQL_URL: gh.graphqlUrl,
        GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_TOKEN: TOKEN
      }
    })
    expectOk(run)
    return run
  }

  const states = (pr = PR) => gh.reviews(OWNER, REPO, pr).map(r => r.state)
  const inline = (pr = PR) =>
    gh
      .reviewComments(OWNER, REPO, pr)
      .map(c => `${c.path}:${c.line}`)
      .sort()
  const summary = (pr = PR) =>
    gh.issueComments(OWNER, REPO, pr).find(c => c.body.includes('<!-- tandem:summary'))!.body

  it('review-event: auto requests changes for a blocking finding; comment posts it as a comment', async () => {
    const auto = await review([EVAL], { 'review-event': 'auto' })
    expect(states()).toEqual(['CHANGES_REQUESTED'])
    expect(inline()).toEqual(['src/calc.ts:5'])
    expect(auto.outputs.verdict).toBe('request_changes')

    // The same finding on another PR of the same head: the same verdict, but only a comment.
    seedPullRequest(8)
    const comment = await review([EVAL], { 'review-event': 'comment' }, 8)
    expect(states(8)).toEqual(['COMMENTED'])
    expect(inline(8)).toEqual(['src/calc.ts:5'])
    expect(comment.outputs.verdict).toBe('request_changes')
  })

  it('blocking-severity: minor makes a minor finding block; critical lets a major one through', async () => {
    const strict = await review([NAMING], { 'blocking-severity': 'minor' })
    expect(strict.outputs.verdict).toBe('request_changes')
    expect(states()).toEqual(['CHANGES_REQUESTED'])

    seedPullRequest(8)
    const lenient = await review([DIVISION], { 'blocking-severity': 'critical' }, 8)
    expect(lenient.outputs.verdict).toBe('comment')
    expect(states(8)).toEqual(['COMMENTED'])
  })

  it('max-inline-comments: 2 of 4 findings inline, the other 2 listed; with 4, all inline', async () => {
    const capped = await review([MAGIC, NAMING, DIVISION, EVAL], { 'max-inline-comments': '2' })
    // The most severe stay on the code.
    expect(inline()).toEqual(['src/calc.ts:20', 'src/calc.ts:5'])
    expect(capped.outputs).toMatchObject({ 'findings-count': '4', 'inline-comments': '2' })
    const over = [
      '- **🟡 Minor** · Name a — `src/new.ts:1` _(over the limit of 2 inline comments)_',
      '- **⚪ Nit** · What is 42 — `src/new.ts:2` _(over the limit of 2 inline comments)_'
    ]
    const body = gh.reviews(OWNER, REPO, PR)[0]!.body
    for (const line of over) {
      expect(body).toContain(line)
      expect(summary()).toContain(line)
    }
    expect(summary()).toContain('_2 new inline comment(s) · 0 already on the PR · 2 listed below_')

    seedPullRequest(8)
    const roomy = await review([MAGIC, NAMING, DIVISION, EVAL], { 'max-inline-comments': '4' }, 8)
    expect(inline(8)).toEqual(['src/calc.ts:20', 'src/calc.ts:5', 'src/new.ts:1', 'src/new.ts:2'])
    expect(roomy.outputs['inline-comments']).toBe('4')
    expect(summary(8)).toContain('_4 new inline comment(s) · 0 already on the PR · 0 listed below_')
  })

  it('incremental: false reviews the whole PR again; true only what changed since the last review', async () => {
    await review([])
    const push = (file: string): void => {
      repo.commit({ [file]: `export const ${path.basename(file, '.ts')} = true\n` }, 'a push')
      headSha = repo.head()
      gh.pushToPullRequest(OWNER, REPO, PR, { headSha, diff: repo.diff(baseSha, headSha) })
    }
    const diffText = (): string => JSON.stringify(api!.mainRequests()[0]!.body.messages)

    push('src/second.ts')
    await review([], { incremental: 'false' })
    let text = diffText()
    expect(text).toContain('+export const v5 = eval(input)')
    expect(text).toContain('+export const second = true')
    expect(text).not.toContain('incremental review')

    push('src/third.ts')
    await review([], { incremental: 'true' })
    text = diffText()
    expect(text).toContain('+export const third = true')
    expect(text).not.toContain('+export const second = true')
    expect(text).not.toContain('eval(input)')
    expect(summary()).toContain(`<!-- tandem:reviewed sha=${headSha} -->`)
  })
})

// ─── write mode ─────────────────────────────────────────────────────────────────────────────

describe('write inputs', () => {
  let repo: TestRepo
  let gh: FakeGitHub

  beforeEach(async () => {
    tmp = makeTempDir('tandem-inputs-write')
    repo = createTestRepo(path.join(tmp.path, 'git'), {
      'src/greet.ts': 'export const greet = () => "hello"\n'
    })
    gh = await startFakeGitHub({ token: TOKEN })
    gh.seedRepo({ owner: OWNER, repo: REPO, gitDir: repo.remote })
  })

  afterEach(async () => {
    gh.assertClean()
    await gh.close()
    tmp.cleanup()
  })

  it('commit-message, pr-title and pr-body: exactly what lands, with only Tandem’s own additions', async () => {
    api = await startScriptedApi([
      {
        toolUses: [
          {
            name: 'Write',
            input: {
              file_path: path.join(repo.workspace, 'src/farewell.ts'),
              content: 'export const farewell = "goodbye"\n'
            }
          }
        ]
      },
      {
        structuredOutput: {
          summary: 'Added a farewell.',
          changes: [{ path: 'src/farewell.ts', why: 'the task' }]
        }
      }
    ])
    const message = 'Say goodbye\n\nAsked for in #12.\nSecond line of the body.'
    const run = await runAction({
      api,
      home: path.join(tmp.path, 'home'),
      workspace: repo.workspace,
      inputs: {
        mode: 'write',
        prompt: 'Add a farewell',
        'github-token': TOKEN,
        model: 'claude-sonnet-4-5',
        branch: 'tandem/goodbye',
        'commit-message': message,
        'pr-title': 'Greeting: goodbye',
        'pr-body': 'Closes #12.\n\nPlease check the wording.'
      },
      env: {
        GITHUB_API_URL: gh.url,
        GITHUB_GRAPHQL_URL: gh.graphqlUrl,
        GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
        GITHUB_EVENT_NAME: 'workflow_dispatch',
        GITHUB_TOKEN: TOKEN
      }
    })
    expectOk(run)
    // The message as given, then the trailer that marks the branch as Tandem's to replace.
    expect(git(repo.remote, ['log', '-1', '--format=%B', 'tandem/goodbye'])).toBe(
      `${message}\n\nTandem-Write: tandem/goodbye`
    )
    expect(git(repo.remote, ['rev-parse', 'tandem/goodbye'])).toBe(run.outputs['commit-sha'])

    const pulls = [...gh.state.repo(OWNER, REPO)!.issues.values()].filter(issue => issue.pull)
    expect(pulls).toHaveLength(1)
    expect(pulls[0]!.title).toBe('Greeting: goodbye')
    // pr-body first; the writer's report, the file table, the session line and the marker after.
    const turns = run.outputs['num-turns']
    const cost = Number(run.outputs['cost-usd']).toFixed(4)
    expect(pulls[0]!.body).toBe(
      [
        'Closes #12.\n\nPlease check the wording.',
        '### What the writer did',
        'Added a farewell.',
        '### Changes (1 file)',
        '| File | Why |\n|---|---|\n| `src/farewell.ts` | the task |',
        '---',
        `<sub>Written by Tandem with Claude Code (\`claude-sonnet-4-5\`): ${turns} turns, $${cost}. ` +
          'Branch `tandem/goodbye`; a re-run with the same prompt updates this pull request.</sub>',
        '<!-- tandem:write branch=tandem/goodbye -->'
      ].join('\n\n') + '\n'
    )
  })
})
