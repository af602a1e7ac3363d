import { describe, expect, it } from '@jest/globals'
import { redactSecrets } from '../../src/github/redact.js'

// Built at run time so no token-shaped literal sits in the repository for scanners to flag.
const token = (prefix: string, length: number) => prefix + 'A1b2C3d4E5'.repeat(10).slice(0, length)

describe('redactSecrets', () => {
  it('masks every occurrence of each secret', () => {
    const text = 'key=s3cr3t-value and again s3cr3t-value; api=other-secret'
    expect(redactSecrets(text, ['s3cr3t-value', 'other-secret'])).toBe(
      'key=*** and again ***; api=***'
    )
  })

  it('masks the longer secret whole when one contains another', () => {
    expect(redactSecrets('abcd-efgh', ['abcd', 'abcd-efgh'])).toBe('***')
  })

  it('ignores empty and very short values', () => {
    expect(redactSecrets('a cat sat', ['', '  ', 'a'])).toBe('a cat sat')
  })

  it('masks the encodings a secret is usually seen in', () => {
    const secret = 'plain-token-123'
    const header = Buffer.from(`x-access-token:${secret}`).toString('base64')
    const text = `AUTHORIZATION: basic ${header}\n${Buffer.from(secret).toString('base64')}`
    expect(redactSecrets(text, [secret])).toBe('AUTHORIZATION: basic ***\n***')
    expect(redactSecrets('u=a%2Fb%3Dc%2Bd', ['a/b=c+d'])).toBe('u=***')
  })

  it('masks each line of a multi-line secret', () => {
    const key = '-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----'
    expect(redactSecrets('the middle: MIIEvQIBADANBgkq', [key])).toBe('the middle: ***')
  })

  it('masks GitHub and Anthropic token shapes it was not told about', () => {
    for (const prefix of ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_']) {
      const value = token(prefix, 36)
      expect(redactSecrets(`token: ${value}.`, [])).toBe('token: ***.')
    }
    const pat = token('github_pat_', 82)
    expect(redactSecrets(`"${pat}"`, [])).toBe('"***"')
    const anthropic = token('sk-ant-api03-', 40) + '-_x'
    expect(redactSecrets(`ANTHROPIC_API_KEY=${anthropic}\n`, [])).toBe('ANTHROPIC_API_KEY=***\n')
  })

  it('leaves look-alikes alone', () => {
    const text = 'ghp_ is a prefix; sk-ant- too; my_ghp_x; github_pat_short'
    expect(redactSecrets(text, [])).toBe(text)
  })
})
