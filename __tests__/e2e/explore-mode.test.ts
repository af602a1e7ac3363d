// Explore mode end to end: dist/index.js + the real CLI (three writers really edit three
// worktrees of the checkout at the same time) + the scripted API + verify-command in each
// worktree + one comparing reviewer + the fake GitHub following a real bare remote + the
// artifact stand-ins that keep the candidates' patches.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { runAction, type ActionRun } from '../harness/action.js'
import {
  startScriptedApi,
  type RecordedRequest,
  type Reply,
  type ScriptedApi,
  workingDirectoryOf,
  firstMessageOf
} from '../harness/anthropic-api.js'
import { startArtifactService, type ArtifactStandIn } from '../harness/artifacts.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'
import { isWrite, startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'
import { createTestRepo, git, type TestRepo } from '../harness/repo.js'
import { errorsOf } from './faults-fixture.js'

const TOKEN = 'ghs_exploreE2eToken0123456789abcdefABCD'
const OWNER = 'acme'
const REPO = 'widgets'
const TASK = 'Fix add() so that add(2, 3) is 5'
const JOB = { runId: 'run-21', jobId: 'job-explore' }

const BUGGY = 'exports.add = (a, b) => a - b\n'
const CHECK =
  "const { add } = require('./src/calc.js')\n" +
  "if (add(2, 3) !== 5) { console.error('add(2, 3) is ' + add(2, 3)); process.exit(1) }\n" +
  "console.log('add is right')\n"

/** Three attempts: the first fails the check, the second passes and is larger, the third smaller. */
const ATTEMPTS = [
  { approach: 'Multiply instead', content: 'exports.add = (a, b) => a * b\n' },
  {
    approach: 'Count up in a loop',
    content:
      'exports.add = (a, b) => {\n  let sum = a\n  for (let i = 0; i < b; i++) sum++\n  return sum\n}\n'
  },
  { approach: 'Fix the operator', content: 'exports.add = (a, b) => a + b\n' }
]

let tmp: TempDir
let repo: TestRepo
let gh: FakeGitHub
let artifacts: ArtifactStandIn
let api: ScriptedApi | undefined

beforeEach(async () => {
  tmp = makeTempDir('tandem-explore-e2e')
  repo = createTestRepo(path.join(tmp.path, 'git'), {
    'src/calc.js': BUGGY,
    'check.js': CHECK,
    'README.md': '# Widgets\n'
  })
  gh = await startFakeGitHub({ token: TOKEN })
  gh.seedRepo({ owner: OWNER, repo: REPO, gitDir: repo.remote })
  artifacts = await startArtifactService()
})

afterEach(async () => {
  try {
    gh.assertClean()
  } finally {
    await api?.close()
    api = undefined
    await artifacts.close()
    await gh.close()
    tmp.cleanup()
  }
})

const attemptOf = (req: RecordedRequest): number | undefined => {
  const found = /This is attempt (\d) of 3/.exec(firstMessageOf(req))
  return found ? Number(found[1]) : undefined
}
const isComparison = (req: RecordedRequest) =>
  firstMessageOf(req).includes('engineers each tried the same task')
const isPlanning = (req: RecordedRequest) =>
  firstMessageOf(req).includes('You are planning, not editing')

/** A writer that rewrites src/calc.js in its own worktree, then reports its approach. */
function candidate(req: RecordedRequest, turn: number, n: number, contents = ATTEMPTS): Reply {
  const file = path.join(workingDirectoryOf(req), 'src/calc.js')
  const attempt = contents[n - 1]!
  if (turn === 0) {
    return {
      toolUses: [
        { name: 'Read', input: { file_path: file } },
        { name: 'Write', input: { file_path: file, content: attempt.content } }
      ]
    }
  }
  return {
    structuredOutput: {
      summary: `${attempt.approach}.`,
      changes: [{ path: 'src/calc.js', why: attempt.approach }],
      approach: attempt.approach
    }
  }
}

function ranking(chosen: number, order: number[]): Reply {
  return {
    structuredOutput: {
      chosen,
      summary: `Candidate ${chosen} is the best.`,
      ranking: order.map((n, i) => ({ candidate: n, rank: i + 1, reason: `reason for ${n}` })),
      findings: []
    }
  }
}

async function explore(options: {
  script: (req: RecordedRequest, turn: number) => Reply
  inputs?: Record<string, string>
}): Promise<ActionRun> {
  api = await startScriptedApi(options.script)
  return runAction({
    api,
    home: path.join(tmp.path, 'home'),
    workspace: repo.workspace,
    inputs: {
      mode: 'explore',
      prompt: TASK,
      candidates: '3',
      concurrency: '3',
      approaches: ATTEMPTS.map(a => a.approach).join('\n'),
      'verify-command': 'node check.js',
      'github-token': TOKEN,
      ...options.inputs
    },
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_GRAPHQL_URL: gh.graphqlUrl,
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_JOB: 'explore',
      ...artifacts.env(JOB)
    },
    timeoutMs: 120_000
  })
}

function pulls() {
  return [...gh.state.repo(OWNER, REPO)!.issues.values()].filter(issue => issue.pull)
}

function expectExit(run: ActionRun, code: number): void {
  if (run.exitCode !== code)
    throw new Error(`action exited ${run.exitCode}, not ${code}:\n${run.log}\n${run.stderr}`)
}

describe('explore mode through dist/index.js', () => {
  it('never chooses the candidate whose check failed, even when the reviewer prefers it', async () => {
    const base = repo.head()
    const run = await explore({
      script: (req, turn) => {
        if (isComparison(req)) return ranking(1, [1, 3, 2])
        const n = attemptOf(req)
        return n ? candidate(req, turn, n) : { text: 'unexpected request' }
      }
    })
    expectExit(run, 0)

    // Three writers, each in a worktree of its own, each given its own approach.
    const writers = api!.mainRequests().filter(req => attemptOf(req) !== undefined)
    const dirs = new Set(writers.map(workingDirectoryOf))
    expect(dirs.size).toBe(3)
    expect(dirs.has(repo.workspace)).toBe(false)
    for (const [i, attempt] of ATTEMPTS.entries()) {
      const own = writers.filter(req => attemptOf(req) === i + 1)
      expect(own.length).toBe(2)
      expect(firstMessageOf(own[0]!)).toContain(`Take this approach: ${attempt.approach}`)
    }

    // ONE comparing reviewer, read-only, that saw every diff and every check result.
    const comparisons = api!.mainRequests().filter(isComparison)
    expect(comparisons).toHaveLength(1)
    const seen = firstMessageOf(comparisons[0]!)
    expect(seen).toContain('+exports.add = (a, b) => a * b')
    expect(seen).toContain('+  for (let i = 0; i < b; i++) sum++')
    expect(seen).toContain('+exports.add = (a, b) => a + b')
    expect(seen).toContain('check: failed (exit 1)')
    expect(seen).toContain('add(2, 3) is 6')
    expect((comparisons[0]!.body.tools as { name: string }[]).map(t => t.name).sort()).toEqual([
      'Glob',
      'Grep',
      'Read',
      'StructuredOutput'
    ])

    // The rules overrule the reviewer: the best-ranked candidate that passed is candidate 3.
    expect(run.outputs).toMatchObject({
      conclusion: 'success',
      chosen: '3',
      'pr-operation': 'created',
      'pr-number': '1',
      'verify-result': 'passed',
      'changed-files': JSON.stringify(['src/calc.js'])
    })
    const entries = JSON.parse(run.outputs.candidates!)
    expect(
      entries.map((e: Record<string, unknown>) => [e.candidate, e.verify, e.rank, e.chosen])
    ).toEqual([
      [1, 'failed', 1, false],
      [2, 'passed', 3, false],
      [3, 'passed', 2, true]
    ])

    // The branch holds exactly candidate 3's change on top of the base.
    const branch = run.outputs.branch!
    expect(git(repo.remote, ['rev-parse', `${branch}~1`])).toBe(base)
    expect(git(repo.remote, ['diff', '--name-only', base, branch])).toBe('src/calc.js')
    expect(git(repo.remote, ['show', `${branch}:src/calc.js`]) + '\n').toBe(ATTEMPTS[2]!.content)

    // ONE pull request whose body compares all three.
    expect(pulls()).toHaveLength(1)
    const body = pulls()[0]!.body ?? ''
    expect(body).toContain(
      '| Candidate | Approach | Files | Lines +/− | Verify | Cost | Rank | Reason |'
    )
    expect(body).toMatch(/\| 1 \| Multiply instead \| 1 \| \+1 −1 \| ❌ failed \|/)
    expect(body).toMatch(/\| 2 \| Count up in a loop \| 1 \| \+5 −1 \| ✅ passed \|/)
    expect(body).toMatch(/\| \*\*3\*\* ✔ \| Fix the operator \| 1 \| \+1 −1 \| ✅ passed \|/)
    expect(body).toContain('The reviewer chose candidate 1, but its check failed')
    expect(run.summary).toContain('| **3** ✔ | Fix the operator |')

    // Every candidate's patch is kept, so a person can take another one.
    const [kept] = artifacts.stored(JOB.runId).filter(a => a.finalized)
    expect(kept!.name).toBe(`tandem-explore-${branch.replace(/^tandem\//, '')}`)
    expect(kept!.files.map(f => f.path).sort()).toEqual([
      'candidate-1.patch',
      'candidate-2.patch',
      'candidate-3.patch',
      'candidates.json'
    ])
    expect(kept!.files.find(f => f.path === 'candidate-2.patch')!.data.toString()).toContain(
      '+  for (let i = 0; i < b; i++) sum++'
    )
    expect(body).toContain('candidate 2 in `candidate-2.patch`')

    // No worktree is left behind.
    expect(
      git(repo.workspace, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)
    ).toHaveLength(1)
  })

  it("takes the reviewer's choice when the rules allow it, and asks for approaches when none are given", async () => {
    const planned = ['Use the plus operator', 'Count up in a loop', 'Subtract the negation']
    const run = await explore({
      inputs: { approaches: '' },
      script: (req, turn) => {
        if (isPlanning(req)) return { structuredOutput: { approaches: planned } }
        if (isComparison(req)) return ranking(2, [2, 3, 1])
        const n = attemptOf(req)
        return n ? candidate(req, turn, n) : { text: 'unexpected request' }
      }
    })
    expectExit(run, 0)
    const planning = api!.mainRequests().filter(isPlanning)
    expect(planning).toHaveLength(1)
    expect(firstMessageOf(planning[0]!)).toContain('Name 3 approaches')
    for (const [i, approach] of planned.entries()) {
      const first = api!.mainRequests().find(req => attemptOf(req) === i + 1)!
      expect(firstMessageOf(first)).toContain(`Take this approach: ${approach}`)
    }
    expect(run.outputs.chosen).toBe('2')
    expect(git(repo.remote, ['show', `${run.outputs.branch}:src/calc.js`]) + '\n').toBe(
      ATTEMPTS[1]!.content
    )
    expect(pulls()[0]!.body).not.toContain('The reviewer chose candidate')
    expect(pulls()[0]!.body).toContain('**Why candidate 2:** Candidate 2 is the best.')

    // The same run again on the same state (a fresh checkout of main) changes nothing on GitHub.
    git(repo.workspace, ['checkout', '--quiet', '--force', 'main'])
    git(repo.workspace, ['clean', '-fdq'])
    gh.assertClean()
    gh.clearLog()
    await api!.close()
    const again = await explore({
      inputs: { approaches: '' },
      script: (req, turn) => {
        if (isPlanning(req)) return { structuredOutput: { approaches: planned } }
        if (isComparison(req)) return ranking(2, [2, 3, 1])
        const n = attemptOf(req)
        return n ? candidate(req, turn, n) : { text: 'unexpected request' }
      }
    })
    expectExit(again, 0)
    expect(again.outputs).toMatchObject({ chosen: '2', 'pr-operation': 'none', 'pr-number': '1' })
    expect(gh.requests.filter(isWrite)).toEqual([])
    expect(pulls()).toHaveLength(1)
  })

  it('pushes nothing when every candidate fails its check', async () => {
    const failing = ATTEMPTS.map((a, i) => ({
      approach: a.approach,
      content: `exports.add = (a, b) => a * b + ${i}\n`
    }))
    const run = await explore({
      script: (req, turn) => {
        if (isComparison(req)) return ranking(1, [1, 2, 3])
        const n = attemptOf(req)
        return n ? candidate(req, turn, n, failing) : { text: 'unexpected request' }
      }
    })
    expectExit(run, 1)
    expect(run.outputs.conclusion).toBe('failure')
    expect(run.outputs.chosen).toBe('')
    expect(pulls()).toHaveLength(0)
    expect(git(repo.remote, ['for-each-ref', '--format=%(refname)', 'refs/heads/tandem/'])).toBe('')
    expect(gh.requests.filter(r => r.method !== 'GET')).toEqual([])
    expect(run.summary).toContain('No candidate can be published')
    expect(run.summary).toMatch(/\| 1 \| Multiply instead \| 1 \| \+1 −1 \| ❌ failed \|/)
  })

  it('publishes nothing when the comparing reviewer gives no valid choice, and keeps every patch', async () => {
    const run = await explore({
      script: (req, turn) => {
        if (isComparison(req)) return ranking(7, [7])
        const n = attemptOf(req)
        return n ? candidate(req, turn, n) : { text: 'unexpected request' }
      }
    })
    expectExit(run, 1)
    expect(run.outputs).toMatchObject({ conclusion: 'failure', chosen: '', 'pr-operation': 'none' })
    expect(pulls()).toHaveLength(0)
    expect(git(repo.remote, ['for-each-ref', '--format=%(refname)', 'refs/heads/tandem/'])).toBe('')
    expect(run.summary).toContain(
      'No candidate can be published: the reviewer did not rank the candidates (the reviewer chose 7: expected a candidate from 1 to 3)'
    )
    const [kept] = artifacts.stored(JOB.runId).filter(a => a.finalized)
    expect(kept!.files.map(f => f.path).sort()).toEqual([
      'candidate-1.patch',
      'candidate-2.patch',
      'candidate-3.patch',
      'candidates.json'
    ])
  })

  it('refuses a checkout that already holds changes before any session runs', async () => {
    writeFileSync(path.join(repo.workspace, 'leak.txt'), `token ${TOKEN}\n`)
    const run = await explore({ script: () => ({ text: 'unexpected request' }) })
    expectExit(run, 1)
    // No session ran, so there is no session conclusion to report.
    expect(run.outputs.conclusion).toBeUndefined()
    expect(errorsOf(run)).toEqual([
      'The checkout has 1 changed or untracked file(s) before explore ran (leak.txt): explore ' +
        'publishes only a candidate that started from HEAD; commit them in an earlier step or remove them'
    ])
    expect(api!.requests.filter(r => !r.isSideRequest)).toHaveLength(0)
    expect(gh.requests.filter(r => r.method !== 'GET')).toEqual([])
    expect(git(repo.remote, ['for-each-ref', '--format=%(refname)', 'refs/heads/tandem/'])).toBe('')
  })
})

// A hostile candidate: what its code does in its worktree, its check or its home must not
// decide for, or reach, another candidate, the log's workflow commands or the published change.
describe('explore mode against hostile candidates', () => {
  /** Workflow commands the runner would act on: outside every stop-commands window. */
  function liveCommands(log: string): string[] {
    const live: string[] = []
    let stopped: string | undefined
    for (const line of log.split('\n')) {
      if (stopped !== undefined) {
        if (line === `::${stopped}::`) stopped = undefined
        continue
      }
      const stop = /^::stop-commands::(.+)$/.exec(line)
      if (stop) stopped = stop[1]
      else if (line.startsWith('::') && line.includes('forged')) live.push(line)
    }
    return live
  }

  it('keeps the workflow commands of checks that run at the same time inert', async () => {
    // Each check prints forged commands before, between and after the other's.
    repo.commit(
      {
        'check.js':
          'const say = () => console.log("::warning title=forged::PWNED")\n' +
          'say(); setTimeout(say, 300); setTimeout(say, 700); setTimeout(() => { say(); ' +
          "require('./src/calc.js').add(2, 3) === 5 || process.exit(1) }, 1100)\n"
      },
      'a chatty check'
    )
    const run = await explore({
      inputs: {
        candidates: '2',
        concurrency: '2',
        approaches: 'Count up in a loop\nFix the operator'
      },
      script: (req, turn) => {
        if (isComparison(req)) return ranking(1, [1, 2])
        const n = Number(/This is attempt (\d) of 2/.exec(firstMessageOf(req))?.[1] ?? 0)
        return n ? candidate(req, turn, n, ATTEMPTS.slice(1)) : { text: 'unexpected request' }
      }
    })
    expectExit(run, 0)
    expect(run.log.match(/::warning title=forged::PWNED/g)).toHaveLength(8)
    expect(liveCommands(run.log)).toEqual([])
  })

  it("gives each candidate a home of its own: one candidate's check cannot fail another's", async () => {
    repo.commit(
      {
        'check.js':
          "const fs = require('fs'), os = require('os')\n" +
          "const mark = os.homedir() + '/planted'\n" +
          "if (fs.existsSync(mark)) { console.error('planted by an earlier candidate'); process.exit(1) }\n" +
          "fs.writeFileSync(mark, 'x')\n" +
          "if (require('./src/calc.js').add(2, 3) !== 5) process.exit(1)\n"
      },
      'a check that plants'
    )
    const run = await explore({
      inputs: {
        candidates: '2',
        concurrency: '1',
        approaches: 'Count up in a loop\nFix the operator'
      },
      script: (req, turn) => {
        if (isComparison(req)) return ranking(2, [2, 1])
        const n = Number(/This is attempt (\d) of 2/.exec(firstMessageOf(req))?.[1] ?? 0)
        return n ? candidate(req, turn, n, ATTEMPTS.slice(1)) : { text: 'unexpected request' }
      }
    })
    expectExit(run, 0)
    const entries = JSON.parse(run.outputs.candidates!)
    expect(entries.map((e: Record<string, unknown>) => e.verify)).toEqual(['passed', 'passed'])
    expect(run.outputs.chosen).toBe('2')
  })

  it('never chooses a change that could not be published, and never keeps its patch', async () => {
    // Candidate 1 also writes a workflow file; the reviewer prefers it.
    const run = await explore({
      inputs: {
        candidates: '2',
        concurrency: '2',
        approaches: 'Fix the operator\nCount up in a loop'
      },
      script: (req, turn) => {
        if (isComparison(req)) return ranking(1, [1, 2])
        const n = Number(/This is attempt (\d) of 2/.exec(firstMessageOf(req))?.[1] ?? 0)
        if (n === 1 && turn === 1) {
          return {
            toolUses: [
              {
                name: 'Write',
                input: {
                  file_path: path.join(workingDirectoryOf(req), '.github/workflows/evil.yml'),
                  content: 'on: push\n'
                }
              }
            ]
          }
        }
        const attempts = [ATTEMPTS[2]!, ATTEMPTS[1]!]
        return n
          ? candidate(req, n === 1 && turn === 2 ? 1 : turn, n, attempts)
          : { text: 'unexpected request' }
      }
    })
    expectExit(run, 0)
    expect(run.outputs.chosen).toBe('2')
    const entries = JSON.parse(run.outputs.candidates!)
    expect(entries[0].error).toContain('workflow files (.github/workflows/evil.yml)')
    expect(git(repo.remote, ['show', `${run.outputs.branch}:src/calc.js`]) + '\n').toBe(
      ATTEMPTS[1]!.content
    )
    const [kept] = artifacts.stored(JOB.runId).filter(a => a.finalized)
    expect(kept!.files.map(f => f.path).sort()).toEqual(['candidate-2.patch', 'candidates.json'])
    expect(pulls()[0]!.body).toContain(
      'The reviewer chose candidate 1, but the change touches workflow files'
    )
  })

  it('never chooses a change that leaves a symlink out of the repository, nor keeps its patch', async () => {
    // Its tools have no Bash: the check, run in its worktree, makes the link for it.
    repo.commit(
      {
        'check.js':
          "const fs = require('fs')\n" +
          "if (fs.readFileSync('src/calc.js', 'utf8').includes('candidate-1'))\n" +
          "  fs.symlinkSync('/etc/passwd', 'passwd-link')\n" +
          "if (require('./src/calc.js').add(2, 3) !== 5) process.exit(1)\n"
      },
      'a check that links out'
    )
    const attempts = [
      { approach: 'Fix the operator', content: 'exports.add = (a, b) => a + b // candidate-1\n' },
      ATTEMPTS[1]!
    ]
    const run = await explore({
      inputs: {
        candidates: '2',
        concurrency: '2',
        approaches: attempts.map(a => a.approach).join('\n')
      },
      script: (req, turn) => {
        if (isComparison(req)) return ranking(1, [1, 2])
        const n = Number(/This is attempt (\d) of 2/.exec(firstMessageOf(req))?.[1] ?? 0)
        return n ? candidate(req, turn, n, attempts) : { text: 'unexpected request' }
      }
    })
    expectExit(run, 0)
    expect(run.outputs.chosen).toBe('2')
    const entries = JSON.parse(run.outputs.candidates!)
    expect(entries.map((e: Record<string, unknown>) => e.verify)).toEqual(['passed', 'passed'])
    expect(entries[0].error).toContain(
      'a symlink out of the repository (passwd-link → /etc/passwd)'
    )
    expect(entries[1].error).toBeNull()
    expect(git(repo.remote, ['show', `${run.outputs.branch}:src/calc.js`]) + '\n').toBe(
      ATTEMPTS[1]!.content
    )
    expect(git(repo.remote, ['ls-tree', '--name-only', run.outputs.branch!])).not.toContain(
      'passwd-link'
    )
    const [kept] = artifacts.stored(JOB.runId).filter(a => a.finalized)
    expect(kept!.files.map(f => f.path).sort()).toEqual(['candidate-2.patch', 'candidates.json'])
    expect(pulls()[0]!.body).toContain('The reviewer chose candidate 1, but ')
  })
})
