// What the fault suites share: a pull request to review (a real checkout with a bare origin, the
// fake GitHub holding the PR), a run of dist/index.js against them, and readers of what a run
// left behind.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BASE_CALC, HEAD_CALC } from './calc-pr.js'
import { runAction, type ActionRun } from '../harness/action.js'
import { startScriptedApi, type Script, type ScriptedApi } from '../harness/anthropic-api.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { createTestRepo, type TestRepo } from '../harness/repo.js'

export const TOKEN = 'ghs_faultsE2eToken0123456789abcdefABCDEF'
export const OWNER = 'acme'
export const REPO = 'widgets'
export const PR = 7

export const FINDINGS = [
  {
    path: 'src/calc.ts',
    line: 5,
    severity: 'critical',
    title: 'eval of user input',
    body: 'Runs code.'
  },
  { path: 'src/new.ts', line: 2, severity: 'nit', title: 'Name the constant', body: 'What is 42?' }
]
export const REVIEW = {
  summary: 'One real problem.',
  verdict: 'request_changes',
  findings: FINDINGS
}

export interface ReviewFixture {
  tmp: TempDir
  repo: TestRepo
  gh: FakeGitHub
  headSha: string
  apis: ScriptedApi[]
  /** One review run through dist/index.js with `script` as the model. */
  review(options?: {
    script?: Script
    inputs?: Record<string, string>
    env?: Record<string, string>
    claudePath?: string
  }): Promise<{ run: ActionRun; api: ScriptedApi }>
  close(): Promise<void>
}

export async function reviewFixture(): Promise<ReviewFixture> {
  const tmp = makeTempDir('tandem-faults')
  const repo = createTestRepo(path.join(tmp.path, 'git'), { 'src/calc.ts': BASE_CALC })
  const baseSha = repo.head()
  repo.checkout('feature', true)
  const headSha = repo.commit(
    { 'src/calc.ts': HEAD_CALC, 'src/new.ts': 'export const a = 1\nexport const b = 42\n' },
    'feature'
  )
  repo.checkout('main')
  const gh = await startFakeGitHub({ token: TOKEN })
  gh.seedRepo({ owner: OWNER, repo: REPO })
  gh.seedPullRequest({
    owner: OWNER,
    repo: REPO,
    number: PR,
    title: 'Compute values from input',
    author: 'alice',
    headRef: 'feature',
    baseRef: 'main',
    headSha,
    baseSha,
    diff: repo.diff(baseSha, headSha)
  })
  gh.setPermission('alice', 'write')
  const apis: ScriptedApi[] = []
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
  return {
    tmp,
    repo,
    gh,
    headSha,
    apis,
    async review(options = {}) {
      const api = await startScriptedApi(options.script ?? [{ structuredOutput: REVIEW }])
      apis.push(api)
      const run = await runAction({
        api,
        home: path.join(tmp.path, 'home'),
        workspace: repo.workspace,
        inputs: { mode: 'review', 'github-token': TOKEN, ...options.inputs },
        claudePath: options.claudePath,
        env: {
          GITHUB_API_URL: gh.url,
          GITHUB_GRAPHQL_URL: gh.graphqlUrl,
          GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_EVENT_PATH: eventPath,
          GITHUB_TOKEN: TOKEN,
          ...options.env
        }
      })
      return { run, api }
    },
    async close() {
      for (const api of apis.splice(0)) await api.close()
      await gh.close()
      tmp.cleanup()
    }
  }
}

/** The `::error::` annotations of a run, decoded as the runner shows them. */
export function errorsOf(run: ActionRun): string[] {
  return run.log
    .split('\n')
    .filter(line => line.startsWith('::error'))
    .map(line =>
      line
        .slice(line.indexOf('::', 2) + 2)
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%')
    )
}

/** The execution file the run named, as parsed NDJSON lines; [] when there is none. */
export function transcriptOf(
  run: ActionRun
): { type?: string; subtype?: string; [k: string]: unknown }[] {
  const file = run.outputs['execution-file']
  if (!file || !existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => JSON.parse(line) as { type?: string })
}
