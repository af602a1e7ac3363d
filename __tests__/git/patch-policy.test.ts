import { describe, expect, it } from '@jest/globals'
import { parseNumstatZ, unsafePath, unsafeSymlink } from '../../src/git/patch-policy.js'

describe('unsafePath and unsafeSymlink', () => {
  it('refuses .git in any case or disguise, absolute paths and ..', () => {
    expect(unsafePath('src/a.js')).toBeUndefined()
    expect(unsafePath('.github/workflows/ci.yml')).toBeUndefined()
    expect(unsafePath('.gitignore')).toBeUndefined()
    for (const bad of [
      '.git/config',
      'sub/.GIT/hooks/pre-commit',
      '.git./config',
      '.git /config',
      'GIT~1/config',
      '.g\u200cit/config',
      '/etc/passwd',
      'C:/x',
      '../x',
      'a/../../x',
      'a//b',
      './a'
    ]) {
      expect([bad, unsafePath(bad)]).toEqual([bad, expect.any(String)])
    }
  })

  it('lets a symlink point inside the repository only, never into .git', () => {
    expect(unsafeSymlink('lib/link', '../src/a.js')).toBeUndefined()
    expect(unsafeSymlink('link', 'src')).toBeUndefined()
    expect(unsafeSymlink('link', '.git')).toMatch(/into \.git/)
    expect(unsafeSymlink('a/link', '../.git/hooks')).toMatch(/into \.git/)
    expect(unsafeSymlink('link', '/proc/self/environ')).toMatch(/out of the repository/)
    expect(unsafeSymlink('a/link', '../../x')).toMatch(/out of the repository/)
    expect(unsafeSymlink('link', '..')).toMatch(/out of the repository/)
  })
})

describe('parseNumstatZ', () => {
  it('reads one path per record, binary ones too', () => {
    expect(parseNumstatZ('1\t0\tsrc/a b.js\0-\t-\timg.png\0')).toEqual(['src/a b.js', 'img.png'])
  })
})

/** A clone of `repo` that makes one patch per task the way a shard does. */
