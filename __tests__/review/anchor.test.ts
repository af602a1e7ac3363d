import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import {
  MAX_COMMENT_BODY,
  planReview,
  renderFindingComment,
  severityLabel,
  whyNotAnchorable,
  type ReviewPlan
} from '../../src/review/anchor.js'
import { parseUnifiedDiff, type ParsedDiff } from '../../src/review/diff.js'
import {
  findingMarker,
  fingerprint,
  readFingerprints,
  type Finding
} from '../../src/review/findings.js'

// Real `git diff` output from scripts/make-diff-fixtures.sh. Line numbers below were read off
// the fixtures:
// multi-hunk.diff, multi.txt (lines "line N", 60 of them):
//   @@ -2,7 +2,7 @@   old 2..8,  new 2..8;  old 5 deleted, new 5 "line five" added
//   @@ -27,8 +27,6 @@ old 27..34, new 27..32; old 30, 31 deleted; new 30 is "line 32" (context)
//   @@ -53,6 +51,8 @@ old 53..58, new 51..58; new 54, 55 added ("added a", "added b")
// rename.diff: src/old_name.ts → src/new_name.ts, @@ -7,7 +7,7 @@ (old/new 10 replaced);
//   docs/guide.md → docs/manual/guide.md (pure rename); lib/gone.js deleted (old 1..5);
//   lib/fresh.js added (new 1..4)
// binary.diff: image.png and new.bin binary; zz-after.txt @@ -1,3 +1,3 @@ (line 2 replaced)
// no-eol.diff: both.txt @@ -1,3 +1,3 @@, line 3 replaced, no newline at the end on either side
function load(name: string): ParsedDiff {
  return parseUnifiedDiff(
    readFileSync(new URL(`../fixtures/diffs/${name}.diff`, import.meta.url), 'utf8')
  )
}

const multi = load('multi-hunk')
const rename = load('rename')
const binary = load('binary')
const noEol = load('no-eol')

let counter = 0
/** A finding with a title of its own (so fingerprints differ) unless one is given. */
function f(over: Partial<Finding> & Pick<Finding, 'path' | 'line'>): Finding {
  counter++
  return { severity: 'minor', title: `finding ${counter}`, body: 'why', ...over }
}

const NONE = new Set<string>()

function plan(findings: Finding[], diff: ParsedDiff, max = 30, existing = NONE): ReviewPlan {
  return planReview(findings, diff, { existingFingerprints: existing, maxInlineComments: max })
}

/** The comment GitHub would get for a single finding, or the reason it goes off the diff. */
function place(finding: Finding, diff: ParsedDiff): object | string {
  const p = plan([finding], diff)
  if (p.inline.length === 1) {
    const { body: _body, ...comment } = p.inline[0]!.comment
    return comment
  }
  return p.unanchored[0]!.reason
}

describe('whyNotAnchorable on a type change and an unreadable file', () => {
  const typechange = parseUnifiedDiff(
    readFileSync(new URL('../fixtures/diffs/typechange.diff', import.meta.url), 'utf8')
  )

  it('anchors LEFT on the old link target and RIGHT on the new file', () => {
    expect(place(f({ path: 'link', line: 1, side: 'LEFT' }), typechange)).toEqual({
      path: 'link',
      line: 1,
      side: 'LEFT'
    })
    expect(place(f({ path: 'link', line: 2 }), typechange)).toEqual({
      path: 'link',
      line: 2,
      side: 'RIGHT'
    })
  })

  it('lists a finding on an unreadable file with the reason', () => {
    const huge = parseUnifiedDiff(
      'diff --git a/h b/h\n--- a/h\n+++ b/h\n@@ -99999999999999999999 +1 @@\n-a\n+b\n'
    )
    expect(place(f({ path: 'h', line: 1 }), huge)).toMatch(
      /^the diff of this file is unreadable: its hunk header has a line number past/
    )
  })
})

describe('whyNotAnchorable / planReview on multi-hunk.diff', () => {
  it('anchors an added line on RIGHT', () => {
    expect(place(f({ path: 'multi.txt', line: 5 }), multi)).toEqual({
      path: 'multi.txt',
      line: 5,
      side: 'RIGHT'
    })
    expect(whyNotAnchorable(f({ path: 'multi.txt', line: 54 }), multi)).toBeUndefined()
    expect(whyNotAnchorable(f({ path: 'multi.txt', line: 55 }), multi)).toBeUndefined()
  })

  it('anchors an unchanged context line inside a hunk on RIGHT', () => {
    for (const line of [2, 3, 8, 27, 30, 32, 51, 56, 58]) {
      expect(whyNotAnchorable(f({ path: 'multi.txt', line }), multi)).toBeUndefined()
    }
  })

  it('anchors a deleted line on LEFT with its old number', () => {
    expect(place(f({ path: 'multi.txt', line: 30, side: 'LEFT' }), multi)).toEqual({
      path: 'multi.txt',
      line: 30,
      side: 'LEFT'
    })
    expect(whyNotAnchorable(f({ path: 'multi.txt', line: 5, side: 'LEFT' }), multi)).toBe(undefined)
    expect(whyNotAnchorable(f({ path: 'multi.txt', line: 31, side: 'LEFT' }), multi)).toBe(
      undefined
    )
  })

  it('refuses lines outside every hunk, on either side', () => {
    for (const line of [1, 9, 26, 33, 50, 59, 60, 1000]) {
      expect(whyNotAnchorable(f({ path: 'multi.txt', line }), multi)).toBe(
        'the line is outside the diff'
      )
    }
    // Old numbers: hunk 2 ends at old 34, hunk 3 starts at old 53.
    for (const line of [1, 35, 52, 59]) {
      expect(whyNotAnchorable(f({ path: 'multi.txt', line, side: 'LEFT' }), multi)).toBe(
        'the line is outside the diff'
      )
    }
    expect(whyNotAnchorable(f({ path: 'multi.txt', line: 34, side: 'LEFT' }), multi)).toBe(
      undefined
    )
  })

  it('refuses a file the pull request does not touch', () => {
    expect(place(f({ path: 'other.txt', line: 5 }), multi)).toBe(
      'the pull request does not change this file'
    )
  })

  it('anchors a range inside one hunk with start_line and start_side', () => {
    expect(place(f({ path: 'multi.txt', start_line: 3, line: 7 }), multi)).toEqual({
      path: 'multi.txt',
      line: 7,
      side: 'RIGHT',
      start_line: 3,
      start_side: 'RIGHT'
    })
    expect(place(f({ path: 'multi.txt', start_line: 29, line: 31, side: 'LEFT' }), multi)).toEqual({
      path: 'multi.txt',
      line: 31,
      side: 'LEFT',
      start_line: 29,
      start_side: 'LEFT'
    })
  })

  it('refuses a range across two hunks', () => {
    expect(place(f({ path: 'multi.txt', start_line: 5, line: 28 }), multi)).toBe(
      'the line range spans more than one hunk'
    )
    expect(place(f({ path: 'multi.txt', start_line: 30, line: 54 }), multi)).toBe(
      'the line range spans more than one hunk'
    )
  })

  it('refuses a range whose start lies outside the diff as outside, not as spanning hunks', () => {
    expect(place(f({ path: 'multi.txt', start_line: 20, line: 28 }), multi)).toBe(
      'the lines are outside the diff'
    )
    expect(place(f({ path: 'multi.txt', start_line: 3, line: 12 }), multi)).toBe(
      'the lines are outside the diff'
    )
  })

  it('posts start_line == line as a one-line comment, without start_line', () => {
    const comment = place(f({ path: 'multi.txt', start_line: 5, line: 5 }), multi)
    expect(comment).toEqual({ path: 'multi.txt', line: 5, side: 'RIGHT' })
    expect(comment).not.toHaveProperty('start_line')
    expect(comment).not.toHaveProperty('start_side')
  })

  it('refuses start_line > line', () => {
    expect(place(f({ path: 'multi.txt', start_line: 7, line: 5 }), multi)).toBe(
      'start_line is after line'
    )
  })

  it.each(['../x', '../../etc/passwd', '/etc/passwd', 'src/../../x', '..', 'C:\\x', ''])(
    'refuses the path %p as outside the repository',
    path => {
      expect(place(f({ path, line: 5 }), multi)).toBe('the path is outside the repository')
    }
  )

  it('anchors ./multi.txt and " multi.txt" under the diff path', () => {
    const dotted = f({ path: './multi.txt', line: 5 })
    const p = plan([dotted, f({ path: ' multi.txt ', line: 3 })], multi)
    expect(p.inline.map(i => i.comment.path)).toEqual(['multi.txt', 'multi.txt'])
    // The plan hands back the caller's own object, so maps keyed by findings still work.
    expect(p.inline[0]!.finding).toBe(dotted)
  })
})

describe('whyNotAnchorable on no-eol.diff', () => {
  it('anchors the last line on both sides; "\\ No newline at end of file" is not a line', () => {
    expect(whyNotAnchorable(f({ path: 'both.txt', line: 3 }), noEol)).toBeUndefined()
    expect(whyNotAnchorable(f({ path: 'both.txt', line: 3, side: 'LEFT' }), noEol)).toBe(undefined)
    expect(whyNotAnchorable(f({ path: 'both.txt', line: 4 }), noEol)).toBe(
      'the line is outside the diff'
    )
    expect(whyNotAnchorable(f({ path: 'both.txt', line: 4, side: 'LEFT' }), noEol)).toBe(
      'the line is outside the diff'
    )
  })
})

describe('whyNotAnchorable on rename.diff', () => {
  it('anchors under the new path of a renamed file, on both sides', () => {
    expect(place(f({ path: 'src/new_name.ts', line: 10 }), rename)).toEqual({
      path: 'src/new_name.ts',
      line: 10,
      side: 'RIGHT'
    })
    expect(place(f({ path: 'src/new_name.ts', line: 10, side: 'LEFT' }), rename)).toEqual({
      path: 'src/new_name.ts',
      line: 10,
      side: 'LEFT'
    })
    expect(whyNotAnchorable(f({ path: 'src/new_name.ts', line: 6 }), rename)).toBe(
      'the line is outside the diff'
    )
    expect(whyNotAnchorable(f({ path: 'src/new_name.ts', line: 14 }), rename)).toBe(
      'the line is outside the diff'
    )
  })

  it('does not anchor under the old path of a rename', () => {
    expect(whyNotAnchorable(f({ path: 'src/old_name.ts', line: 10 }), rename)).toBe(
      'the pull request does not change this file'
    )
    expect(whyNotAnchorable(f({ path: 'src/old_name.ts', line: 10, side: 'LEFT' }), rename)).toBe(
      'the pull request does not change this file'
    )
  })

  it('refuses a pure rename (no hunks) under either path', () => {
    expect(whyNotAnchorable(f({ path: 'docs/manual/guide.md', line: 1 }), rename)).toBe(
      'the file has no textual changes'
    )
    expect(whyNotAnchorable(f({ path: 'docs/guide.md', line: 1 }), rename)).toBe(
      'the pull request does not change this file'
    )
  })

  it('anchors a deleted file only on LEFT, an added file only on RIGHT', () => {
    expect(whyNotAnchorable(f({ path: 'lib/gone.js', line: 3, side: 'LEFT' }), rename)).toBe(
      undefined
    )
    expect(whyNotAnchorable(f({ path: 'lib/gone.js', line: 3 }), rename)).toBe(
      'the line is outside the diff'
    )
    expect(whyNotAnchorable(f({ path: 'lib/fresh.js', line: 4 }), rename)).toBeUndefined()
    expect(whyNotAnchorable(f({ path: 'lib/fresh.js', line: 5 }), rename)).toBe(
      'the line is outside the diff'
    )
    expect(whyNotAnchorable(f({ path: 'lib/fresh.js', line: 1, side: 'LEFT' }), rename)).toBe(
      'the line is outside the diff'
    )
  })
})

describe('whyNotAnchorable on binary.diff', () => {
  it('refuses binary files and anchors the text file after them', () => {
    expect(whyNotAnchorable(f({ path: 'image.png', line: 1 }), binary)).toBe('binary file')
    expect(whyNotAnchorable(f({ path: 'new.bin', line: 1 }), binary)).toBe('binary file')
    expect(whyNotAnchorable(f({ path: 'zz-after.txt', line: 2 }), binary)).toBeUndefined()
    expect(whyNotAnchorable(f({ path: 'zz-after.txt', line: 4 }), binary)).toBe(
      'the line is outside the diff'
    )
  })
})

describe('planReview', () => {
  it('never drops a finding: each lands in exactly one list', () => {
    const findings = [
      f({ path: 'multi.txt', line: 5 }),
      f({ path: 'multi.txt', line: 20 }),
      f({ path: '../x', line: 1 }),
      f({ path: 'multi.txt', start_line: 5, line: 28 }),
      f({ path: 'gone.txt', line: 1 }),
      f({ path: 'multi.txt', line: 30, side: 'LEFT' })
    ]
    const posted = fingerprint(findings[5]!)
    const p = plan(findings, multi, 30, new Set([posted]))
    const all = [...p.inline, ...p.unanchored, ...p.alreadyPosted].map(item => item.finding)
    expect(all).toHaveLength(findings.length)
    expect(new Set(all)).toEqual(new Set(findings))
    expect(p.inline.map(i => i.finding)).toEqual([findings[0]])
    expect(p.alreadyPosted.map(i => i.finding)).toEqual([findings[5]])
    expect(p.unanchored.map(u => u.reason)).toEqual([
      'the line is outside the diff',
      'the path is outside the repository',
      'the line range spans more than one hunk',
      'the pull request does not change this file'
    ])
  })

  it('keeps the most severe findings inline when the cap is reached', () => {
    const nit = f({ path: 'multi.txt', line: 2, severity: 'nit' })
    const critical = f({ path: 'multi.txt', line: 3, severity: 'critical' })
    const minor = f({ path: 'multi.txt', line: 4, severity: 'minor' })
    const major = f({ path: 'multi.txt', line: 5, severity: 'major' })
    const major2 = f({ path: 'multi.txt', line: 6, severity: 'major' })
    const p = plan([nit, critical, minor, major, major2], multi, 2)
    expect(p.inline.map(i => i.finding)).toEqual([critical, major])
    expect(p.unanchored.map(u => [u.finding, u.reason])).toEqual([
      [major2, 'over the limit of 2 inline comments'],
      [minor, 'over the limit of 2 inline comments'],
      [nit, 'over the limit of 2 inline comments']
    ])
  })

  it('puts everything in the body with a cap of 0', () => {
    const p = plan([f({ path: 'multi.txt', line: 5 })], multi, 0)
    expect(p.inline).toEqual([])
    expect(p.unanchored[0]?.reason).toBe('over the limit of 0 inline comments')
  })

  it('does not count unanchorable or already-posted findings against the cap', () => {
    const posted = f({ path: 'multi.txt', line: 2, severity: 'critical' })
    const outside = f({ path: 'multi.txt', line: 20, severity: 'critical' })
    const ok = f({ path: 'multi.txt', line: 5, severity: 'nit' })
    const p = plan([posted, outside, ok], multi, 1, new Set([fingerprint(posted)]))
    expect(p.inline.map(i => i.finding)).toEqual([ok])
  })

  it('skips findings whose fingerprint is already on the PR, even on another line', () => {
    const first = [f({ path: 'multi.txt', line: 5 }), f({ path: 'multi.txt', line: 30 })]
    const run1 = plan(first, multi)
    expect(run1.inline).toHaveLength(2)
    // The PR now carries the markers of run 1's comments.
    const existing = new Set(run1.inline.flatMap(i => readFingerprints(i.comment.body)))
    const moved = first.map(x => ({ ...x, line: x.line + 1 }))
    const run2 = plan(moved, multi, 30, existing)
    expect(run2.inline).toEqual([])
    expect(run2.unanchored).toEqual([])
    expect(run2.alreadyPosted.map(a => a.finding)).toEqual(moved)
    expect(run2.alreadyPosted.map(a => a.fingerprint)).toEqual(run1.inline.map(i => i.fingerprint))
  })

  it('posts one of two findings with the same fingerprint and lists the other', () => {
    const a = f({ path: 'multi.txt', line: 3, title: 'Same problem', severity: 'minor' })
    const b = f({ path: 'multi.txt', line: 54, title: 'same problem!', severity: 'major' })
    const p = plan([a, b], multi)
    expect(p.inline.map(i => i.finding)).toEqual([b])
    expect(p.unanchored).toEqual([
      { finding: a, fingerprint: fingerprint(a), reason: 'repeats another finding of this review' }
    ])
    expect(p.inline[0]!.fingerprint).toBe(p.unanchored[0]!.fingerprint)
  })

  it('ends every inline comment with its own fingerprint marker', () => {
    const p = plan(
      [f({ path: 'multi.txt', line: 5 }), f({ path: 'multi.txt', line: 30, side: 'LEFT' })],
      multi
    )
    for (const item of p.inline) {
      expect(item.fingerprint).toBe(fingerprint(item.finding))
      expect(item.comment.body.endsWith(findingMarker(item.fingerprint))).toBe(true)
      expect(readFingerprints(item.comment.body)).toEqual([item.fingerprint])
      expect(item.comment.body).toBe(renderFindingComment(item.finding, item.fingerprint))
    }
  })
})

describe('renderFindingComment', () => {
  const fp = '0123456789abcdef'
  const base: Finding = {
    path: 'multi.txt',
    line: 5,
    severity: 'major',
    title: '  Off by one ',
    body: '\nThe loop stops one early.\n'
  }

  /** The lines of the fenced block: [opening fence line, ...content, closing fence]. */
  function fence(body: string): { open: string; content: string[]; close: string } {
    const lines = body.split('\n')
    const start = lines.findIndex(l => /^`{3,}/.test(l))
    const ticks = /^`+/.exec(lines[start]!)![0]
    const end = lines.findIndex((l, i) => i > start && l === ticks)
    return { open: lines[start]!, content: lines.slice(start + 1, end), close: lines[end]! }
  }

  it('renders severity, title, body and the marker last', () => {
    expect(renderFindingComment(base, fp)).toBe(
      `**${severityLabel('major')}** · Off by one\n\nThe loop stops one early.\n\n${findingMarker(fp)}`
    )
    expect(severityLabel('critical')).toContain('Critical')
    expect(severityLabel('nit')).toContain('Nit')
  })

  it('posts a RIGHT suggestion as a suggestion block, one trailing newline dropped', () => {
    const body = renderFindingComment({ ...base, suggestion: 'line 5\n' }, fp)
    expect(fence(body)).toEqual({ open: '```suggestion', content: ['line 5'], close: '```' })
    expect(body.endsWith(`\`\`\`\n\n${findingMarker(fp)}`)).toBe(true)
  })

  it('makes the fence longer than any backtick run in the suggestion', () => {
    const three = 'const s = `x`\n```js\ncode\n```'
    expect(fence(renderFindingComment({ ...base, suggestion: three }, fp))).toEqual({
      open: '````suggestion',
      content: three.split('\n'),
      close: '````'
    })
    const four = '````md\n```\n````'
    expect(fence(renderFindingComment({ ...base, suggestion: four }, fp))).toEqual({
      open: '`````suggestion',
      content: four.split('\n'),
      close: '`````'
    })
  })

  it('renders an empty suggestion as an empty block, which deletes the lines', () => {
    const body = renderFindingComment({ ...base, suggestion: '' }, fp)
    expect(body).toContain('\n\n```suggestion\n```\n\n')
  })

  it('renders a LEFT-side suggestion as a plain code block (GitHub applies only RIGHT)', () => {
    const body = renderFindingComment({ ...base, side: 'LEFT', suggestion: 'old()' }, fp)
    expect(body).not.toContain('suggestion')
    expect(fence(body)).toEqual({ open: '```', content: ['old()'], close: '```' })
  })

  it(`cuts a body over ${MAX_COMMENT_BODY} characters to fit, keeping suggestion and marker`, () => {
    const long = 'x'.repeat(MAX_COMMENT_BODY + 5000)
    const body = renderFindingComment({ ...base, body: long, suggestion: 'fixed()' }, fp)
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_BODY)
    expect(body.length).toBeGreaterThan(MAX_COMMENT_BODY - 200)
    expect(body).toContain("… (cut to fit GitHub's limit)")
    expect(fence(body).content).toEqual(['fixed()'])
    expect(body.endsWith(findingMarker(fp))).toBe(true)
  })

  it('does not cut a body that fits exactly', () => {
    const empty = renderFindingComment({ ...base, body: '' }, fp)
    const room = MAX_COMMENT_BODY - empty.length
    const body = renderFindingComment({ ...base, body: 'y'.repeat(room - 41) }, fp)
    expect(body).not.toContain('cut to fit')
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_BODY)
  })

  it('drops a suggestion too large for GitHub but keeps the start of the text', () => {
    const body = renderFindingComment(
      { ...base, body: 'Reason. '.repeat(20), suggestion: 'z'.repeat(MAX_COMMENT_BODY) },
      fp
    )
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_BODY)
    expect(body).not.toContain('```')
    expect(body).toContain('Reason. Reason.')
    expect(body).toContain('too long for GitHub')
    expect(body.endsWith(findingMarker(fp))).toBe(true)
  })
})
