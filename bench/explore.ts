// Explore figure: wall time of explore with 3 candidates at concurrency 3 through dist/index.js,
// the real CLI, verify-command in each worktree, the comparing reviewer, the fake GitHub and the
// artifact upload, with a model that takes 1 s a turn — against explore with ONE candidate,
// measured in the same run. Parallel candidates should cost little more than one.
import os from 'node:os'
import path from 'node:path'
import { runAction } from '../__tests__/harness/action.js'
import {
  firstMessageOf,
  workingDirectoryOf,
  type RecordedRequest,
  type Reply
} from '../__tests__/harness/anthropic-api.js'
import { startArtifactService } from '../__tests__/harness/artifacts.js'
import { makeTempDir } from '../__tests__/harness/claude.js'
import { startFakeGitHub } from '../__tests__/harness/github/server.js'
import { createTestRepo, git } from '../__tests__/harness/repo.js'
import { slowApi } from './fanout-shard.js'
import type { Figure } from './figures.js'

const TURN_MS = 1000
const RUNS = 2
const TOKEN = 'ghs_benchExploreToken0123456789abcdefAB'

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Each candidate: one turn that reads and rewrites calc.js, one that reports; the reviewer ranks. */
function script(req: RecordedRequest, turn: number): Reply {
  const prompt = firstMessageOf(req)
  if (prompt.includes('engineers each tried the same task')) {
    return {
      structuredOutput: {
        chosen: 1,
        summary: 'Candidate 1.',
        ranking: [{ candidate: 1, rank: 1, reason: 'works' }],
        findings: []
      }
    }
  }
  const attempt = /This is attempt (\d+) of/.exec(prompt)?.[1]
  if (attempt === undefined)
    throw new Error('a request that is neither a candidate nor the reviewer')
  const n = Number(attempt)
  const file = path.join(workingDirectoryOf(req), 'src/calc.js')
  if (turn === 0) {
    return {
      toolUses: [
        { name: 'Read', input: { file_path: file } },
        {
          name: 'Write',
          input: { file_path: file, content: `exports.add = (a, b) => a + b // ${n}\n` }
        }
      ]
    }
  }
  return {
    structuredOutput: { summary: 'Fix add.', changes: [], approach: `approach ${n}` }
  }
}

export async function exploreFigures(): Promise<Figure[]> {
  const tmp = makeTempDir('tandem-bench-explore')
  const artifacts = await startArtifactService()
  const gh = await startFakeGitHub({ token: TOKEN })
  try {
    const repo = createTestRepo(path.join(tmp.path, 'git'), {
      'src/calc.js': 'exports.add = (a, b) => a - b\n',
      'check.js': "if (require('./src/calc.js').add(2, 3) !== 5) process.exit(1)\n"
    })
    gh.seedRepo({ owner: 'acme', repo: 'widgets', gitDir: repo.remote })
    let runId = 0
    const explore = async (candidates: number): Promise<number> => {
      git(repo.workspace, ['checkout', '--quiet', '--force', 'main'])
      git(repo.workspace, ['clean', '-fdq'])
      const api = await slowApi(script, TURN_MS)
      try {
        const started = process.hrtime.bigint()
        const run = await runAction({
          api,
          home: path.join(tmp.path, 'home'),
          workspace: repo.workspace,
          inputs: {
            mode: 'explore',
            prompt: 'Fix add()',
            candidates: String(candidates),
            concurrency: String(candidates),
            approaches: Array.from({ length: candidates }, (_, i) => `approach ${i + 1}`).join(
              '\n'
            ),
            'verify-command': 'node check.js',
            branch: `tandem/bench-${++runId}`,
            'github-token': TOKEN
          },
          env: {
            GITHUB_API_URL: gh.url,
            GITHUB_GRAPHQL_URL: gh.graphqlUrl,
            GITHUB_REPOSITORY: 'acme/widgets',
            GITHUB_EVENT_NAME: 'workflow_dispatch',
            GITHUB_JOB: `bench-${runId}`,
            ...artifacts.env({ runId: `bench-${runId}`, jobId: 'job-explore' })
          },
          timeoutMs: 300_000
        })
        const wallMs = Number(process.hrtime.bigint() - started) / 1e6
        if (run.exitCode !== 0 || run.outputs.chosen !== '1') {
          throw new Error(`explore with ${candidates} failed:\n${run.log}\n${run.stderr}`)
        }
        return wallMs
      } finally {
        await api.close()
      }
    }
    await explore(1) // warms the CLI binary and the disk cache
    const one: number[] = []
    const three: number[] = []
    for (let i = 0; i < RUNS; i++) {
      one.push(await explore(1))
      three.push(await explore(3))
    }
    const ratio = median(three) / median(one)
    const load = os.loadavg()[0]!.toFixed(1)
    return [
      {
        name: `explore wall time, 3 candidates at concurrency 3, 2 writer turns + 1 reviewer turn of ${TURN_MS / 1000} s each, verify-command per worktree (dist/index.js + real CLI + fake GitHub + artifact; median of ${RUNS}; ${os.cpus().length} CPUs, load ${load})`,
        value: `${(median(three) / 1000).toFixed(1)} s`,
        baseline: `1 candidate alone ${(median(one) / 1000).toFixed(1)} s`,
        ratio,
        target: '≤ 1.3',
        ok: ratio <= 1.3
      }
    ]
  } finally {
    await gh.close()
    await artifacts.close()
    tmp.cleanup()
  }
}
