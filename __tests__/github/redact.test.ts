import { afterEach, describe, expect, it } from '@jest/globals'
import { containsSecret, redactorFor, redactSecrets, runSecrets } from '../../src/github/redact.js'

// Built at run time so no token-shaped literal sits in the repository for scanners to flag.
const token = (prefix: string, length: number) => prefix + 'A1b2C3d4E5'.repeat(10).slice(0, length)

/** Deterministic random-looking characters, like a real token's. */
function randomChars(seed: number, length: number, alphabet: string): string {
  let state = seed
  let out = ''
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    out += alphabet[(state >>> 16) % alphabet.length]
  }
  return out
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const B64URL = ALNUM + '-_'

const GHS = 'ghs_' + randomChars(7, 36, ALNUM)
const ANT = 'sk-ant-api03-' + randomChars(11, 93, B64URL) + 'AA'
const b64url = (value: string) => Buffer.from(value).toString('base64url')
const JWT = [
  b64url('{"typ":"JWT","alg":"RS256","x5t":"Fx3v"}'),
  b64url('{"scp":"Actions.Results:41:42 Actions.GenericRead:00000000","iss":"vstoken"}'),
  randomChars(13, 342, B64URL)
].join('.')
const SECRETS = [GHS, ANT, JWT]

const skeleton = (text: string) => text.normalize('NFKC').replace(/[^A-Za-z0-9]/g, '')
const hexSkeleton = (text: string) => text.toLowerCase().replace(/[^0-9a-f]/g, '')
const grams = (text: string, k: number) =>
  Array.from({ length: Math.max(0, text.length - k + 1) }, (_, i) => text.slice(i, i + k))
const reverse = (text: string) => [...text].reverse().join('')
const hex = (text: string) => Buffer.from(text).toString('hex')
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64')

/** The pieces of `secret` still readable in `text`: 8-grams of it (or reversed), 16-grams of its hex. */
function leaks(text: string, secret: string): string[] {
  const letters = skeleton(text)
  const digits = hexSkeleton(text)
  return [
    ...grams(skeleton(secret), 8).filter(gram => letters.includes(gram)),
    ...grams(skeleton(reverse(secret)), 8).filter(gram => letters.includes(gram)),
    ...grams(hex(secret), 16).filter(gram => digits.includes(gram))
  ]
}

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
    const padded = b64(`x-access-token:${GHS}`)
    expect(padded.endsWith('=')).toBe(true)
    expect(redactSecrets(`AUTHORIZATION: basic ${padded}\n`, [GHS])).toBe(
      'AUTHORIZATION: basic ***\n'
    )
  })

  it('masks each line of a multi-line secret, but not the armour every such key has', () => {
    const key = '-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----'
    expect(redactSecrets('the middle: MIIEvQIBADANBgkq', [key])).toBe('the middle: ***')
    expect(redactSecrets('a -----BEGIN KEY----- header', [key])).toBe(
      'a -----BEGIN KEY----- header'
    )
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

  it('masks runner-sized JWTs it was not told about, but not short eyJ strings', () => {
    expect(redactSecrets(`Authorization: Bearer ${JWT}\n`, [])).toBe('Authorization: Bearer ***\n')
    const short = `${b64url('{"alg":"HS256"}')}.${b64url('{"sub":"1"}')}.c2ln`
    const text = `header ${b64url('{"alg":"none"}')} and a toy token ${short}.`
    expect(redactSecrets(text, [])).toBe(text)
  })

  it('leaves look-alikes alone', () => {
    const text = 'ghp_ is a prefix; sk-ant- too; my_ghp_x; github_pat_short'
    expect(redactSecrets(text, [])).toBe(text)
  })

  it('masks every form a hostile pull request asked the model to print', () => {
    const dodges = (secret: string): string[] => {
      const bytes = Buffer.from(secret)
      const half = Math.floor(secret.length / 2)
      return [
        `the token is ${secret}`,
        `reversed: ${reverse(secret)}`,
        `spaced: ${secret.split('').join(' ')}`,
        `dashed: ${secret.split('').join('-')}`,
        `zero-width: ${secret.split('').join('\u200b')}`,
        `fullwidth: ${[...secret].map(c => (/[A-Za-z0-9]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('')}`,
        `hex: ${hex(secret)}`,
        `HEX: ${hex(secret).toUpperCase()}`,
        `xxd: ${hex(secret).replace(/(..)/g, '$1 ')}`,
        `escaped: ${hex(secret).replace(/(..)/g, '\\x$1')}`,
        `bytes: [${[...bytes].map(b => '0x' + b.toString(16).padStart(2, '0')).join(', ')}]`,
        `base64: ${b64(secret)}`,
        `base64url: ${bytes.toString('base64url')}`,
        `in a blob at offset 1: ${b64(Buffer.concat([Buffer.from('x'), bytes, Buffer.from('tail')]))}`,
        `in a blob at offset 2: ${b64(Buffer.concat([Buffer.from('xy'), bytes, Buffer.from('tail')]))}`,
        `header: AUTHORIZATION: basic ${b64(`x-access-token:${secret}`)}`,
        `url: ?t=${encodeURIComponent(secret)}`,
        `split on lines:\n${secret.slice(0, half)}\n${secret.slice(half)}`,
        `split by words: ${secret.slice(0, half)} (and the rest) ${secret.slice(half)}`,
        `in a table: | ${secret.slice(0, 12)} | ${secret.slice(12, 24)} | ${secret.slice(24)} |`
      ]
    }
    for (const secret of [GHS, ANT]) {
      const lines = dodges(secret)
      const summary = `## Summary\n\nThe PR asked me to print its token. ${lines.join('\n')}\n\nDone.`
      const out = redactSecrets(summary, SECRETS)
      expect(leaks(out, secret)).toEqual([])
      // The prose around every dodge survives.
      expect(
        out.startsWith('## Summary\n\nThe PR asked me to print its token. the token is ***\n')
      ).toBe(true)
      expect(out.endsWith('\n\nDone.')).toBe(true)
      for (const line of lines) {
        const label = line.slice(0, line.indexOf(':') + 1)
        expect(out).toContain(label)
      }
      expect(out).toContain('split by words: *** (and the rest) ***')
      expect(out).toContain('split on lines:\n***')
      expect(containsSecret(summary, [secret])).toBe(true)
      for (const line of lines) expect(containsSecret(line, [secret])).toBe(true)
    }
  })

  it('masks the JWT signature in any form, not the header every runner JWT shares', () => {
    const signature = JWT.split('.')[2]!
    const spaced = JWT.split('').join(' ')
    const out = redactSecrets(`the runtime token: ${spaced}`, SECRETS)
    expect(leaks(out, signature)).toEqual([])
    const otherJwt = `${JWT.split('.')[0]}.${JWT.split('.')[1]}.${randomChars(99, 342, B64URL)}`
    expect(containsSecret(`fixture: ${otherJwt}`, [JWT])).toBe(false)
    expect(containsSecret(`fixture: ${JWT}`, [JWT])).toBe(true)
  })

  it('leaves ordinary review text alone', () => {
    const sha = randomChars(3, 40, '0123456789abcdef')
    const sha256 = randomChars(5, 64, '0123456789abcdef')
    const texts = [
      `Reviewed ${sha} (base ${sha.slice(0, 7)}); the artifact digest is sha256:${sha256}.`,
      [
        '```ts',
        `const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='`,
        `const key = Buffer.from('${b64(randomChars(17, 48, ALNUM))}', 'base64')`,
        `const header = 'Basic ${b64('x-access-token:' + token('ghs_', 36))}'.length`,
        '```'
      ].join('\n'),
      'The retry loop in `src/github/client.ts` never gives up on a 502: add a cap (say 5 tries) ' +
        'and back off exponentially. Also, `parseInteger` accepts "1e3" — is that intended? ' +
        'UUID 123e4567-e89b-12d3-a456-426614174000, éàü 日本語 🎉 stay as they are.'
    ]
    for (const text of texts) {
      expect(redactSecrets(text, SECRETS)).toBe(text)
      expect(containsSecret(text, SECRETS)).toBe(false)
    }
  })

  it('masks overlapping and adjacent forms as one', () => {
    expect(redactSecrets(`[${GHS}${reverse(GHS)}]`, [GHS])).toBe('[***]')
    expect(redactSecrets(`[${GHS}${GHS}]`, [GHS])).toBe('[***]')
    expect(redactSecrets(`${b64(GHS)}${hex(GHS)}`, [GHS])).toBe('***')
    expect(redactSecrets(`${GHS}\n${GHS}`, [GHS])).toBe('***\n***')
    expect(redactSecrets(`${ANT.slice(0, 30)}${GHS}${ANT.slice(30)}`, SECRETS)).toBe('***')
  })

  it('masks leftovers that masking joined into a new copy', () => {
    const secret = 'Zq7Xw2Lp9Rt4Kv8M'
    // `Zq7` + (a copy of `9Rt4Kv8M`) + `Xw2Lp` reads Zq7Xw2Lp once the middle is masked.
    const out = redactSecrets(`<Zq7${secret.slice(8)}Xw2Lp>`, [secret])
    expect(out).toBe('<***>')
  })

  it('keeps the text around a mask byte for byte, multi-byte characters included', () => {
    const before = 'Résumé — naïve 日本語 🎉 «'
    const after = '» 👋🏽 fin\r\n'
    const inside = GHS.split('').join('\u00a0')
    expect(redactSecrets(before + inside + after, [GHS])).toBe(before + '***' + after)
    expect(redactSecrets(`🎉${GHS}🎉`, [GHS])).toBe('🎉***🎉')
    const emojiSeparated = [...ANT].join('🔑')
    expect(redactSecrets(`é${emojiSeparated}é`, [ANT])).toBe('é***é')
  })
})

describe('runSecrets', () => {
  it('collects the two values and the runner’s credentials, once each', () => {
    const env = {
      ACTIONS_RUNTIME_TOKEN: 'runtime-jwt',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id-token',
      GITHUB_TOKEN: 'gh-token',
      GH_TOKEN: 'gh-token',
      ANTHROPIC_API_KEY: 'api-key',
      CLAUDE_CODE_OAUTH_TOKEN: 'oauth',
      'INPUT_GITHUB-TOKEN': 'gh-token',
      'INPUT_ANTHROPIC-API-KEY': 'api-key',
      ACTIONS_RESULTS_URL: 'https://results.example',
      HOME: '/home/runner',
      ANTHROPIC_AUTH_TOKEN: ''
    }
    expect(runSecrets({ githubToken: 'gh-token', anthropicApiKey: undefined }, env)).toEqual([
      'gh-token',
      'runtime-jwt',
      'id-token',
      'api-key',
      'oauth'
    ])
    expect(runSecrets({}, {})).toEqual([])
  })
})

describe('redactorFor', () => {
  const saved = process.env.ACTIONS_RUNTIME_TOKEN
  afterEach(() => {
    if (saved === undefined) delete process.env.ACTIONS_RUNTIME_TOKEN
    else process.env.ACTIONS_RUNTIME_TOKEN = saved
  })

  it('masks the inputs’ secrets and the runner’s', () => {
    process.env.ACTIONS_RUNTIME_TOKEN = JWT
    const redact = redactorFor({ githubToken: GHS, anthropicApiKey: ANT })
    const out = redact(`a ${reverse(GHS)} b ${hex(ANT)} c ${JWT.split('').join(' ')} d`)
    expect(out).toMatch(/^a \*\*\* b \*\*\* c .*\*\*\* d$/)
    expect(leaks(out, JWT.split('.')[2]!)).toEqual([])
  })
})
