import { runSecrets, type Inputs } from '../inputs.js'
/**
 * What the agent writes ends up in public comments, and the agent may have read a secret
 * (an environment variable, a git credential header). Everything posted passes through here.
 */

const MASK = '***'

/** A value this short is too likely to occur by chance: masking it would garble the text. */
const MIN_SECRET_LENGTH = 4

/**
 * GitHub tokens (classic and fine-grained PATs, OAuth, user-to-server, installation and refresh
 * tokens) and Anthropic API keys, by the prefixes they carry.
 */
const TOKEN_SHAPES = [
  /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{20,255}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{20,255}(?![A-Za-z0-9_])/g,
  /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{10,}/g
]

/** The forms a secret is commonly printed in besides itself. */
function variants(secret: string): string[] {
  const forms = [secret]
  // actions/checkout stores the token as `AUTHORIZATION: basic base64(x-access-token:TOKEN)`.
  forms.push(Buffer.from(`x-access-token:${secret}`).toString('base64'))
  forms.push(Buffer.from(secret).toString('base64'))
  const encoded = encodeURIComponent(secret)
  if (encoded !== secret) forms.push(encoded)
  // A multi-line secret (a private key) may be quoted one line at a time.
  if (/[\r\n]/.test(secret)) forms.push(...secret.split(/\r?\n/).map(line => line.trim()))
  return forms
}

/** `text` with every secret value, its usual encodings and every token-shaped string masked. */
/** The redactor for everything a run posts: its GitHub token and model API key. */
export function redactorFor(
  inputs: Pick<Inputs, 'githubToken' | 'anthropicApiKey'>
): (text: string) => string {
  const secrets = runSecrets(inputs)
  return text => redactSecrets(text, secrets)
}

export function redactSecrets(text: string, secrets: readonly string[]): string {
  const values = new Set<string>()
  for (const secret of secrets) {
    const trimmed = secret.trim()
    if (trimmed.length < MIN_SECRET_LENGTH) continue
    for (const form of variants(trimmed)) {
      if (form.length >= MIN_SECRET_LENGTH) values.add(form)
    }
  }
  let out = text
  // Longest first, so a secret that contains another is masked whole.
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    out = out.split(value).join(MASK)
  }
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, MASK)
  return out
}

/**
 * Whether `text` holds one of the secret values, in any form `redactSecrets` masks. Unlike
 * redaction, token shapes alone do not count: a repository may hold example tokens.
 */
export function containsSecret(text: string, secrets: readonly string[]): boolean {
  for (const secret of secrets) {
    const trimmed = secret.trim()
    if (trimmed.length < MIN_SECRET_LENGTH) continue
    for (const form of variants(trimmed)) {
      if (form.length >= MIN_SECRET_LENGTH && text.includes(form)) return true
    }
  }
  return false
}
