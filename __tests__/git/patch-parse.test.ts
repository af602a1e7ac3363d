import { describe, expect, it } from '@jest/globals'
import { parsePatch, touchedPaths } from '../../src/git/patch-parse.js'

describe('parsePatch', () => {
  it('reads the files of a git diff: changes, new, deleted, renamed, mode and binary', () => {
    const patch = [
      'diff --git a/src/a.js b/src/a.js',
      'index 1111111..2222222 100644',
      '--- a/src/a.js',
      '+++ b/src/a.js',
      '@@ -1,2 +1,2 @@',
      '-old',
      '+new',
      ' same',
      'diff --git a/new file.txt b/new file.txt',
      'new file mode 100644',
      'index 0000000..3333333',
      '--- /dev/null',
      '+++ b/new file.txt',
      '@@ -0,0 +1 @@',
      '+hello',
      '\\ No newline at end of file',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      'index 4444444..0000000',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      'diff --git a/old.txt b/moved.txt',
      'similarity index 100%',
      'rename from old.txt',
      'rename to moved.txt',
      'diff --git a/run.sh b/run.sh',
      'old mode 100644',
      'new mode 100755',
      'diff --git "a/t\\303\\251st.bin" "b/t\\303\\251st.bin"',
      'new file mode 100644',
      'index 0000000..5555555',
      'GIT binary patch',
      'literal 4',
      'LcmZQzWMT#Y01f~L',
      '',
      'literal 0',
      'HcmV?d00001',
      ''
    ].join('\n')
    const sections = parsePatch(patch)
    expect(sections.map(s => [s.oldPath, s.newPath, s.binary])).toEqual([
      ['src/a.js', 'src/a.js', false],
      [undefined, 'new file.txt', false],
      ['gone.txt', undefined, false],
      ['old.txt', 'moved.txt', false],
      ['run.sh', 'run.sh', false],
      [undefined, 'tést.bin', true]
    ])
    expect(sections[4]!.newMode).toBe('100755')
    expect(sections[1]!.added).toBe('hello')
    expect(touchedPaths(sections)).toEqual([
      'src/a.js',
      'new file.txt',
      'gone.txt',
      'old.txt',
      'moved.txt',
      'run.sh',
      'tést.bin'
    ])
  })

  it('reads an empty patch as no files', () => {
    expect(parsePatch('')).toEqual([])
  })

  it('refuses diff text outside `diff --git` sections and hunks that lie about their length', () => {
    expect(() => parsePatch('--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n')).toThrow(
      /outside a `diff --git` section/
    )
    const short = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-a\n+b\n'
    expect(() => parsePatch(short)).toThrow(/shorter than its header/)
    const trailing =
      'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n'
    expect(() => parsePatch(trailing)).toThrow(/unexpected text between sections/)
    expect(() => parsePatch('diff --git a/x b/x\nBinary files a/x and b/x differ\n')).toThrow(
      /needs --binary/
    )
  })
})
