/**
 * What the agent writes ends up in public comments, and the agent may have read a secret
 * (an environment variable, a git credential header). Everything posted passes through here.
 *
 * A hostile pull request can ask the model to print a secret in a form plain string matching
 * misses: reversed, spaced out (`g h p _ a b c`), hex-encoded, base64 at any offset of a larger
 * blob, or in pieces on different lines. So matching works on a *skeleton* of the text — its
 * ASCII letters and digits only, with a map back to the original offsets — against the
 * skeletons of every form of each secret, and any run of at least `GRAM` consecutive skeleton
 * characters of a form is masked, together with whatever separators sit inside the run.
 */

const MASK = '***'

/** A value this short is too likely to occur by chance: masking it would garble the text. */
const MIN_SECRET_LENGTH = 4

/**
 * How many consecutive skeleton characters of a form count as a copy of the secret.
 *
 * Letters and digits (case-sensitive, 62 symbols): a given 8-gram of a random token turns up
 * at a given position of unrelated text with probability 62^-8 ≈ 4.6e-15. A GitHub token and
 * an API key give ~300 distinct 8-grams each over all their forms, the runner's JWTs (whose
 * signature alone is matched, see `cores`) ~2,000 each, so < 10^4 grams: a 1 MB text of random
 * letters and digits — worse than any real review, where English words and identifiers are far
 * from random 8-grams — is falsely masked with probability ≈ 10^6 × 10^4 × 4.6e-15 ≈ 5e-5.
 * (Measured: 1.4 GB of real files — bundled JS, GitHub's OpenAPI JSON, TypeScript's lib —
 * against three sets of random secrets: no false mask.) Seven would be 62× worse and still fine
 * by that count; 8 keeps a margin for text that is not random, and a piece shorter than 8 is
 * ≤ 42 bits of a ≥ 200-bit token, nothing a reader can use.
 */
const GRAM = 8

/**
 * Hex (case-insensitive, 16 symbols): review text is full of hex that *is* random — commit
 * SHAs, sha256 digests, UUIDs. The hex forms give ~2·10^3 grams; with 8 hex digits a match
 * has probability 16^-8 ≈ 2.3e-10 per position and gram, ≈ 0.5 false masks per MB of hex: far
 * too many. 16 hex digits (the same 8 bytes of the secret that `GRAM` letters cover) give
 * 16^-16 ≈ 5.4e-20, ≈ 10^-10 per MB of hex.
 */
const HEX_GRAM = 16

/**
 * GitHub tokens (classic and fine-grained PATs, OAuth, user-to-server, installation and refresh
 * tokens) and Anthropic API keys, by the prefixes they carry; and JWTs as long as the runner's
 * (`ACTIONS_RUNTIME_TOKEN` and friends, ~1,000 characters): three base64url parts, the first a
 * JSON object (`eyJ` = base64 of `{"`). `JWT_MIN_LENGTH` keeps short `eyJ…` strings (a
 * truncated example, a base64 of some small JSON) readable.
 */
const TOKEN_SHAPES = [
  /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{20,255}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{20,255}(?![A-Za-z0-9_])/g,
  /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{10,}/g
]
const JWT_SHAPE = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g
const JWT_MIN_LENGTH = 100

/**
 * actions/checkout stores the token as `AUTHORIZATION: basic base64(x-access-token:TOKEN)`.
 * `x-access-token:` is 15 bytes, a multiple of 3, so that header is this fixed prefix followed by
 * base64(TOKEN): the prefix is masked along with a match right after it (on its own it is no
 * secret, and masking it everywhere would garble unrelated headers).
 */
const ACCESS_TOKEN_PREFIX = Buffer.from('x-access-token:').toString('base64')

/** Passes over text whose masking joined leftovers into a new copy (`ab***cd`), see `redact`. */
const MAX_PASSES = 4

/** The two values a run is configured with; the rest come from the environment. */
export interface SecretValues {
  githubToken?: string | undefined
  anthropicApiKey?: string | undefined
}

/** Credentials the runner or the workflow may have put in the action's environment. */
const SECRET_VARIABLES = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_RESULTS_TOKEN',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'INPUT_GITHUB-TOKEN',
  'INPUT_ANTHROPIC-API-KEY'
]

/**
 * What this run must never publish or hand over: the GitHub token, the model API key, and the
 * runner's and the workflow's credentials from `env`.
 */
export function runSecrets(values: SecretValues, env: NodeJS.ProcessEnv = process.env): string[] {
  const all = [values.githubToken, values.anthropicApiKey, ...SECRET_VARIABLES.map(n => env[n])]
  return [...new Set(all.filter((v): v is string => typeof v === 'string' && v.trim() !== ''))]
}

/** The redactor for everything a run posts: its GitHub token, model API key and runner secrets. */
export function redactorFor(inputs: SecretValues): (text: string) => string {
  const matcher = compile(runSecrets(inputs))
  return text => redact(text, matcher)
}

/**
 * `text` with every secret — itself, reversed, hex, base64 (alone, inside a larger blob, in a
 * `x-access-token:` header), URL-encoded, spaced out or in pieces of at least `GRAM` letters
 * and digits — and every token-shaped string masked.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return redact(text, matcherFor(secrets))
}

/**
 * Whether `text` holds one of the secret values, in any form `redactSecrets` masks. Unlike
 * redaction, token shapes alone do not count: a repository may hold example tokens.
 */
export function containsSecret(text: string, secrets: readonly string[]): boolean {
  const matcher = matcherFor(secrets)
  if (matcher.exact.some(form => text.includes(form))) return true
  const letters = alnumSkeleton(text)
  if (matcher.alnum.some(table => scan(letters, table, true).length > 0)) return true
  const hex = hexSkeleton(text)
  return matcher.hex.some(table => scan(hex, table, true).length > 0)
}

// --- Forms of a secret ---------------------------------------------------------------------

/**
 * The part of a secret that is secret. A JWT's header (and much of its payload) is the same in
 * every token the runner issues, and an example JWT in a repository shares it: only the
 * signature is matched, without which the rest is worthless. A multi-line value (a private key)
 * loses its `-----BEGIN …-----` armour lines, which are in every key of that kind.
 */
function cores(secret: string): string[] {
  const trimmed = secret.trim()
  const jwt = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.([A-Za-z0-9_-]{16,})$/.exec(trimmed)
  if (jwt?.[1]) return [jwt[1]]
  if (/[\r\n]/.test(trimmed)) {
    const lines = trimmed
      .split(/\r\n|\r|\n/)
      .map(line => line.trim())
      .filter(line => line !== '' && !/^-{3,}[^-]*-{3,}$/.test(line))
    return lines.length > 0 ? [lines.join('\n')] : []
  }
  return [trimmed]
}

/** The forms a secret is printed in, compared on their letters and digits (case-sensitive). */
function textForms(core: string): string[] {
  const bytes = Buffer.from(core)
  const encoded = encodeURIComponent(core)
  return [
    core,
    [...core].reverse().join(''),
    // Base64 at the three byte offsets it can have inside a larger blob: from the second group
    // on, a secret that starts 1 (or 2) bytes into a group is encoded like the secret minus its
    // first 2 (or 1) bytes.
    bytes.toString('base64'),
    bytes.subarray(1).toString('base64'),
    bytes.subarray(2).toString('base64'),
    encoded,
    encoded.replace(/%[0-9A-F]{2}/g, escape => escape.toLowerCase())
  ]
}

/** The forms compared on hex digits only, case-insensitive. */
function hexForms(core: string): string[] {
  return [Buffer.from(core).toString('hex')]
}

// --- The matcher ---------------------------------------------------------------------------

/** Every `k`-gram of some forms, as exact strings and as rolling hashes for a fast first test. */
interface GramTable {
  k: number
  grams: Set<string>
  hashes: Set<number>
}

interface Matcher {
  /** Over the letters-and-digits skeleton, case-sensitive. */
  alnum: GramTable[]
  /** Over the hex-digit skeleton, lower-cased. */
  hex: GramTable[]
  /** Values with too few letters and digits for a skeleton: matched as they are. */
  exact: string[]
}

/** One compiled matcher is kept: callers ask about the same run's secrets again and again. */
let cached: { key: string; matcher: Matcher } | undefined

function matcherFor(secrets: readonly string[]): Matcher {
  const key = secrets.join('\u0000')
  if (cached?.key !== key) cached = { key, matcher: compile(secrets) }
  return cached.matcher
}

function compile(secrets: readonly string[]): Matcher {
  const alnum = new Map<number, GramTable>()
  const hex = new Map<number, GramTable>()
  const exact = new Set<string>()
  const add = (tables: Map<number, GramTable>, skeleton: string, threshold: number): void => {
    // A form shorter than the threshold is matched whole.
    const k = Math.min(threshold, skeleton.length)
    let table = tables.get(k)
    if (!table) tables.set(k, (table = { k, grams: new Set(), hashes: new Set() }))
    for (let i = 0; i + k <= skeleton.length; i++) {
      const gram = skeleton.slice(i, i + k)
      table.grams.add(gram)
      table.hashes.add(hashOf(gram))
    }
  }
  for (const secret of secrets) {
    if (secret.trim().length < MIN_SECRET_LENGTH) continue
    for (const core of cores(secret)) {
      if (core.length < MIN_SECRET_LENGTH) continue
      for (const form of textForms(core)) {
        const skeleton = form.replace(/[^A-Za-z0-9]+/g, '')
        if (skeleton.length >= MIN_SECRET_LENGTH) add(alnum, skeleton, GRAM)
        else if (form === core) exact.add(core)
      }
      for (const form of hexForms(core)) add(hex, form.toLowerCase(), HEX_GRAM)
    }
  }
  return { alnum: [...alnum.values()], hex: [...hex.values()], exact: [...exact] }
}

// --- Skeletons and scanning ----------------------------------------------------------------

/** The characters a matcher compares, with each one's offset in the original text. */
interface Skeleton {
  codes: Uint8Array
  text: string
  offsets: Int32Array
}

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122)
}

/** Fullwidth letters and digits (`ｇｈｓ＿`) read as the ASCII ones they look like. */
function asciiOf(code: number): number {
  return code >= 0xff10 && code <= 0xff5a && isAlnum(code - 0xfee0) ? code - 0xfee0 : code
}

function skeletonOf(codes: Uint8Array, offsets: Int32Array, length: number): Skeleton {
  const used = codes.subarray(0, length)
  return { codes: used, text: Buffer.from(used).toString('latin1'), offsets }
}

/** Letters and digits only: separators, spaces, line breaks and zero-width characters go. */
function alnumSkeleton(text: string): Skeleton {
  const codes = new Uint8Array(text.length)
  const offsets = new Int32Array(text.length)
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const code = asciiOf(text.charCodeAt(i))
    if (isAlnum(code)) {
      codes[n] = code
      offsets[n++] = i
    }
  }
  return skeletonOf(codes, offsets, n)
}

/**
 * Hex digits only, lower-cased, so `67 68 73`, `6768-73`, `\x67\x68\x73` and `0x67, 0x68` all
 * read `676873` (a `0x` that starts a word is dropped: its `0` is no digit of the value).
 */
function hexSkeleton(text: string): Skeleton {
  const codes = new Uint8Array(text.length)
  const offsets = new Int32Array(text.length)
  let n = 0
  for (let i = 0; i < text.length; i++) {
    let code = asciiOf(text.charCodeAt(i))
    if (code === 48 && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
      if (i === 0 || !isAlnum(asciiOf(text.charCodeAt(i - 1)))) {
        i++
        continue
      }
    }
    if (code >= 65 && code <= 70) code += 32
    if ((code >= 48 && code <= 57) || (code >= 97 && code <= 102)) {
      codes[n] = code
      offsets[n++] = i
    }
  }
  return skeletonOf(codes, offsets, n)
}

const HASH_BASE = 0x01000193

/** A polynomial hash mod 2^32; `scan` rolls the same one over the text. */
function hashOf(gram: string): number {
  let h = 0
  for (let i = 0; i < gram.length; i++) h = (Math.imul(h, HASH_BASE) + gram.charCodeAt(i)) | 0
  return h
}

/** A range `[start, end)` of the skeleton or of the text. */
type Range = [number, number]

/**
 * The skeleton ranges covered by grams of `table`, merged where they overlap (two copies that
 * merely touch stay two, so a line break between them survives). A rolling hash makes this one
 * pass over the text whatever the number of grams; a hash hit is confirmed on the gram itself,
 * so a collision never masks anything.
 */
function scan(skeleton: Skeleton, table: GramTable, firstOnly = false): Range[] {
  const { codes, text } = skeleton
  const { k, grams, hashes } = table
  const ranges: Range[] = []
  if (codes.length < k) return ranges
  let top = 1
  for (let i = 1; i < k; i++) top = Math.imul(top, HASH_BASE)
  let h = 0
  for (let i = 0; i < k; i++) h = (Math.imul(h, HASH_BASE) + codes[i]!) | 0
  let current: Range | undefined
  for (let i = 0; ; i++) {
    if (hashes.has(h) && grams.has(text.slice(i, i + k))) {
      if (current && current[1] > i) current[1] = i + k
      else ranges.push((current = [i, i + k]))
      if (firstOnly) return ranges
    }
    if (i + k >= codes.length) return ranges
    h = (Math.imul(h - Math.imul(codes[i]!, top), HASH_BASE) + codes[i + k]!) | 0
  }
}

// --- Redaction -----------------------------------------------------------------------------

/** The original-text ranges that one pass masks. */
function maskedRanges(text: string, matcher: Matcher): Range[] {
  const ranges: Range[] = []
  const fromSkeleton = (skeleton: Skeleton, tables: GramTable[], prefix?: string): void => {
    for (const table of tables) {
      for (const [found, end] of scan(skeleton, table)) {
        const prefixed =
          prefix !== undefined &&
          found >= prefix.length &&
          skeleton.text.startsWith(prefix, found - prefix.length)
        const start = prefixed ? found - prefix.length : found
        let stop = skeleton.offsets[end - 1]! + 1
        // Base64 padding after a match goes with it.
        if (text[stop] === '=') stop += text[stop + 1] === '=' ? 2 : 1
        ranges.push([skeleton.offsets[start]!, stop])
      }
    }
  }
  fromSkeleton(alnumSkeleton(text), matcher.alnum, ACCESS_TOKEN_PREFIX)
  if (matcher.hex.length > 0) fromSkeleton(hexSkeleton(text), matcher.hex)
  for (const form of matcher.exact) {
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
      ranges.push([at, at + form.length])
    }
  }
  for (const shape of TOKEN_SHAPES) {
    for (const m of text.matchAll(shape)) ranges.push([m.index, m.index + m[0].length])
  }
  for (const m of text.matchAll(JWT_SHAPE)) {
    if (m[0].length >= JWT_MIN_LENGTH) ranges.push([m.index, m.index + m[0].length])
  }
  return ranges
}

function redact(text: string, matcher: Matcher): string {
  let out = text
  // Masking can join what was left on either side into a new copy (`ab` + match + `cd`, where
  // `abcd` is part of the secret): pass again until nothing is found, a few times at most.
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const ranges = maskedRanges(out, matcher)
    if (ranges.length === 0) break
    ranges.sort((a, b) => a[0] - b[0])
    let result = ''
    let at = 0
    let end = -1
    for (const [start, stop] of ranges) {
      if (start > end) {
        if (end >= 0) result += MASK
        result += out.slice(at, start)
      }
      end = Math.max(end, stop)
      at = end
    }
    out = result + MASK + out.slice(at)
  }
  return out
}
