// Faults between the writer's commit and its pull request, through dist/index.js in write mode:
// someone else pushes to the branch first, the origin refuses the push (a protected branch),
// GitHub refuses to open the PR. Nothing may be half done: no PR for a branch that was not
// pushed, no commit of someone else's overwritten, and the error says what happened.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { chmodSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runAction, type ActionRun } from '../harness/action.js'
import { startScriptedApi, type Reply, type ScriptedApi } from '../harness/anthropic-api.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'
import { errorsOf, transcriptOf } from './faults-fixture.js'

const TOKEN = 'ghs_faultsPushToken0123456789abcdefABCDEF'
const OWNER = 'acme'
const REPO = 'widgets'
const BRANCH = 'tandem/fault'

let tmp: TempDir
let repo: TestRepo
let gh: FakeGitHub
let api: ScriptedApi | undefined

beforeEach(async () => {
  tmp = makeTempDir('tandem-faults-push')
  repo = createTestRepo(path.join(tmp.path, 'git'), {
    'src/greet.ts': 'export const greet = () => "hello"\n'
  })
  gh = await startFakeGitHub({ token: TOKEN })
  gh.seedRepo({ owner: OWNER, repo: REPO, gitDir: repo.remote })
})

afterEach(async () => {
  gh.assertClean()
  await api?.close()
  api = undefined
  await gh.close()
  tmp.cleanup()
})

const greet = () => path.join(repo.workspace, 'src/greet.ts')

/** Read, edit, report; `beforeReport` runs when the last request arrives (mid-session). */
async function write(beforeReport?: () => void): Promise<ActionRun> {
  const replies: Reply[] = [
    { toolUses: [{ name: 'Read', input: { file_path: greet() } }] },
    {
      toolUses: [
        {
          name: 'Edit',
          input: { file_path: greet(), old_string: '"hello"', new_string: '"goodbye"' }
        }
      ]
    },
    { structuredOutput: { summary: 'Say goodbye.', changes: [] } }
  ]
  api = await startScriptedApi((_req, turn) => {
    if (turn === 2) beforeReport?.()
    return replies[turn] ?? { text: 'done' }
  })
  return runAction({
    api,
    home: path.join(tmp.path, 'home'),
    workspace: repo.workspace,
    inputs: { mode: 'write', prompt: 'Say goodbye', 'github-token': TOKEN, branch: BRANCH },
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_GRAPHQL_URL: gh.graphqlUrl,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_TOKEN: TOKEN
    }
  })
}

function remoteSha(branch: string): string | undefined {
  const out = git(repo.remote, ['for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`])
  return out === '' ? undefined : out
}

function pullRequests(): number {
  return [...(gh.state.repo(OWNER, REPO)?.issues.values() ?? [])].filter(issue => issue.pull).length
}

/** The writer ran and its transcript was kept, whatever happened after it. */
function expectWriterTranscript(run: ActionRun): void {
  const result = transcriptOf(run).find(line => line.type === 'result')
  expect(result).toMatchObject({ subtype: 'success', is_error: false })
}

describe('write mode: the push or the PR fails', () => {
  it('someone else pushed to the branch first: their commit stays, no PR, a clear error', async () => {
    let theirs = ''
    const run = await write(() => {
      const other = path.join(tmp.path, 'other')
      git(tmp.path, ['clone', '--quiet', repo.remote, other])
      git(other, ['checkout', '--quiet', '-b', BRANCH])
      writeFileSync(path.join(other, 'THEIRS.md'), 'theirs\n')
      git(other, ['add', 'THEIRS.md'])
      git(other, ['commit', '--quiet', '-m', 'someone else'])
      git(other, ['push', '--quiet', 'origin', BRANCH])
      theirs = git(other, ['rev-parse', 'HEAD'])
    })
    expect(run.exitCode).toBe(1)
    expect(theirs).not.toBe('')
    expect(remoteSha(BRANCH)).toBe(theirs)
    expect(pullRequests()).toBe(0)
    expect(errorsOf(run).join('\n')).toMatch(new RegExp(BRANCH.replace('/', '\\/')))
    expectWriterTranscript(run)
  })

  it('the origin refuses the push (a protected branch): no branch, no PR, a clear error', async () => {
    const hook = path.join(repo.remote, 'hooks', 'pre-receive')
    writeFileSync(
      hook,
      '#!/bin/sh\necho "error: GH006: Protected branch update failed for refs/heads/tandem/fault." >&2\nexit 1\n'
    )
    chmodSync(hook, 0o755)
    // A local origin runs its hooks in the pusher's environment, where Tandem's own git config
    // empties core.hooksPath; the remote's config wins over it, as GitHub's hooks are its own.
    git(repo.remote, ['config', 'core.hooksPath', path.join(repo.remote, 'hooks')])
    const run = await write()
    expect(run.exitCode).toBe(1)
    expect(remoteSha(BRANCH)).toBeUndefined()
    expect(pullRequests()).toBe(0)
    expect(errorsOf(run).join('\n')).toMatch(/push/i)
    expectWriterTranscript(run)
  })

  it('GitHub forbids creating the PR: the branch is pushed, no PR, the refusal is the error', async () => {
    gh.failNext('pulls/create', {
      status: 403,
      body: {
        message: 'GitHub Actions is not permitted to create or approve pull requests.',
        documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
        status: '403'
      }
    })
    const run = await write()
    expect(run.exitCode).toBe(1)
    expect(remoteSha(BRANCH)).toBeDefined()
    expect(git(repo.remote, ['show', `${BRANCH}:src/greet.ts`])).toContain('goodbye')
    expect(pullRequests()).toBe(0)
    expect(gh.requests.filter(r => r.operationId === 'pulls/create')).toHaveLength(1)
    expect(errorsOf(run).join('\n')).toContain('not permitted to create or approve pull requests')
    expectWriterTranscript(run)
  })
})
