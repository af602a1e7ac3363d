import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { canComment, hunkContaining, rangeInOneHunk } from '../../src/review/commentable.js'
import { parseUnifiedDiff, type FileDiff, type ParsedDiff } from '../../src/review/diff.js'

// The fixtures are real `git diff` output made by scripts/make-diff-fixtures.sh; every line
// number below was read off the fixture named in its describe block.
function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/diffs/${name}.diff`, import.meta.url), 'utf8')
}

function load(name: string): ParsedDiff {
  return parseUnifiedDiff(fixture(name))
}

function file(diff: ParsedDiff, path: string): FileDiff {
  const found = diff.byPath.get(path)
  if (found === undefined) throw new Error(`${path} is not in the diff`)
  return found
}

/** Lines 1..max on `side` that accept a comment. */
function commentable(diff: ParsedDiff, path: string, side: 'LEFT' | 'RIGHT', max = 120): number[] {
  const out: number[] = []
  for (let line = 1; line <= max; line++) if (canComment(diff, path, line, side)) out.push(line)
  return out
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

describe('rename.diff: rename with an edit, pure rename, deletion, new file', () => {
  const diff = load('rename')

  it('lists every file under its new path with its status', () => {
    expect(
      diff.files.map(f => [f.oldPath, f.newPath, f.path, f.status, f.additions, f.deletions])
    ).toEqual([
      ['docs/guide.md', 'docs/manual/guide.md', 'docs/manual/guide.md', 'renamed', 0, 0],
      [null, 'lib/fresh.js', 'lib/fresh.js', 'added', 4, 0],
      ['lib/gone.js', null, 'lib/gone.js', 'deleted', 0, 5],
      ['src/old_name.ts', 'src/new_name.ts', 'src/new_name.ts', 'renamed', 1, 1]
    ])
    expect(file(diff, 'docs/manual/guide.md').similarity).toBe(100)
    expect(file(diff, 'src/new_name.ts').similarity).toBe(92)
    expect([...diff.byPath.keys()].sort()).toEqual(diff.files.map(f => f.path).sort())
  })

  it('renamed with an edit (@@ -7,7 +7,7 @@): both sides commentable on lines 7..13 only', () => {
    const f = file(diff, 'src/new_name.ts')
    expect(f.hunks).toHaveLength(1)
    expect(f.hunks[0]?.header).toBe('@@ -7,7 +7,7 @@ old name line 6')
    expect(commentable(diff, 'src/new_name.ts', 'RIGHT')).toEqual(range(7, 13))
    expect(commentable(diff, 'src/new_name.ts', 'LEFT')).toEqual(range(7, 13))
    expect(f.hunks[0]?.lines[3]).toEqual({ kind: 'del', oldLine: 10, text: 'old name line 10' })
    expect(f.hunks[0]?.lines[4]).toEqual({
      kind: 'add',
      newLine: 10,
      text: 'renamed and edited line 10'
    })
  })

  it('takes comments under the new path only, never the old one', () => {
    expect(canComment(diff, 'src/new_name.ts', 10, 'RIGHT')).toBe(true)
    expect(canComment(diff, 'src/old_name.ts', 10, 'RIGHT')).toBe(false)
    expect(canComment(diff, 'src/old_name.ts', 10, 'LEFT')).toBe(false)
  })

  it('a pure rename has no hunk, so no line takes a comment', () => {
    expect(file(diff, 'docs/manual/guide.md').hunks).toEqual([])
    expect(commentable(diff, 'docs/manual/guide.md', 'RIGHT')).toEqual([])
    expect(commentable(diff, 'docs/manual/guide.md', 'LEFT')).toEqual([])
  })

  it('a new file (@@ -0,0 +1,4 @@) takes RIGHT 1..4 and nothing on LEFT', () => {
    expect(commentable(diff, 'lib/fresh.js', 'RIGHT')).toEqual([1, 2, 3, 4])
    expect(commentable(diff, 'lib/fresh.js', 'LEFT')).toEqual([])
  })

  it('a deleted file (@@ -1,5 +0,0 @@) takes LEFT 1..5 and nothing on RIGHT', () => {
    expect(commentable(diff, 'lib/gone.js', 'LEFT')).toEqual([1, 2, 3, 4, 5])
    expect(commentable(diff, 'lib/gone.js', 'RIGHT')).toEqual([])
  })

  it('a range must start strictly before its end, on either side', () => {
    const p = 'src/new_name.ts'
    expect(rangeInOneHunk(diff, p, 7, 13, 'RIGHT')).toBe(true)
    expect(rangeInOneHunk(diff, p, 7, 13, 'LEFT')).toBe(true)
    expect(rangeInOneHunk(diff, p, 6, 10, 'RIGHT')).toBe(false)
    expect(rangeInOneHunk(diff, p, 10, 14, 'RIGHT')).toBe(false)
    expect(rangeInOneHunk(diff, p, 12, 9, 'RIGHT')).toBe(false)
    // GitHub: "start line must precede the end line"; a one-line finding drops start_line.
    expect(rangeInOneHunk(diff, p, 10, 10, 'RIGHT')).toBe(false)
  })

  it('a range may start on LEFT and end on RIGHT when the start row comes first', () => {
    const p = 'src/new_name.ts'
    // Rows: 7 8 9 (context), -10 (row 3), +10 (row 4), 11 12 13 (context).
    expect(rangeInOneHunk(diff, p, 10, 10, 'RIGHT', 'LEFT')).toBe(true)
    expect(rangeInOneHunk(diff, p, 10, 10, 'LEFT', 'RIGHT')).toBe(false)
    expect(rangeInOneHunk(diff, p, 7, 13, 'RIGHT', 'LEFT')).toBe(true)
    expect(rangeInOneHunk(diff, p, 9, 10, 'LEFT', 'RIGHT')).toBe(true)
    expect(rangeInOneHunk(diff, p, 11, 10, 'LEFT', 'RIGHT')).toBe(false)
    // Both ends on the same context row.
    expect(rangeInOneHunk(diff, p, 8, 8, 'RIGHT', 'LEFT')).toBe(false)
  })

  it('rejects ranges on files without hunks or outside the diff', () => {
    expect(rangeInOneHunk(diff, 'docs/manual/guide.md', 1, 2)).toBe(false)
    expect(rangeInOneHunk(diff, 'not/in/diff.ts', 1, 2)).toBe(false)
    expect(rangeInOneHunk(diff, 'lib/fresh.js', 1, 4)).toBe(true)
    expect(rangeInOneHunk(diff, 'lib/fresh.js', 1, 4, 'LEFT')).toBe(false)
    expect(rangeInOneHunk(diff, 'lib/gone.js', 2, 5, 'LEFT')).toBe(true)
  })
})

describe('multi-hunk.diff: three hunks in one file', () => {
  const diff = load('multi-hunk')
  const f = file(diff, 'multi.txt')

  it('reads each hunk header, with and without a section heading', () => {
    expect(f.hunks.map(h => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([
      [2, 7, 2, 7],
      [27, 8, 27, 6],
      [53, 6, 51, 8]
    ])
    expect(f.additions).toBe(3)
    expect(f.deletions).toBe(3)
  })

  it('RIGHT takes the new-side range of each hunk and nothing between them', () => {
    expect(commentable(diff, 'multi.txt', 'RIGHT')).toEqual([
      ...range(2, 8),
      ...range(27, 32),
      ...range(51, 58)
    ])
  })

  it('LEFT takes the old-side range of each hunk, deleted lines included', () => {
    expect(commentable(diff, 'multi.txt', 'LEFT')).toEqual([
      ...range(2, 8),
      ...range(27, 34),
      ...range(53, 58)
    ])
    const deleted = f.hunks[1]?.lines.filter(l => l.kind === 'del').map(l => l.oldLine)
    expect(deleted).toEqual([30, 31])
  })

  it('numbers both sides of context lines after a deletion and after an addition', () => {
    expect(f.hunks[1]?.lines[5]).toEqual({
      kind: 'context',
      oldLine: 32,
      newLine: 30,
      text: 'line 32'
    })
    expect(f.hunks[2]?.lines.slice(3, 6)).toEqual([
      { kind: 'add', newLine: 54, text: 'added a' },
      { kind: 'add', newLine: 55, text: 'added b' },
      { kind: 'context', oldLine: 56, newLine: 56, text: 'line 56' }
    ])
  })

  it('hunkContaining finds the hunk by side, or none between hunks', () => {
    expect(hunkContaining(f, 5, 'RIGHT')).toBe(f.hunks[0])
    expect(hunkContaining(f, 33, 'LEFT')).toBe(f.hunks[1])
    expect(hunkContaining(f, 33, 'RIGHT')).toBeUndefined()
    expect(hunkContaining(f, 54, 'RIGHT')).toBe(f.hunks[2])
    expect(hunkContaining(f, 54, 'LEFT')).toBe(f.hunks[2])
    expect(hunkContaining(f, 1, 'RIGHT')).toBeUndefined()
    expect(hunkContaining(f, 59, 'RIGHT')).toBeUndefined()
  })

  it('a range across two hunks is refused even when both ends are commentable', () => {
    expect(canComment(diff, 'multi.txt', 5, 'RIGHT')).toBe(true)
    expect(canComment(diff, 'multi.txt', 28, 'RIGHT')).toBe(true)
    expect(rangeInOneHunk(diff, 'multi.txt', 5, 28, 'RIGHT')).toBe(false)
    expect(rangeInOneHunk(diff, 'multi.txt', 2, 8, 'RIGHT')).toBe(true)
    expect(rangeInOneHunk(diff, 'multi.txt', 8, 9, 'RIGHT')).toBe(false)
    expect(rangeInOneHunk(diff, 'multi.txt', 27, 34, 'LEFT')).toBe(true)
    expect(rangeInOneHunk(diff, 'multi.txt', 30, 31, 'LEFT')).toBe(true)
    expect(rangeInOneHunk(diff, 'multi.txt', 30, 32, 'RIGHT', 'LEFT')).toBe(true)
    expect(rangeInOneHunk(diff, 'multi.txt', 8, 27, 'RIGHT', 'LEFT')).toBe(false)
  })

  it('refuses line numbers that are not positive integers', () => {
    for (const line of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(canComment(diff, 'multi.txt', line, 'RIGHT')).toBe(false)
    }
  })

  it('defaults to RIGHT, as the findings schema does', () => {
    expect(canComment(diff, 'multi.txt', 54)).toBe(true)
    expect(canComment(diff, 'multi.txt', 34)).toBe(false)
    expect(rangeInOneHunk(diff, 'multi.txt', 51, 58)).toBe(true)
  })
})

describe('no-eol.diff: `\\ No newline at end of file` is not a line', () => {
  const diff = load('no-eol')

  it('on both sides', () => {
    const f = file(diff, 'both.txt')
    expect(f.hunks[0]?.lines).toEqual([
      { kind: 'context', oldLine: 1, newLine: 1, text: 'a' },
      { kind: 'context', oldLine: 2, newLine: 2, text: 'b' },
      { kind: 'del', oldLine: 3, text: 'c' },
      { kind: 'add', newLine: 3, text: 'C' }
    ])
    expect(commentable(diff, 'both.txt', 'RIGHT')).toEqual([1, 2, 3])
    expect(commentable(diff, 'both.txt', 'LEFT')).toEqual([1, 2, 3])
  })

  it('on the old side only, where the marker sits between the - and + lines', () => {
    const f = file(diff, 'old-only.txt')
    expect(f.hunks[0]?.lines.map(l => l.kind)).toEqual(['context', 'del', 'add'])
    expect(f.hunks[0]?.lines[2]).toEqual({ kind: 'add', newLine: 2, text: 'y' })
    expect(commentable(diff, 'old-only.txt', 'RIGHT')).toEqual([1, 2])
  })

  it('on the new side only, where the marker is the last line of the diff', () => {
    const f = file(diff, 'new-only.txt')
    expect(f.hunks[0]?.lines.map(l => l.kind)).toEqual(['context', 'del', 'add'])
    expect(commentable(diff, 'new-only.txt', 'RIGHT')).toEqual([1, 2])
    expect(commentable(diff, 'new-only.txt', 'LEFT')).toEqual([1, 2])
  })
})

describe('one-line.diff: hunk headers without counts', () => {
  const diff = load('one-line')

  it('reads `@@ -1 +1 @@`, `@@ -0,0 +1 @@` and `@@ -1 +0,0 @@` as counts of 1', () => {
    expect(diff.files.map(f => [f.path, f.status])).toEqual([
      ['added.txt', 'added'],
      ['changed.txt', 'modified'],
      ['removed.txt', 'deleted']
    ])
    const heads = diff.files.map(f =>
      f.hunks.map(h => [h.oldStart, h.oldLines, h.newStart, h.newLines])
    )
    expect(heads).toEqual([[[0, 0, 1, 1]], [[1, 1, 1, 1]], [[1, 1, 0, 0]]])
  })

  it('comments land on line 1 of the side that has it', () => {
    expect(canComment(diff, 'changed.txt', 1, 'RIGHT')).toBe(true)
    expect(canComment(diff, 'changed.txt', 1, 'LEFT')).toBe(true)
    expect(canComment(diff, 'changed.txt', 2, 'RIGHT')).toBe(false)
    expect(canComment(diff, 'added.txt', 1, 'RIGHT')).toBe(true)
    expect(canComment(diff, 'added.txt', 1, 'LEFT')).toBe(false)
    expect(canComment(diff, 'removed.txt', 1, 'LEFT')).toBe(true)
    expect(canComment(diff, 'removed.txt', 1, 'RIGHT')).toBe(false)
    expect(rangeInOneHunk(diff, 'changed.txt', 1, 1, 'RIGHT', 'LEFT')).toBe(true)
  })
})

describe('binary.diff and binary-patch.diff: binary files take no comments', () => {
  for (const name of ['binary', 'binary-patch']) {
    const diff = load(name)

    it(`${name}: marks binary files and keeps parsing the text file after them`, () => {
      expect(diff.files.map(f => [f.path, f.status, f.binary, f.hunks.length])).toEqual([
        ['image.png', 'modified', true, 0],
        ['new.bin', 'added', true, 0],
        ['zz-after.txt', 'modified', false, 1]
      ])
      expect(commentable(diff, 'image.png', 'RIGHT')).toEqual([])
      expect(commentable(diff, 'image.png', 'LEFT')).toEqual([])
      expect(commentable(diff, 'new.bin', 'RIGHT')).toEqual([])
      expect(commentable(diff, 'zz-after.txt', 'RIGHT')).toEqual([1, 2, 3])
      expect(file(diff, 'zz-after.txt').hunks[0]?.lines[2]).toEqual({
        kind: 'add',
        newLine: 2,
        text: 'after binary two'
      })
    })
  }
})

describe('mode.diff: mode changes', () => {
  const diff = load('mode')

  it('a mode change alone is mode-only and takes no comments', () => {
    const f = file(diff, 'run.sh')
    expect([f.status, f.oldMode, f.newMode, f.hunks.length]).toEqual([
      'mode-only',
      '100644',
      '100755',
      0
    ])
    expect(commentable(diff, 'run.sh', 'RIGHT')).toEqual([])
  })

  it('a mode change with an edit is modified and takes comments in its hunk', () => {
    const f = file(diff, 'both.sh')
    expect([f.status, f.oldMode, f.newMode]).toEqual(['modified', '100644', '100755'])
    expect(commentable(diff, 'both.sh', 'RIGHT')).toEqual([1, 2, 3])
  })
})

describe('quoted.diff: paths with spaces, non-ASCII, tabs and quotes', () => {
  const diff = load('quoted')

  it('decodes C-quoted names (octal UTF-8 bytes, \\t, \\") and keeps unquoted spaces', () => {
    expect(diff.files.map(f => [f.oldPath, f.path, f.status])).toEqual([
      ['café/naïve résumé.md', 'café/naïve résumé.md', 'modified'],
      ['dir with space/file name.txt', 'dir with space/file name.txt', 'modified'],
      ['old name.txt', 'new name.txt', 'renamed'],
      ['say "hi".txt', 'say "hi".txt', 'modified'],
      ['tab\there.txt', 'tab\there.txt', 'modified'],
      ['plain.txt', 'ünïcode.txt', 'renamed']
    ])
  })

  it('answers comments under the decoded paths', () => {
    expect(commentable(diff, 'café/naïve résumé.md', 'RIGHT')).toEqual([1, 2, 3])
    expect(commentable(diff, 'dir with space/file name.txt', 'RIGHT')).toEqual([1, 2, 3])
    expect(commentable(diff, 'say "hi".txt', 'LEFT')).toEqual([1, 2, 3])
    expect(commentable(diff, 'tab\there.txt', 'RIGHT')).toEqual([1, 2, 3])
    expect(commentable(diff, 'new name.txt', 'RIGHT')).toEqual([1, 2, 3, 4])
    // The rename's hunk is @@ -5,4 +5,4 @@.
    expect(commentable(diff, 'ünïcode.txt', 'RIGHT')).toEqual([5, 6, 7, 8])
    expect(
      canComment(diff, '"a/caf\\303\\251/na\\303\\257ve r\\303\\251sum\\303\\251.md"', 2)
    ).toBe(false)
  })
})

describe('copy.diff: a copy with an edit', () => {
  const diff = load('copy')

  it('is listed under the copy, from the original', () => {
    const f = file(diff, 'copy.c')
    expect([f.oldPath, f.newPath, f.status, f.similarity]).toEqual([
      'orig.c',
      'copy.c',
      'copied',
      88
    ])
    expect(diff.byPath.has('orig.c')).toBe(false)
    expect(commentable(diff, 'copy.c', 'RIGHT')).toEqual(range(1, 6))
  })
})

describe('no-prefix.diff: git diff --no-prefix', () => {
  const diff = load('no-prefix')

  it('keeps the whole path, even a first directory named a', () => {
    expect(diff.files.map(f => [f.oldPath, f.newPath, f.status])).toEqual([
      ['a/x.txt', 'a/x.txt', 'modified'],
      ['b c.txt', 'b c.txt', 'modified'],
      [null, 'new.txt', 'added']
    ])
    expect(commentable(diff, 'a/x.txt', 'RIGHT')).toEqual([1, 2, 3])
    expect(canComment(diff, 'x.txt', 2)).toBe(false)
    expect(commentable(diff, 'new.txt', 'RIGHT')).toEqual([1, 2])
  })
})

describe('crlf.diff: CRLF inside the content', () => {
  const diff = load('crlf')

  it('keeps the carriage return as part of the line text', () => {
    expect(file(diff, 'dos.txt').hunks[0]?.lines).toEqual([
      { kind: 'context', oldLine: 1, newLine: 1, text: 'one\r' },
      { kind: 'del', oldLine: 2, text: 'two\r' },
      { kind: 'add', newLine: 2, text: 'TWO\r' },
      { kind: 'context', oldLine: 3, newLine: 3, text: 'three\r' }
    ])
  })

  it('reads a whole diff saved with CRLF endings: headers clean, content keeps its \\r', () => {
    const crlf = parseUnifiedDiff(fixture('rename').replace(/\n/g, '\r\n'))
    expect(crlf.files.map(f => f.path)).toEqual(load('rename').files.map(f => f.path))
    expect(commentable(crlf, 'src/new_name.ts', 'RIGHT')).toEqual(range(7, 13))
    expect(file(crlf, 'src/new_name.ts').hunks[0]?.lines[0]?.text).toBe('old name line 7\r')
  })
})

describe('plain.diff: diff -ru without git headers', () => {
  const diff = load('plain')

  it('reads --- / +++ names, quoted or not, without their timestamps or a/ b/', () => {
    expect(diff.files.map(f => [f.path, f.status, f.binary])).toEqual([
      ['blob.bin', 'modified', true],
      ['kept.txt', 'modified', false],
      ['with space.txt', 'modified', false]
    ])
    expect(commentable(diff, 'kept.txt', 'RIGHT')).toEqual(range(1, 6))
    expect(commentable(diff, 'with space.txt', 'LEFT')).toEqual([1, 2])
    expect(commentable(diff, 'blob.bin', 'RIGHT')).toEqual([])
  })
})

describe('lookalike.diff: content lines that look like diff syntax', () => {
  const diff = load('lookalike')

  it('trusts the hunk counts: `--- x`, `+++ x`, `@@` and `diff --git` lines stay content', () => {
    expect(diff.files).toHaveLength(1)
    const f = file(diff, 'query.sql')
    expect([f.additions, f.deletions]).toEqual([3, 2])
    expect(f.hunks[0]?.lines).toEqual([
      { kind: 'context', oldLine: 1, newLine: 1, text: 'select 1;' },
      { kind: 'del', oldLine: 2, text: '-- comment' },
      { kind: 'del', oldLine: 3, text: '++ counter' },
      { kind: 'add', newLine: 2, text: '++ more' },
      { kind: 'add', newLine: 3, text: '@@ -1 +1 @@' },
      { kind: 'add', newLine: 4, text: 'diff --git a/x b/x' },
      { kind: 'context', oldLine: 4, newLine: 5, text: '' },
      { kind: 'context', oldLine: 5, newLine: 6, text: 'end' }
    ])
    expect(commentable(diff, 'query.sql', 'RIGHT')).toEqual(range(1, 6))
    expect(commentable(diff, 'query.sql', 'LEFT')).toEqual(range(1, 5))
  })

  it('reads an empty context line whose lone space was stripped', () => {
    const text = fixture('lookalike')
    expect(text).toContain('\n \n')
    const stripped = parseUnifiedDiff(text.replace('\n \n', '\n\n'))
    expect(file(stripped, 'query.sql').hunks[0]?.lines).toEqual(
      file(diff, 'query.sql').hunks[0]?.lines
    )
  })
})

describe('format-patch.diff: a mail with a message before the diff', () => {
  it('takes --- / +++ lines in the message for prose unless a hunk follows them', () => {
    const diff = load('format-patch')
    expect(diff.files.map(f => f.path)).toEqual(['patched.txt'])
    expect(commentable(diff, 'patched.txt', 'RIGHT')).toEqual(range(1, 5))
    expect(canComment(diff, 'not-a-file.txt', 1)).toBe(false)
  })
})

describe('combined.diff: a merge shown with diff --cc', () => {
  it('is skipped: a combined diff has no single old side to anchor on', () => {
    const text = fixture('combined')
    expect(text.startsWith('diff --cc m.txt')).toBe(true)
    expect(parseUnifiedDiff(text).files).toEqual([])
    // A normal file after it is still read.
    const both = parseUnifiedDiff(text + fixture('crlf'))
    expect(both.files.map(f => f.path)).toEqual(['dos.txt'])
  })
})

describe('typechange.diff: a symlink becomes a file (a deletion and an addition of one path)', () => {
  const diff = load('typechange')

  it('keeps both entries in order and one file with both sides for anchoring', () => {
    expect(diff.files.map(f => [f.path, f.status])).toEqual([
      ['link', 'deleted'],
      ['link', 'added'],
      ['other.txt', 'modified']
    ])
    const link = file(diff, 'link')
    expect(link).toMatchObject({
      oldPath: 'link',
      newPath: 'link',
      status: 'modified',
      oldMode: '120000',
      newMode: '100644',
      additions: 2,
      deletions: 1,
      typeChange: true
    })
  })

  it('takes LEFT comments on the old side (the link target) and RIGHT on the new file', () => {
    expect(commentable(diff, 'link', 'LEFT')).toEqual([1])
    expect(commentable(diff, 'link', 'RIGHT')).toEqual([1, 2])
    expect(rangeInOneHunk(diff, 'link', 1, 2, 'RIGHT')).toBe(true)
    // The two sides are two hunks: a range from one to the other is not one hunk.
    expect(rangeInOneHunk(diff, 'link', 1, 2, 'RIGHT', 'LEFT')).toBe(false)
    expect(commentable(diff, 'other.txt', 'RIGHT')).toEqual([1, 2, 3])
  })
})

describe('absurd hunk numbers: that file is unreadable, the rest is read', () => {
  const text = [
    'diff --git a/huge.txt b/huge.txt',
    'index 1111111..2222222 100644',
    '--- a/huge.txt',
    '+++ b/huge.txt',
    '@@ -9007199254740993,2 +9007199254740993,2 @@',
    ' a',
    '-b',
    '+c',
    fixture('typechange').split('\n').slice(-11).join('\n')
  ].join('\n')
  const diff = parseUnifiedDiff(text)

  it('marks the file with the reason and no hunks, never a rounded line number', () => {
    const huge = file(diff, 'huge.txt')
    expect(huge.hunks).toEqual([])
    expect(huge.unreadable).toContain('past 9007199254740991')
    expect(commentable(diff, 'huge.txt', 'RIGHT')).toEqual([])
  })

  it('reads the next file as usual', () => {
    expect(commentable(diff, 'other.txt', 'RIGHT')).toEqual([1, 2, 3])
    expect(file(diff, 'other.txt').additions).toBe(1)
  })

  it('takes 2^53 − 1 itself as a (valid) number', () => {
    const max = parseUnifiedDiff(
      'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -9007199254740991 +9007199254740991 @@\n-a\n+b\n'
    )
    expect(file(max, 'x').unreadable).toBeUndefined()
    expect(hunkContaining(file(max, 'x'), 9007199254740991, 'RIGHT')).toMatchObject({
      oldStart: 9007199254740991,
      oldLines: 1,
      newStart: 9007199254740991,
      newLines: 1
    })
  })
})

describe('cut-short and empty diffs', () => {
  it('an empty diff has no files and takes no comments', () => {
    for (const text of ['', fixture('empty'), '\n']) {
      const diff = parseUnifiedDiff(text)
      expect(diff.files).toEqual([])
      expect(diff.byPath.size).toBe(0)
      expect(canComment(diff, 'anything', 1)).toBe(false)
    }
  })

  it('a hunk cut short keeps the lines that arrived, and the next file still parses', () => {
    const multi = fixture('multi-hunk')
    // The second hunk (@@ -27,8 +27,6 @@) stops after `-line 30`: old 31..34, new 30..32 are gone.
    const lines = multi.split('\n')
    const second = lines.findIndex(l => l.startsWith('@@ -27,8'))
    const cut = lines.slice(0, second + 5).join('\n') + '\n' + fixture('crlf')
    const diff = parseUnifiedDiff(cut)
    expect(diff.files.map(f => f.path)).toEqual(['multi.txt', 'dos.txt'])
    const hunk = file(diff, 'multi.txt').hunks[1]
    expect([hunk?.oldStart, hunk?.oldLines, hunk?.newStart, hunk?.newLines]).toEqual([27, 4, 27, 3])
    expect(commentable(diff, 'multi.txt', 'LEFT').filter(l => l > 20)).toEqual(range(27, 30))
    expect(commentable(diff, 'dos.txt', 'RIGHT')).toEqual([1, 2, 3])
  })

  it('a diff without a final newline still ends its last hunk', () => {
    const diff = parseUnifiedDiff(fixture('crlf').trimEnd())
    expect(file(diff, 'dos.txt').hunks[0]?.lines).toHaveLength(4)
    expect(commentable(diff, 'dos.txt', 'RIGHT')).toEqual([1, 2, 3])
  })
})

describe('large.diff: 320 files, about 20,000 lines', () => {
  const text = fixture('large')

  it('parses every file and hunk', () => {
    const diff = parseUnifiedDiff(text)
    expect(diff.files).toHaveLength(320)
    expect(diff.byPath.size).toBe(320)
    expect(diff.files.reduce((n, f) => n + f.hunks.length, 0)).toBe(288 * 8 + 32)
    expect(diff.files.reduce((n, f) => n + f.additions, 0)).toBe(288 * 8 + 32 * 20)
    expect(diff.files.reduce((n, f) => n + f.deletions, 0)).toBe(288 * 8)
    expect(diff.files.filter(f => f.status === 'added').map(f => f.path)).toContain('pkg/f319.txt')
  })

  it('answers from each file’s hunk ranges', () => {
    const diff = parseUnifiedDiff(text)
    // pkg/f0.txt: eight hunks @@ -N,7 +N,7 @@ for N = 2, 14, ..., 86.
    const expected = [2, 14, 26, 38, 50, 62, 74, 86].flatMap(n => range(n, n + 6))
    expect(commentable(diff, 'pkg/f0.txt', 'RIGHT')).toEqual(expected)
    expect(commentable(diff, 'pkg/f0.txt', 'LEFT')).toEqual(expected)
    expect(commentable(diff, 'pkg/f9.txt', 'RIGHT')).toEqual(range(1, 20))
    expect(rangeInOneHunk(diff, 'pkg/f318.txt', 86, 92)).toBe(true)
    expect(rangeInOneHunk(diff, 'pkg/f318.txt', 80, 86)).toBe(false)
  })
})
