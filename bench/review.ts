// Review figures: diff parsing + anchoring speed (against the parse-diff package), GitHub
// requests for one review, and reviewer prompt bytes of an incremental vs a full review.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import parseDiff from 'parse-diff'
import { planReview } from '../src/review/anchor.js'
import { parseUnifiedDiff } from '../src/review/diff.js'
import type { Finding } from '../src/review/findings.js'
import { runAction } from '../__tests__/harness/action.js'
import { startScriptedApi } from '../__tests__/harness/anthropic-api.js'
import { makeTempDir } from '../__tests__/harness/claude.js'
import { startFakeGitHub } from '../__tests__/harness/github/server.js'
import { createTestRepo } from '../__tests__/harness/repo.js'
import type { Figure } from './figures.js'

const LARGE = path.join(import.meta.dirname, '..', '__tests__', 'fixtures', 'diffs', 'large.diff')
const SEVERITIES = ['critical', 'major', 'minor', 'nit'] as const

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function timeMs(fn: () => unknown, repeats: number): number {
  const times: number[] = []
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint()
    fn()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return median(times)
}

async function anchoringFigures(): Promise<Figure[]> {
  const text = readFileSync(LARGE, 'utf8')
  const files = parseUnifiedDiff(text).files
  const lines = text.split('\n').length
  // 5,000 findings over every file: most on changed lines, some outside hunks, some on
  // files the diff does not touch, some ranges.
  const findings: Finding[] = Array.from({ length: 5000 }, (_, i) => ({
    path: i % 50 === 0 ? `untouched/${i}.ts` : files[i % files.length]!.path,
    line: 1 + ((i * 7) % 100),
    ...(i % 9 === 0 ? { start_line: 1 + ((i * 7) % 100) - 1 || 1 } : {}),
    severity: SEVERITIES[i % 4]!,
    title: `finding ${i}`,
    body: 'Something to look at.'
  }))
  const ours = timeMs(() => {
    const diff = parseUnifiedDiff(text)
    planReview(findings, diff, { existingFingerprints: new Set(), maxInlineComments: 30 })
  }, 15)
  const oursParse = timeMs(() => parseUnifiedDiff(text), 15)
  const theirs = timeMs(() => parseDiff(text), 15)
  return [
    {
      name: `diff parse + anchoring, ${files.length} files / ${lines} lines / 5,000 findings`,
      value: `${ours.toFixed(1)} ms`,
      baseline: `parse-diff (parse only) ${theirs.toFixed(1)} ms`,
      ratio: ours / theirs,
      // parse-diff only parses; anchoring (5,000 fingerprints, hunk look-ups) has no peer.
      target: 'informational (< 50 ms)',
      ok: ours < 50
    },
    {
      name: 'diff parse alone, same diff',
      value: `${oursParse.toFixed(1)} ms`,
      baseline: `parse-diff ${theirs.toFixed(1)} ms`,
      ratio: oursParse / theirs,
      target: '≤ 1',
      ok: oursParse <= theirs
    }
  ]
}

const FILE_COUNT = 20
const fileText = (n: number, edited: boolean) =>
  Array.from(
    { length: 60 },
    (_, i) => `export const f${n}_${i} = ${edited && i % 10 === 3 ? 'changed()' : i}`
  ).join('\n') + '\n'

/** One review with 50 findings through dist/index.js, then an incremental one after a push. */
async function publishingFigures(): Promise<Figure[]> {
  const tmp = makeTempDir('tandem-bench-review')
  const gh = await startFakeGitHub({ token: 'ghs_bench' })
  try {
    const base: Record<string, string> = {}
    const head: Record<string, string> = {}
    for (let n = 0; n < FILE_COUNT; n++) {
      base[`src/f${n}.ts`] = fileText(n, false)
      head[`src/f${n}.ts`] = fileText(n, true)
    }
    const repo = createTestRepo(path.join(tmp.path, 'git'), base)
    const baseSha = repo.head()
    repo.checkout('feature', true)
    let headSha = repo.commit(head, 'change every file')
    repo.checkout(headSha)
    gh.seedRepo({ owner: 'o', repo: 'r' })
    gh.seedPullRequest({
      owner: 'o',
      repo: 'r',
      number: 1,
      author: 'alice',
      headRef: 'feature',
      baseRef: 'main',
      headSha,
      baseSha,
      diff: repo.diff(baseSha, headSha)
    })
    const findings = Array.from({ length: 50 }, (_, i) => ({
      path: `src/f${i % FILE_COUNT}.ts`,
      line: 4 + 10 * Math.floor(i / FILE_COUNT),
      severity: SEVERITIES[i % 4],
      title: `finding ${i}`,
      body: 'Look at this.'
    }))
    const event = path.join(tmp.path, 'event.json')
    const reviewOnce = async (reply: unknown) => {
      const api = await startScriptedApi([{ structuredOutput: reply }])
      writeFileSync(
        event,
        JSON.stringify({
          action: 'synchronize',
          number: 1,
          pull_request: { number: 1 },
          sender: { login: 'alice', type: 'User' }
        })
      )
      gh.clearLog()
      const run = await runAction({
        api,
        home: path.join(tmp.path, 'home'),
        workspace: repo.workspace,
        inputs: { mode: 'review', 'github-token': 'ghs_bench', 'max-inline-comments': '50' },
        env: {
          GITHUB_API_URL: gh.url,
          GITHUB_REPOSITORY: 'o/r',
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_EVENT_PATH: event
        }
      })
      await api.close()
      if (run.exitCode !== 0) throw new Error(`review failed:\n${run.log}`)
      const prompt = api.mainRequests()[0]!.body as {
        messages: { role: string; content: unknown }[]
      }
      const firstUser = prompt.messages.find(m => m.role === 'user')!
      return {
        requests: gh.requests.length,
        promptBytes: Buffer.byteLength(JSON.stringify(firstUser.content)),
        inline: Number(run.outputs['inline-comments'])
      }
    }
    const full = await reviewOnce({ summary: 's', verdict: 'comment', findings })
    repo.checkout('feature')
    headSha = repo.commit(
      { 'src/f0.ts': fileText(0, true).replace('changed()', 'changedAgain()') },
      'one-file push'
    )
    repo.checkout(headSha)
    gh.pushToPullRequest('o', 'r', 1, { headSha, diff: repo.diff(baseSha, headSha) })
    const incremental = await reviewOnce({ summary: 's', verdict: 'approve', findings: [] })
    return [
      {
        name: `GitHub requests for one review with 50 findings (${full.inline} inline)`,
        value: `${full.requests} requests`,
        baseline: 'target 6',
        ratio: full.requests / 6,
        target: '≤ 1',
        ok: full.requests <= 6
      },
      {
        name: 'reviewer prompt bytes, incremental re-review after a one-file push vs full review',
        value: `${incremental.promptBytes} B`,
        baseline: `full review ${full.promptBytes} B`,
        ratio: incremental.promptBytes / full.promptBytes,
        target: '≤ 0.25',
        ok: incremental.promptBytes / full.promptBytes <= 0.25
      }
    ]
  } finally {
    await gh.close()
    tmp.cleanup()
  }
}

export async function reviewFigures(): Promise<Figure[]> {
  return [...(await anchoringFigures()), ...(await publishingFigures())]
}
