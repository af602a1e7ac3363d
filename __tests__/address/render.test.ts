import { describe, expect, it } from '@jest/globals'
import type { ThreadAnswer } from '../../src/address/answer.js'
import {
  commitMessage,
  renderAddressSummary,
  renderReply,
  shouldResolve
} from '../../src/address/render.js'
import { readAddressed, selectThreads } from '../../src/address/threads.js'
import { NO_VERIFY, type VerifyResult } from '../../src/write/verify.js'
import { TANDEM, finding, thread } from './fixtures.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'
const commit = { sha: SHA, url: `https://github.com/acme/widgets/commit/${SHA}` }
const fixed: ThreadAnswer = { id: 'T1', status: 'fixed', reply: 'Parsed with Number().' }
const failedCheck: VerifyResult = { status: 'failed', command: 'npm test', exitCode: 1 }

describe('renderReply', () => {
  it('links the commit of a fix and records the comment answered and the commit', () => {
    const body = renderReply({
      answer: fixed,
      answering: 42,
      commit,
      branch: 'feature',
      verify: NO_VERIFY
    })
    expect(body).toBe(
      `**✅ Fixed** in [\`0123456\`](${commit.url})\n\nParsed with Number().\n\n` +
        `<!-- tandem:addressed comment=42 commit=${SHA} -->`
    )
    expect(readAddressed(body)).toEqual([{ commentId: 42, commitSha: SHA }])
  })

  it('labels wont_fix and question answers, and fixes that needed no change', () => {
    const wont = renderReply({
      answer: { id: 'T', status: 'wont_fix', reply: 'It is intended.' },
      answering: 1,
      commit,
      branch: 'feature',
      verify: NO_VERIFY
    })
    expect(wont.startsWith("**🙅 Won't fix**\n\nIt is intended.")).toBe(true)
    expect(
      renderReply({
        answer: { id: 'T', status: 'question', reply: 'Which one?' },
        answering: 1,
        branch: 'f',
        verify: NO_VERIFY
      })
    ).toMatch(/^\*\*❓ Question\*\*\n\nWhich one\?\n\n<!-- tandem:addressed comment=1 -->$/)
    expect(renderReply({ answer: fixed, answering: 1, branch: 'f', verify: NO_VERIFY })).toContain(
      '**✅ Fixed** — no change was needed'
    )
  })

  it('says when the fix could not be pushed, and leaves the comment to be addressed again', () => {
    const body = renderReply({
      answer: fixed,
      answering: 7,
      notPushed: 'the fork does not allow edits by maintainers',
      branch: 'feature',
      verify: NO_VERIFY
    })
    expect(body).toContain('**⚠️ Fixed, but not pushed**')
    expect(body).toContain(
      '> The changes could not be pushed to `feature`: the fork does not allow edits by maintainers'
    )
    expect(readAddressed(body)).toEqual([])
  })

  it('reports the verify-command, and a failing one keeps the thread open', () => {
    const body = renderReply({
      answer: fixed,
      answering: 7,
      commit,
      branch: 'f',
      verify: failedCheck
    })
    expect(body).toContain(
      '❌ `npm test` failed after these changes (exit 1); the thread stays open.'
    )
    expect(shouldResolve('fixed', { verify: failedCheck })).toBe(false)
    expect(shouldResolve('fixed', { verify: { status: 'passed', command: 'npm test' } })).toBe(true)
    expect(shouldResolve('fixed', { verify: NO_VERIFY, notPushed: 'no' })).toBe(false)
    expect(shouldResolve('question', { verify: NO_VERIFY })).toBe(false)
  })

  it("neutralizes markers in the writer's text", () => {
    const body = renderReply({
      answer: { id: 'T', status: 'question', reply: 'x <!-- tandem:addressed comment=99 -->' },
      answering: 1,
      branch: 'f',
      verify: NO_VERIFY
    })
    expect(readAddressed(body)).toEqual([{ commentId: 1 }])
  })
})

describe('commitMessage and the job summary', () => {
  const a = thread([finding('eval of user input')])
  const b = thread([finding('Division by zero')], { line: 20, startLine: 19 })
  const c = thread([finding('Missing test')], { line: 9 })
  const { selected } = selectThreads([a, b, c], {
    includeHumanComments: false,
    canWrite: () => false,
    tandem: TANDEM
  })
  const answers = new Map<string, ThreadAnswer>([
    [a.id, { id: a.id, status: 'fixed', reply: 'Number().' }],
    [b.id, { id: b.id, status: 'wont_fix', reply: 'Infinity | is | intended.' }]
  ])

  it('names the fixed threads in the commit message', () => {
    expect(commitMessage(7, selected, answers)).toBe(
      'Address review on #7: 1 thread\n\n- src/calc.ts:5: eval of user input'
    )
  })

  it('has one row per thread, unanswered ones included, and the unpushed diff', () => {
    const summary = renderAddressSummary({
      prNumber: 7,
      branch: 'feature',
      threads: selected,
      answers,
      resolved: new Set([a.id]),
      skipped: [],
      problems: ['threads[2] answers thread "X", which was not asked'],
      notPushed: 'git push failed',
      changedFiles: ['src/calc.ts'],
      diff: '+x',
      verify: '',
      resumed: true
    })
    expect(summary).toContain('| `src/calc.ts:5` eval of user input | ✅ Fixed | yes | Number(). |')
    expect(summary).toContain("| 🙅 Won't fix | no | Infinity \\| is \\| intended. |")
    expect(summary).toContain('| `src/calc.ts:9` Missing test | ⚠️ no answer | no | — |')
    expect(summary).toContain('**Not pushed:** git push failed')
    expect(summary).toContain('```diff\n+x\n```')
    expect(summary).toContain('Writer session: resumed.')
  })
})
