import { describe, expect, it } from '@jest/globals'
import {
  commitMessage,
  pullRequestTitle,
  renderPullRequestBody,
  renderVerify,
  renderWriteSummary,
  titleFrom,
  writeMarker
} from '../../src/write/render.js'
import type { WriterReport } from '../../src/write/report.js'
import { NO_VERIFY, type VerifyResult } from '../../src/write/verify.js'

const REPORT: WriterReport = {
  summary: 'Fix the off-by-one in paginate.\n\nThe last page was skipped when the count was exact.',
  changes: [
    { path: 'src/paginate.ts', why: 'use <= for the last page' },
    { path: 'test/paginate.test.ts', why: 'cover | exact\ncounts' }
  ]
}

const SESSION = { costUsd: 0.01234, numTurns: 7, model: 'claude-sonnet-5' }

describe('titles and commit messages', () => {
  it('takes the first non-empty line, without a heading mark or a final period', () => {
    expect(titleFrom('\n## Fix the bug.\nmore')).toBe('Fix the bug')
    expect(titleFrom('Wait...')).toBe('Wait...')
    expect(titleFrom('')).toBe('')
  })

  it('cuts a long line at a word, with an ellipsis, within 72 characters', () => {
    const title = titleFrom(
      'Replace the hand-rolled retry loop in the HTTP client with the shared back-off helper everywhere'
    )
    expect(title).toBe('Replace the hand-rolled retry loop in the HTTP client with the shared…')
    expect([...title].length).toBeLessThanOrEqual(72)
  })

  it('falls back from the report to the prompt to a fixed title', () => {
    expect(pullRequestTitle(REPORT, 'task')).toBe('Fix the off-by-one in paginate')
    expect(pullRequestTitle(undefined, 'Make it faster\nplease')).toBe('Make it faster')
    expect(pullRequestTitle(undefined, '   ')).toBe('Changes by Tandem')
  })

  it('writes a subject, the summary and the files with why', () => {
    expect(commitMessage(REPORT, 'task')).toBe(
      [
        'Fix the off-by-one in paginate',
        '',
        'Fix the off-by-one in paginate.\n\nThe last page was skipped when the count was exact.',
        '',
        '- src/paginate.ts: use <= for the last page',
        '- test/paginate.test.ts: cover | exact counts'
      ].join('\n')
    )
    expect(commitMessage({ summary: 'Fix it.', changes: [] }, 'task')).toBe('Fix it')
    expect(commitMessage(undefined, 'Bump the version')).toBe('Bump the version')
  })
})

describe('renderPullRequestBody', () => {
  const base = {
    branch: 'tandem/fix-paginate-0123abcd',
    report: REPORT,
    changedFiles: ['test/paginate.test.ts', 'src/paginate.ts', 'src/extra.ts'],
    verify: NO_VERIFY,
    session: SESSION
  }

  it('lists every file git changed, with the why the writer gave', () => {
    expect(renderPullRequestBody(base)).toBe(
      [
        REPORT.summary,
        '',
        '### Changes (3 files)',
        '',
        '| File | Why |',
        '|---|---|',
        '| `src/extra.ts` | — |',
        '| `src/paginate.ts` | use &lt;= for the last page |',
        '| `test/paginate.test.ts` | cover \\| exact counts |',
        '',
        '---',
        '',
        '<sub>Written by Tandem with Claude Code (`claude-sonnet-5`): 7 turns, $0.0123. Branch ' +
          '`tandem/fix-paginate-0123abcd`; a re-run with the same prompt updates this pull request.</sub>',
        '',
        '<!-- tandem:write branch=tandem/fix-paginate-0123abcd -->',
        ''
      ].join('\n')
    )
  })

  it('is identical for the same result, so a re-run leaves the pull request alone', () => {
    expect(renderPullRequestBody(base)).toBe(renderPullRequestBody({ ...base }))
  })

  it("puts the workflow author's pr-body first and keeps the writer's summary under it", () => {
    const body = renderPullRequestBody({ ...base, userBody: 'Weekly lint sweep.\n' })
    expect(
      body.startsWith('Weekly lint sweep.\n\n### What the writer did\n\nFix the off-by-one')
    ).toBe(true)
  })

  it('says so when the writer gave no report, and caps a long file list', () => {
    const files = Array.from({ length: 105 }, (_, i) => `f${String(i).padStart(3, '0')}.ts`)
    const body = renderPullRequestBody({ ...base, report: undefined, changedFiles: files })
    expect(body).toContain('_The writer did not report what it changed; the diff is below._')
    expect(body).toContain('### Changes (105 files)')
    expect(body).toContain('| `f099.ts` | — |')
    expect(body).not.toContain('f100.ts')
    expect(body).toContain('| … and 5 more | |')
  })

  it('keeps file names with pipes and backticks inside their cell', () => {
    const body = renderPullRequestBody({
      ...base,
      report: undefined,
      changedFiles: ['a|b.ts', 'we`ird.ts']
    })
    expect(body).toContain('| `a\\|b.ts` | — |')
    expect(body).toContain('| `` we`ird.ts `` | — |')
  })

  it('reports the verify result with the tail of its output', () => {
    const verify: VerifyResult = {
      status: 'failed',
      command: 'npm test',
      exitCode: 1,
      tail: 'FAIL test/a.test.ts\n```\nnot a fence end',
      truncated: true,
      durationMs: 1200
    }
    const body = renderPullRequestBody({ ...base, verify })
    expect(body).toContain(
      '### Verify\n\n❌ `npm test` failed (exit 1). A failing check does not stop the pull request'
    )
    expect(body).toContain(
      '<details><summary>The end of its output</summary>\n\n````text\nFAIL test/a.test.ts\n```\nnot a fence end\n````\n\n</details>'
    )
  })
})

describe('renderVerify', () => {
  it('is empty when no command ran', () => {
    expect(renderVerify(NO_VERIFY)).toBe('')
  })

  it('says passed, timed out or could not run', () => {
    expect(renderVerify({ status: 'passed', command: 'make', exitCode: 0, tail: '' })).toBe(
      '✅ `make` passed (exit 0)'
    )
    expect(
      renderVerify({ status: 'failed', command: 'make', exitCode: null, timedOut: true })
    ).toContain('failed (timed out)')
    expect(renderVerify({ status: 'failed', command: 'make', exitCode: null })).toContain(
      'failed (could not run)'
    )
  })
})

describe('renderWriteSummary', () => {
  it('says what was pushed and where the pull request is', () => {
    const md = renderWriteSummary({
      branch: 'tandem/x-1',
      base: 'main',
      commitSha: 'a'.repeat(40),
      pushed: false,
      changedFiles: ['b.ts', 'a.ts'],
      pr: { number: 4, url: 'https://github.com/o/r/pull/4', operation: 'none' },
      verify: { status: 'passed', command: 'true', exitCode: 0, tail: '' }
    })
    expect(md).toContain('| Branch | `tandem/x-1` → `main` |')
    expect(md).toContain(
      '| Commit | `aaaaaaaaaaaa` (the branch already had this tree: not pushed) |'
    )
    expect(md).toContain('| Pull request | [#4](https://github.com/o/r/pull/4) (none) |')
    expect(md).toContain('| Verify | passed |')
    expect(md).toContain('- `a.ts`\n- `b.ts`')
  })

  it('says why it stopped', () => {
    const md = renderWriteSummary({
      branch: 'b',
      base: 'main',
      commitSha: undefined,
      pushed: false,
      changedFiles: [],
      verify: NO_VERIFY,
      stopped: 'refused: workflow files changed'
    })
    expect(md).toContain('| Result | refused: workflow files changed |')
    expect(md).toContain('| Commit | — |')
    expect(md).toContain('| Verify | not run |')
  })
})

describe('helpers', () => {
  it('keeps a branch name from closing the marker comment', () => {
    expect(writeMarker('a-->b')).toBe('<!-- tandem:write branch=ab -->')
  })
})
