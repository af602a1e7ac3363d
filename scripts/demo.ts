// `npm run demo`: Tandem's main job, offline. A sample repository with a sample pull request,
// the fake GitHub, and the scripted Anthropic API serving a canned reviewer answer (or the real
// API when ANTHROPIC_API_KEY is set); the bundled action runs in review mode and the review is
// printed as it landed on the pull request.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { runAction } from '../__tests__/harness/action.js'
import { startScriptedApi, type ScriptedApi } from '../__tests__/harness/anthropic-api.js'
import { makeTempDir } from '../__tests__/harness/claude.js'
import { startFakeGitHub } from '../__tests__/harness/github/server.js'
import { createTestRepo } from '../__tests__/harness/repo.js'

const TOKEN = 'ghs_demoToken'
const BASE = `export function average(values) {
  let total = 0
  for (const value of values) total += value
  return total / values.length
}
`
const HEAD = `export function average(values) {
  let total = 0
  for (let i = 0; i <= values.length; i++) total += values[i]
  return total / values.length
}

export function parseConfig(text) {
  return eval('(' + text + ')')
}
`
const CANNED_REVIEW = {
  summary: 'The loop reads one element past the end, and parseConfig evaluates arbitrary code.',
  verdict: 'request_changes',
  findings: [
    {
      path: 'src/stats.js',
      line: 3,
      severity: 'major',
      title: 'Off-by-one: the loop reads values[values.length]',
      body: '`i <= values.length` adds `undefined` on the last pass, so every average is `NaN`.',
      suggestion: '  for (let i = 0; i < values.length; i++) total += values[i]'
    },
    {
      path: 'src/stats.js',
      start_line: 7,
      line: 9,
      severity: 'critical',
      title: 'eval of configuration text',
      body: 'Anyone who controls the config file runs code in this process. Parse it as JSON.',
      suggestion: 'export function parseConfig(text) {\n  return JSON.parse(text)\n}'
    },
    {
      path: 'README.md',
      line: 1,
      severity: 'nit',
      title: 'Document parseConfig',
      body: 'The README does not mention the new function. (This file is not in the diff, so the finding goes to the summary instead of a line.)'
    }
  ]
}

const realApi = Boolean(process.env.ANTHROPIC_API_KEY)
const tmp = makeTempDir('tandem-demo')
const gh = await startFakeGitHub({ token: TOKEN })
let api: ScriptedApi | undefined
try {
  const repo = createTestRepo(path.join(tmp.path, 'git'), {
    'src/stats.js': BASE,
    'README.md': '# stats\n\nSmall statistics helpers.\n'
  })
  const baseSha = repo.head()
  repo.checkout('fix-average', true)
  const headSha = repo.commit({ 'src/stats.js': HEAD }, 'Rewrite average, add parseConfig')
  repo.checkout(headSha)
  gh.seedRepo({ owner: 'demo', repo: 'stats' })
  gh.seedPullRequest({
    owner: 'demo',
    repo: 'stats',
    number: 1,
    title: 'Rewrite average, add parseConfig',
    body: 'Index-based loop, plus a config parser.',
    author: 'alice',
    headRef: 'fix-average',
    baseRef: 'main',
    headSha,
    baseSha,
    diff: repo.diff(baseSha, headSha)
  })
  const eventPath = path.join(tmp.path, 'event.json')
  writeFileSync(
    eventPath,
    JSON.stringify({
      action: 'opened',
      number: 1,
      pull_request: { number: 1 },
      sender: { login: 'alice', type: 'User' }
    })
  )
  api = realApi ? undefined : await startScriptedApi([{ structuredOutput: CANNED_REVIEW }])
  console.log(
    realApi
      ? 'Reviewing with the real Anthropic API (ANTHROPIC_API_KEY is set)…'
      : 'Reviewing with a canned reviewer answer (set ANTHROPIC_API_KEY to use the real API)…'
  )
  const run = await runAction({
    api:
      api ??
      ({ url: process.env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com' } as ScriptedApi),
    home: path.join(tmp.path, 'home'),
    workspace: repo.workspace,
    inputs: { mode: 'review', 'github-token': TOKEN },
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_REPOSITORY: 'demo/stats',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      ...(realApi
        ? {
            ANTHROPIC_API_KEY: process.env.ANTHROPIC_API_KEY!,
            API_TIMEOUT_MS: '600000',
            CLAUDE_CODE_MAX_RETRIES: '3'
          }
        : {})
    },
    timeoutMs: realApi ? 600_000 : 60_000
  })
  if (run.exitCode !== 0) {
    console.error(run.log)
    throw new Error(`the action failed (exit ${run.exitCode})`)
  }

  const rule = '─'.repeat(72)
  console.log(`\n${rule}\nPull request demo/stats#1 — what Tandem posted\n${rule}`)
  for (const review of gh.reviews('demo', 'stats', 1)) {
    console.log(`\nREVIEW #${review.id} · ${review.state} · on ${review.commitId.slice(0, 7)}\n`)
    console.log(review.body.replace(/<!--[^>]*-->\n?/g, '').trim())
  }
  for (const comment of gh.reviewComments('demo', 'stats', 1)) {
    const where = comment.startLine ? `${comment.startLine}-${comment.line}` : `${comment.line}`
    console.log(`\n${rule}\nINLINE ${comment.path}:${where} (${comment.side})\n`)
    console.log(comment.body.replace(/<!--[^>]*-->\n?/g, '').trim())
  }
  for (const comment of gh.issueComments('demo', 'stats', 1)) {
    console.log(`\n${rule}\nSUMMARY COMMENT #${comment.id}\n`)
    console.log(comment.body.replace(/<!--[^>]*-->\n?/g, '').trim())
  }
  console.log(
    `\n${rule}\nOutputs: ${JSON.stringify({ verdict: run.outputs.verdict, 'findings-count': run.outputs['findings-count'], 'inline-comments': run.outputs['inline-comments'], conclusion: run.outputs.conclusion })}`
  )
  gh.assertClean()
} finally {
  await api?.close()
  await gh.close()
  tmp.cleanup()
}
process.exit(0)
