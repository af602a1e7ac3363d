// Write mode end to end: dist/index.js + the real CLI (whose writer really edits the checkout) +
// the scripted API + the fake GitHub following a real bare remote, so a pull request can only be
// opened for a branch that was really pushed.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
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

const TOKEN = 'ghs_writeE2eToken0123456789abcdefABCDEF'
const OWNER = 'acme'
const REPO = 'widgets'
const PROMPT = 'Make greet say goodbye, and add a farewell module'

const GREET = 'export const greet = () => "hello"\n'
const GREET_AFTER = 'export const greet = () => "goodbye"\n'
const FAREWELL = 'export const farewell = "bye"\n'

const REPORT = {
  summary: 'Say goodbye in greet and add farewell.\n\nThe task asked for both.',
  changes: [
    { path: 'src/greet.ts', why: 'greet now says goodbye' },
    { path: 'src/farewell.ts', why: 'new | module' }
  ]
}

let tmp: TempDir
let repo: TestRepo
let gh: FakeGitHub
let api: ScriptedApi | undefined
const apis: ScriptedApi[] = []
const afterThis: (() => void)[] = []

beforeEach(async () => {
  tmp = makeTempDir('tandem-write-e2e')
  repo = createTestRepo(path.join(tmp.path, 'git'), {
    'src/greet.ts': GREET,
    'README.md': '# Widgets\n'
  })
  gh = await startFakeGitHub({ token: TOKEN })
  gh.seedRepo({ owner: OWNER, repo: REPO, gitDir: repo.remote })
})

afterEach(async () => {
  const used = apis.splice(0)
  try {
    // Whatever a test did, the GitHub token never reached the model server.
    for (const server of used) expectNoLeak(server.requests)
    // Every session was shown what its scripted replies expected.
    for (const server of used) server.assertExpectations()
    // Every request any test made was valid against GitHub's OpenAPI description.
    gh.assertClean()
  } finally {
    for (const server of used) await server.close()
    api = undefined
    await gh.close()
    tmp.cleanup()
    for (const cleanup of afterThis.splice(0)) cleanup()
  }
})

function file(rel: string): string {
  return path.join(repo.workspace, rel)
}

/** The writer's first request: the task, fenced as the task, with the rules. */
const GETS_THE_TASK: Expectation = {
  label: 'writer, first request',
  contains: [
    `<task>\n${PROMPT}\n</task>`,
    '- Do not change anything under .github/workflows: such changes are refused'
  ]
}

/** The writer's edits: read greet.ts, edit it, create farewell.ts, then the report. */
function writerReplies(options: { greet?: string; report?: unknown } = {}): Reply[] {
  return [
    {
      toolUses: [{ name: 'Read', input: { file_path: file('src/greet.ts') } }],
      expect: GETS_THE_TASK
    },
    {
      // The Read's result, numbered as the CLI shows files.
      expect: {
        label: 'writer, after the Read',
        contains: ['1\texport const greet = () => "hello"']
      },
      toolUses: [
        {
          name: 'Edit',
          input: {
            file_path: file('src/greet.ts'),
            old_string: '"hello"',
            new_string: JSON.stringify(options.greet ?? 'goodbye')
          }
        },
        { name: 'Write', input: { file_path: file('src/farewell.ts'), content: FAREWELL } }
      ]
    },
    { structuredOutput: options.report ?? REPORT }
  ]
}

const isReviewer = (req: RecordedRequest): boolean =>
  JSON.stringify(req.body?.messages?.[0] ?? '').includes('You are reviewing pull request')

async function write(options: {
  replies?: Reply[]
  reviewerReplies?: Reply[]
  inputs?: Record<string, string>
}): Promise<ActionRun> {
  const writer = options.replies ?? writerReplies()
  const reviewer = options.reviewerReplies ?? []
  // One server for both sessions; each starts at turn 0, so tell them apart by their prompt.
  api = await startScriptedApi((req, turn) =>
    isReviewer(req) ? (reviewer[turn] ?? { text: 'done' }) : (writer[turn] ?? { text: 'done' })
  )
  apis.push(api)
  return runAction({
    api,
    home: path.join(tmp.path, 'home'),
    workspace: repo.workspace,
    inputs: { mode: 'write', prompt: PROMPT, 'github-token': TOKEN, ...options.inputs },
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_GRAPHQL_URL: gh.graphqlUrl,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_TOKEN: TOKEN
    }
  })
}

function expectNoLeak(requests: RecordedRequest[]): void {
  const forms = [TOKEN, Buffer.from(`x-access-token:${TOKEN}`).toString('base64')]
  const leaks = requests.filter(req =>
    forms.some(form => req.rawBody.includes(form) || JSON.stringify(req.headers).includes(form))
  )
  // Not toContain: a failure would print every request body, each tens of kilobytes.
  expect(leaks.map(req => `${req.method} ${req.url}`)).toEqual([])
}

/** What the bare remote says `refs/heads/<branch>` is, or undefined. */
function remoteSha(branch: string): string | undefined {
  const out = git(repo.remote, ['for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`])
  return out === '' ? undefined : out
}

function remoteFile(branch: string, rel: string): string {
  return git(repo.remote, ['show', `${branch}:${rel}`]) + '\n'
}

function pulls() {
  return [...gh.state.repo(OWNER, REPO)!.issues.values()].filter(issue => issue.pull)
}

function writes(): string[] {
  return gh.requests
    .filter(r => r.method !== 'GET')
    .map(r => `${r.method} ${r.operationId ?? r.path}`)
}

/** A new job: a fresh checkout of main, as actions/checkout would leave it. */
function freshCheckout(): void {
  git(repo.workspace, ['checkout', '--quiet', '--force', 'main'])
  git(repo.workspace, ['clean', '-fdq'])
}

function expectOk(run: ActionRun): void {
  if (run.exitCode !== 0) throw new Error(`action failed:\n${run.log}\n${run.stderr}`)
}

function expectFailed(run: ActionRun): void {
  if (run.exitCode !== 1)
    throw new Error(`action exited ${run.exitCode}:\n${run.log}\n${run.stderr}`)
}

describe('write mode through dist/index.js', () => {
  it('creates a branch, a commit and ONE pull request; an identical re-run changes nothing', async () => {
    const run = await write({})
    expectOk(run)
    gh.assertClean()
    const branch = run.outputs.branch!
    expect(branch).toMatch(/^tandem\/make-greet-say-goodbye-and-add-a-[0-9a-f]{8}$/)
    expect(run.outputs).toMatchObject({
      conclusion: 'success',
      'pr-operation': 'created',
      'pr-number': '1',
      'verify-result': 'none',
      'changed-files': JSON.stringify(['src/farewell.ts', 'src/greet.ts'])
    })
    expect(run.outputs['pr-url']).toBe(`https://github.com/${OWNER}/${REPO}/pull/1`)

    // The bare remote holds the branch with the writer's edits, committed by the Actions bot.
    const sha = remoteSha(branch)
    expect(sha).toBe(run.outputs['commit-sha'])
    expect(remoteFile(branch, 'src/greet.ts')).toBe(GREET_AFTER)
    expect(remoteFile(branch, 'src/farewell.ts')).toBe(FAREWELL)
    expect(git(repo.remote, ['log', '-1', '--format=%an|%s', branch])).toBe(
      'github-actions[bot]|Say goodbye in greet and add farewell'
    )
    expect(git(repo.remote, ['rev-parse', `${branch}~1`])).toBe(remoteSha('main'))

    const [pr] = pulls()
    expect(pulls()).toHaveLength(1)
    expect(pr!.pull).toMatchObject({
      headRef: branch,
      baseRef: 'main',
      headRepo: `${OWNER}/${REPO}`
    })
    expect(pr!.pull!.current.headSha).toBe(sha)
    expect(pr!.title).toBe('Say goodbye in greet and add farewell')
    expect(pr!.body).toContain('The task asked for both.')
    expect(pr!.body).toContain('| `src/greet.ts` | greet now says goodbye |')
    expect(pr!.body).toContain('| `src/farewell.ts` | new \\| module |')
    expect(pr!.body).toContain(
      `${run.outputs['num-turns']} turns, $${Number(run.outputs['cost-usd']).toFixed(4)}`
    )
    expect(pr!.body).toContain(`<!-- tandem:write branch=${branch} -->`)
    expect(run.summary).toContain('Tandem · writer session')
    expect(run.summary).toContain(`[#1](https://github.com/${OWNER}/${REPO}/pull/1) (created)`)
    expect(run.summary).toContain('(pushed)')

    // A new job with the same prompt and the same result: nothing is pushed, nothing written.
    freshCheckout()
    gh.assertClean() // the first run's requests, before the log is cleared
    gh.clearLog()
    const again = await write({})
    expectOk(again)
    gh.assertClean()
    expect(again.outputs).toMatchObject({
      'pr-operation': 'none',
      'pr-number': '1',
      branch,
      'commit-sha': sha
    })
    expect(remoteSha(branch)).toBe(sha)
    expect(pulls()).toHaveLength(1)
    expect(writes()).toEqual([])
    expect(again.summary).toContain('not pushed')
    // The checkout ends on the branch, at the commit the pull request has.
    expect(git(repo.workspace, ['rev-parse', 'HEAD'])).toBe(sha)
    expect(git(repo.workspace, ['status', '--porcelain'])).toBe('')

    // A different result replaces the branch (with a lease) and updates the same pull request.
    freshCheckout()
    gh.assertClean() // the first run's requests, before the log is cleared
    gh.clearLog()
    const changed = await write({
      replies: writerReplies({ greet: 'see you', report: { ...REPORT, summary: 'Say see you' } })
    })
    expectOk(changed)
    gh.assertClean()
    expect(changed.outputs).toMatchObject({ 'pr-operation': 'updated', 'pr-number': '1' })
    expect(remoteSha(branch)).not.toBe(sha)
    expect(remoteSha(branch)).toBe(changed.outputs['commit-sha'])
    expect(remoteFile(branch, 'src/greet.ts')).toBe('export const greet = () => "see you"\n')
    expect(pulls()).toHaveLength(1)
    expect(pulls()[0]!.title).toBe('Say see you')
    expect(writes()).toEqual(['PATCH pulls/update'])
  })

  it('never force-pushes away commits someone added to its branch since', async () => {
    const first = await write({})
    expectOk(first)
    const branch = first.outputs.branch!
    // A person (or address mode) pushes a fix onto Tandem's branch.
    const other = path.join(tmp.path, 'other')
    git(tmp.path, ['clone', '--quiet', '--branch', branch, repo.remote, other])
    writeFileSync(path.join(other, 'FIX.md'), 'a fix\n')
    git(other, ['add', 'FIX.md'])
    git(other, ['commit', '--quiet', '-m', 'fix by hand'])
    git(other, ['push', '--quiet', 'origin', branch])
    const fixed = remoteSha(branch)
    // The same task again, with a different result: it must not replace the branch.
    git(repo.workspace, ['checkout', '--quiet', 'main'])
    const again = await write({ replies: writerReplies({ greet: 'see you' }) })
    expectFailed(again)
    expect(again.log).toContain('has commits that write mode did not make')
    expect(remoteSha(branch)).toBe(fixed)
    gh.assertClean()
  })

  it('a writer that edits and ends in plain text (no report) still gets its PR', async () => {
    const replies = writerReplies()
    replies[replies.length - 1] = { text: 'Done: greet says goodbye, farewell added.' }
    const run = await write({ replies })
    expectOk(run)
    expect(run.outputs['pr-operation']).toBe('created')
    expect(remoteFile(run.outputs.branch!, 'src/greet.ts')).toBe(GREET_AFTER)
    expect(run.log).toContain('The writer did not report what it changed')
    gh.assertClean()
  })

  it('commits as commit-author when one is given', async () => {
    const run = await write({ inputs: { 'commit-author': 'Tandem Bot <tandem@example.com>' } })
    expectOk(run)
    const branch = run.outputs.branch!
    expect(git(repo.remote, ['log', '-1', '--format=%an <%ae> / %cn <%ce>', branch])).toBe(
      'Tandem Bot <tandem@example.com> / Tandem Bot <tandem@example.com>'
    )
    gh.assertClean()
  })

  it('refuses a change under .github/workflows: exit 1, nothing pushed, no PR, tree kept', async () => {
    const workflow = file('.github/workflows/ci.yml')
    const run = await write({
      replies: [
        { toolUses: [{ name: 'Write', input: { file_path: workflow, content: 'on: push\n' } }] },
        { structuredOutput: { summary: 'Add CI', changes: [] } }
      ]
    })
    expectFailed(run)
    expect(run.log).toContain(
      '::error::The writer changed workflow files (.github/workflows/ci.yml), which allow-workflow-changes does not allow'
    )
    expect(run.outputs['pr-operation']).toBe('none')
    expect(run.outputs.conclusion).toBe('failure')
    expect(git(repo.remote, ['for-each-ref', '--format=%(refname)', 'refs/heads'])).toBe(
      'refs/heads/main'
    )
    expect(pulls()).toHaveLength(0)
    expect(writes()).toEqual([])
    // Left for inspection: uncommitted, still on main.
    expect(existsSync(workflow)).toBe(true)
    expect(git(repo.workspace, ['status', '--porcelain', '-uall'])).toBe(
      '?? .github/workflows/ci.yml'
    )
    expect(git(repo.workspace, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main')
    gh.assertClean()
  })

  it('allows a workflow change with allow-workflow-changes: true', async () => {
    const run = await write({
      replies: [
        {
          toolUses: [
            {
              name: 'Write',
              input: { file_path: file('.github/workflows/ci.yml'), content: 'on: push\n' }
            }
          ]
        },
        { structuredOutput: { summary: 'Add CI', changes: [] } }
      ],
      inputs: { 'allow-workflow-changes': 'true', branch: 'ci/add' }
    })
    expectOk(run)
    expect(run.outputs).toMatchObject({ 'pr-operation': 'created', branch: 'ci/add' })
    expect(remoteFile('ci/add', '.github/workflows/ci.yml')).toBe('on: push\n')
    gh.assertClean()
  })

  it('reports no-changes when the writer changes nothing', async () => {
    const run = await write({
      replies: [
        { structuredOutput: { summary: 'Nothing to do: greet already works.', changes: [] } }
      ]
    })
    expectOk(run)
    expect(run.outputs).toMatchObject({
      conclusion: 'no-changes',
      'pr-operation': 'none',
      'pr-number': '',
      'commit-sha': '',
      'changed-files': '[]',
      'verify-result': 'none'
    })
    expect(git(repo.remote, ['for-each-ref', '--format=%(refname)', 'refs/heads'])).toBe(
      'refs/heads/main'
    )
    expect(pulls()).toHaveLength(0)
    expect(writes()).toEqual([])
    gh.assertClean()
  })

  it('runs verify-command after the writer and reports passed, then failed, in the PR body', async () => {
    // verify-command runs as the agent's own user: it can write only where anyone may.
    const dumpDir = makeTempDir('tandem-verify-env')
    afterThis.push(() => dumpDir.cleanup())
    // A file of its own there would be removed with the agent user when the run ends.
    chmodSync(dumpDir.path, 0o777)
    const envDump = path.join(dumpDir.path, 'verify-env.txt')
    writeFileSync(envDump, '', { mode: 0o666 })
    chmodSync(envDump, 0o666)
    const passing = await write({
      inputs: {
        'verify-command': `env > ${envDump}; test -f src/farewell.ts && echo "all 2 checks passed"`
      }
    })
    expectOk(passing)
    expect(passing.outputs['verify-result']).toBe('passed')
    const branch = passing.outputs.branch!
    const sha = remoteSha(branch)
    let body = pulls()[0]!.body!
    expect(body).toContain('### Verify')
    expect(body).toContain('passed (exit 0)')
    expect(body).toContain('all 2 checks passed')
    expect(passing.summary).toContain('all 2 checks passed')
    // The check runs code the writer changed: it gets neither the GitHub token nor the model key.
    const env = readFileSync(envDump, 'utf8')
    expect(env).not.toContain(TOKEN)
    expect(env).not.toMatch(/^ANTHROPIC_API_KEY=/m)
    expect(env).not.toMatch(/^INPUT_/m)

    freshCheckout()
    const failing = await write({
      inputs: { 'verify-command': 'echo "src/greet.ts:1 lint: no goodbyes" >&2; exit 3' }
    })
    // A failing check is reported, not fatal: the pull request is still there for the reviewer.
    expectOk(failing)
    expect(failing.outputs).toMatchObject({ 'verify-result': 'failed', 'pr-operation': 'updated' })
    expect(remoteSha(branch)).toBe(sha)
    body = pulls()[0]!.body!
    expect(body).toContain('failed (exit 3)')
    expect(body).toContain('src/greet.ts:1 lint: no goodbyes')
    expect(failing.log).toContain('::warning::verify-command failed (exit 3)')
    gh.assertClean()
  })

  it('with review: true, a fresh reviewer session reviews the new pull request', async () => {
    const run = await write({
      inputs: { review: 'true' },
      reviewerReplies: [
        {
          expect: {
            label: 'reviewer of the written pull request',
            contains: [
              'Title: Say goodbye in greet and add farewell',
              '### src/farewell.ts (added, +1 −0)',
              '      1 +export const farewell = "bye"',
              '    (1) -export const greet = () => "hello"\n      1 +export const greet = () => "goodbye"'
            ],
            // A fresh context: nothing of the writer's task or conversation.
            notContains: ['<task>', PROMPT],
            tools: ['Read', 'Grep', 'Glob', 'StructuredOutput']
          },
          structuredOutput: {
            summary: 'One naming nit.',
            verdict: 'comment',
            findings: [
              {
                path: 'src/farewell.ts',
                line: 1,
                severity: 'nit',
                title: 'Name it FAREWELL',
                body: 'A constant.'
              }
            ]
          }
        }
      ]
    })
    expectOk(run)
    gh.assertClean()
    const reviews = gh.reviews(OWNER, REPO, 1)
    expect(reviews).toHaveLength(1)
    expect(reviews[0]!.commitId).toBe(run.outputs['commit-sha'])
    expect(gh.reviewComments(OWNER, REPO, 1).map(c => [c.path, c.line])).toEqual([
      ['src/farewell.ts', 1]
    ])
    expect(run.outputs).toMatchObject({
      verdict: 'comment',
      'findings-count': '1',
      'pr-number': '1'
    })
    // Two sessions, and the reviewer's started from nothing of the writer's.
    const reviewerRequests = api!.mainRequests().filter(isReviewer)
    expect(reviewerRequests.length).toBeGreaterThan(0)
    for (const req of reviewerRequests) expect(req.rawBody).not.toContain('<task>')
    expect(run.summary).toContain('Tandem · reviewer session')
  })

  it('hides the checkout credentials from the writer and puts them back for the push', async () => {
    const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`
    git(repo.workspace, ['config', '--local', 'http.https://github.com/.extraheader', header])
    const replies = writerReplies()
    // A prompt-injected writer reads .git/config first: it gets the file, without the header.
    replies.unshift({
      toolUses: [{ name: 'Read', input: { file_path: file('.git/config') } }],
      expect: GETS_THE_TASK
    })
    replies[1] = {
      ...replies[1]!,
      expect: {
        label: 'writer, after reading .git/config',
        contains: ['[remote "origin"]'],
        notContains: ['extraheader', 'AUTHORIZATION']
      }
    }
    const run = await write({ replies })
    expectOk(run)
    expect(run.outputs['pr-operation']).toBe('created')
    const read = api!.mainRequests().find(req => req.rawBody.includes('[remote \\"origin\\"]'))
    expect(read).toBeDefined()
    expect(git(repo.workspace, ['config', '--local', 'http.https://github.com/.extraheader'])).toBe(
      header
    )
    gh.assertClean()
  })

  it('verify-command cannot read the credentials, and what it writes is checked like the writer', async () => {
    const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`
    git(repo.workspace, ['config', '--local', 'http.https://github.com/.extraheader', header])
    // A check that runs code the writer changed: it dumps git's config and adds a workflow.
    const leaky = await write({
      inputs: {
        'verify-command':
          'git config --get-regexp extraheader > leak.txt; mkdir -p .github/workflows && echo "on: push" > .github/workflows/evil.yml'
      }
    })
    expect(leaky.exitCode).toBe(1)
    expect(leaky.log).toContain('changed workflow files (.github/workflows/evil.yml')
    expect(remoteSha(leaky.outputs.branch!)).toBeUndefined()
    expect(readFileSync(file('leak.txt'), 'utf8')).not.toContain('basic')
    gh.assertClean()
  })

  it('refuses to push a change that holds the GitHub token', async () => {
    // An earlier step left the token in an ignored file; the writer copies it somewhere that is
    // not ignored. The token itself never passes through the model.
    writeFileSync(file('.git/info/exclude'), '.env\n')
    writeFileSync(file('.env'), `GITHUB_TOKEN=${TOKEN}\n`)
    const run = await write({
      inputs: { 'allowed-tools': 'Bash(cp *)' },
      replies: [
        { toolUses: [{ name: 'Bash', input: { command: 'cp .env notes.txt' } }] },
        { structuredOutput: { summary: 'Notes', changes: [] } }
      ]
    })
    expectFailed(run)
    expect(run.log).toContain(
      '::error::The changes would publish a credential of this run (in notes.txt)'
    )
    expect(existsSync(file('notes.txt'))).toBe(true)
    // Only the runner's own mask command carries it.
    expect(run.log.split('\n').filter(line => line.includes(TOKEN))).toEqual([
      `::add-mask::${TOKEN}`
    ])
    expect(remoteSha(run.outputs.branch!)).toBeUndefined()
    expect(pulls()).toHaveLength(0)
    gh.assertClean()
  })

  it('explains a repository that does not let Actions open pull requests', async () => {
    gh.state.repo(OWNER, REPO)!.actionsCanCreateAndApprovePullRequests = false
    const run = await write({ inputs: { labels: 'tandem, bot' } })
    expectFailed(run)
    expect(run.log).toContain('Allow GitHub Actions to create and approve pull requests')
    expect(pulls()).toHaveLength(0)
    // The branch is pushed; a re-run after the setting is changed opens the pull request.
    expect(remoteSha(run.outputs.branch!)).toBe(run.outputs['commit-sha'])
    gh.state.repo(OWNER, REPO)!.actionsCanCreateAndApprovePullRequests = true
    freshCheckout()
    gh.assertClean() // the first run's requests, before the log is cleared
    gh.clearLog()
    const again = await write({ inputs: { labels: 'tandem, bot', draft: 'true' } })
    expectOk(again)
    expect(again.outputs['pr-operation']).toBe('created')
    expect(gh.labels(OWNER, REPO, 1)).toEqual(['tandem', 'bot'])
    expect(pulls()[0]!.pull!.draft).toBe(true)
    expect(writes()).toEqual(['POST pulls/create', 'POST issues/add-labels'])
    gh.assertClean()
  })

  it('refuses to force-push the base branch', async () => {
    const run = await write({ inputs: { branch: 'main' } })
    expectFailed(run)
    expect(run.log).toContain(
      `Input 'branch' has value "main": expected a branch other than the base`
    )
    // Refused before the writer ran: no model request at all.
    expect(api!.mainRequests()).toHaveLength(0)
  })
})
