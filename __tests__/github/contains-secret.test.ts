import { describe, expect, it } from '@jest/globals'
import { containsSecret } from '../../src/github/redact.js'

const TOKEN = 'ghs_abcdefghijklmnopqrstuvwxyz0123456789'

describe('containsSecret', () => {
  it('finds a secret as itself and in the encodings it is usually printed in', () => {
    expect(containsSecret(`token=${TOKEN}`, [TOKEN])).toBe(true)
    const header = Buffer.from(`x-access-token:${TOKEN}`).toString('base64')
    expect(containsSecret(`AUTHORIZATION: basic ${header}`, [TOKEN])).toBe(true)
    expect(containsSecret(Buffer.from(TOKEN).toString('base64'), [TOKEN])).toBe(true)
  })

  it('does not count token-shaped strings that are not this run’s secrets', () => {
    expect(containsSecret('example: ghp_000000000000000000000000000000000000', [TOKEN])).toBe(false)
    expect(containsSecret('anything', [])).toBe(false)
    expect(containsSecret('abc', ['abc'])).toBe(false)
  })
})
