import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { branchForPrompt, invalidBranchName, slugify } from '../../src/git/branch-name.js'

describe('branchForPrompt', () => {
  it('is tandem/<slug>-<8 hex>, the same for the same prompt on every run', () => {
    const branch = branchForPrompt('Fix the lint errors in src/')
    expect(branch).toMatch(/^tandem\/fix-the-lint-errors-in-src-[0-9a-f]{8}$/)
    expect(branchForPrompt('Fix the lint errors in src/')).toBe(branch)
  })

  it('ignores whitespace differences but not wording differences', () => {
    const a = branchForPrompt('Fix the lint errors')
    expect(branchForPrompt('  Fix the\n\tlint   errors\n')).toBe(a)
    // Same slug, different prompt: the hash keeps them apart.
    expect(branchForPrompt('fix: the lint errors!')).not.toBe(a)
    expect(branchForPrompt('fix: the lint errors!').split('-').slice(0, -1).join('-')).toBe(
      a.split('-').slice(0, -1).join('-')
    )
  })

  it('keeps long prompts short, cut at a word', () => {
    const branch = branchForPrompt(
      'Rewrite every module under src/legacy to use the new logger and remove the old one entirely'
    )
    expect(branch).toMatch(/^tandem\/rewrite-every-module-under-src-legacy-to-[0-9a-f]{8}$/)
  })

  it('folds accents and falls back to "task" when nothing ASCII is left', () => {
    expect(slugify('Café façade')).toBe('cafe-facade')
    expect(branchForPrompt('日本語のタスク')).toMatch(/^tandem\/task-[0-9a-f]{8}$/)
    expect(slugify('x'.repeat(100))).toBe('x'.repeat(40))
  })

  it('always gives a name git accepts', () => {
    const prompts = [
      'Fix ../../etc/passwd',
      '--force push to main',
      'refs/heads/main @{upstream} ~^:?*[\\',
      'a.lock/b.lock',
      '.hidden .. dots...',
      '🚀 ship it',
      ''
    ]
    for (const prompt of prompts) {
      const branch = branchForPrompt(prompt)
      expect(invalidBranchName(branch)).toBeUndefined()
      expect(() =>
        execFileSync('git', ['check-ref-format', '--branch', branch], { stdio: 'pipe' })
      ).not.toThrow()
    }
  })
})

describe('invalidBranchName', () => {
  it('accepts ordinary names', () => {
    for (const name of ['feature/x', 'tandem/fix-1', 'a_b.c', 'release-1.2', 'UPPER/Case']) {
      expect(invalidBranchName(name)).toBeUndefined()
    }
  })

  it('refuses what git refuses, and names that would push elsewhere', () => {
    const bad = [
      '',
      'HEAD',
      '@',
      'refs/heads/main',
      '-x',
      'a b',
      'a~1',
      'a^',
      'a:b',
      'a?',
      'a*',
      'a[',
      'a\\b',
      'a..b',
      'a@{1}',
      'a/',
      '/a',
      'a//b',
      'a.',
      '.a',
      'a/.b',
      'a.lock',
      'a/b.lock/c',
      'tab\tname',
      'del\x7f'
    ]
    for (const name of bad)
      expect([name, invalidBranchName(name)]).toEqual([name, expect.any(String)])
  })

  it('agrees with git check-ref-format on the names git itself refuses', () => {
    for (const name of ['a..b', 'a.lock', '.a', 'a b', 'a~1', 'a//b', 'a.']) {
      expect(() =>
        execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'pipe' })
      ).toThrow()
    }
  })
})
