// Reading one input's value: strings, secrets, booleans, numbers, choices, lists, tool rules.
// Every error names the input, quotes the value (cut, or not at all for a secret) and says what
// was expected.
/** A bad input value. The message names the input, quotes the value and says what was expected. */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

/** Like `core.getInput`: the value of an input, '' when unset. */
export type InputReader = (name: string) => string

/** The most characters of a bad value an error quotes: a 1 MB value is not echoed whole. */
const QUOTED_CHARS = 200

/** A value as an error quotes it: JSON-quoted, cut after QUOTED_CHARS with its full length. */
export function quoteValue(value: string): string {
  if (value.length <= QUOTED_CHARS) return JSON.stringify(value)
  return `${JSON.stringify(`${value.slice(0, QUOTED_CHARS)}…`)} (${value.length} characters)`
}

/** A path built from a value, cut like quoteValue cuts the value. */
export function shorten(text: string): string {
  return text.length <= QUOTED_CHARS ? text : `${text.slice(0, QUOTED_CHARS)}…`
}

export function invalid(name: string, value: string, expected: string): InputError {
  return new InputError(`Input '${name}' has value ${quoteValue(value)}: expected ${expected}`)
}

/** Inputs whose value is never quoted, not even cut: a bad one is described instead. */
const SECRET_INPUTS = ['github-token', 'anthropic-api-key']

export function invalidSecret(name: string, value: string, expected: string): InputError {
  return new InputError(
    `Input '${name}' has a value that is not shown (a secret of ${value.length} characters): expected ${expected}`
  )
}

/**
 * No input may hold a NUL byte: no process argument, environment variable or header can carry
 * one, so the value would fail far from here (the runner cannot pass one either).
 */
export function refusingNul(read: InputReader): InputReader {
  return name => {
    const value = read(name)
    if (!value.includes('\0')) return value
    const expected = 'text without NUL bytes'
    throw SECRET_INPUTS.includes(name)
      ? invalidSecret(name, value, expected)
      : invalid(name, value, expected)
  }
}

// A token goes into an HTTP header or the CLI's environment: one word of printable characters.
export function parseSecret(read: InputReader, name: string): string | undefined {
  const value = optionalString(read, name)
  // eslint-disable-next-line no-control-regex -- control characters are what a header refuses
  if (value !== undefined && /[\s\x00-\x1f\x7f]/.test(value)) {
    throw invalidSecret(
      name,
      value,
      'a single token without spaces, line breaks or control characters'
    )
  }
  return value
}

/**
 * Splits a list input on newlines and on commas. A comma inside (), [] or {} does not split,
 * so a tool rule such as `Bash(npm run lint, npm test)` or a glob such as `*.{ts,js}` stays whole.
 */
export function splitList(text: string): string[] {
  const items: string[] = []
  // Each line starts at depth 0, so one unbalanced bracket cannot swallow the rest of the list.
  for (const line of text.split(/\r?\n/)) {
    let depth = 0
    let current = ''
    for (const c of line) {
      if (c === '(' || c === '[' || c === '{') depth++
      else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1)
      if (c === ',' && depth === 0) {
        items.push(current)
        current = ''
      } else {
        current += c
      }
    }
    items.push(current)
  }
  return items.map(item => item.trim()).filter(item => item !== '')
}

export function optionalString(read: InputReader, name: string): string | undefined {
  const value = read(name).trim()
  return value === '' ? undefined : value
}

const TRUE_VALUES = ['true', 'True', 'TRUE']
const FALSE_VALUES = ['false', 'False', 'FALSE']

// The YAML 1.2 core schema's spellings, as core.getBooleanInput accepts them.
export function parseBoolean(read: InputReader, name: string, fallback: boolean): boolean {
  const raw = read(name).trim()
  if (raw === '') return fallback
  if (TRUE_VALUES.includes(raw)) return true
  if (FALSE_VALUES.includes(raw)) return false
  throw invalid(name, raw, 'true or false')
}

interface IntegerRange {
  min: number
  max?: number
  note?: string
}

export function parseInteger(
  read: InputReader,
  name: string,
  range: IntegerRange
): number | undefined {
  const raw = read(name).trim()
  if (raw === '') return undefined
  const value = Number(raw)
  const inRange = value >= range.min && (range.max === undefined || value <= range.max)
  // A regex rather than Number() alone: Number accepts '0x1f', '1e3' and ' '.
  if (/^\d+$/.test(raw) && Number.isSafeInteger(value) && inRange) return value
  const bounds =
    range.max === undefined
      ? `a whole number ≥ ${range.min}`
      : `a whole number from ${range.min} to ${range.max}`
  throw invalid(name, raw, range.note ? `${bounds} (${range.note})` : bounds)
}

export function parsePositiveNumber(
  read: InputReader,
  name: string,
  max?: { value: number; note: string }
): number | undefined {
  const raw = read(name).trim()
  if (raw === '') return undefined
  const value = Number(raw)
  const inRange = value > 0 && (max === undefined || value <= max.value)
  if (/^(\d+(\.\d*)?|\.\d+)$/.test(raw) && Number.isFinite(value) && inRange) return value
  const bounds = max ? ` and at most ${max.value} (${max.note})` : ''
  throw invalid(name, raw, `a number greater than 0${bounds}, such as 5 or 0.5`)
}

export function parseChoice<T extends string>(
  read: InputReader,
  name: string,
  choices: readonly T[],
  fallback: T
): T {
  const raw = read(name).trim()
  if (raw === '') return fallback
  const value = raw.toLowerCase()
  const choice = choices.find(c => c === value)
  if (choice === undefined) throw invalid(name, raw, `one of ${choices.join(', ')}`)
  return choice
}

// A tool name (built-in, `mcp__server__tool`), optionally with a specifier in parentheses.
const TOOL_RULE = /^[A-Za-z][A-Za-z0-9_.:-]*(\(.*\))?$/s

export function parseToolRules(read: InputReader, name: string): string[] {
  const rules = splitList(read(name))
  for (const rule of rules) {
    const opened = rule.split('(').length - 1
    const closed = rule.split(')').length - 1
    // Rules follow a variadic CLI flag: a word starting with '-' would be read as another flag
    // (`--tools=Bash` in disallowed-tools gave the reviewer a shell).
    if (opened !== closed || !TOOL_RULE.test(rule)) {
      throw invalid(
        name,
        rule,
        'a tool name or a permission rule with balanced parentheses, such as Edit or Bash(npm test)'
      )
    }
  }
  return rules
}

/**
 * Bot logins, `[bot]` suffix optional: a GitHub login is letters, digits and hyphens (not
 * first), at most 39 characters. Kept as `name[bot]` in lower case, as GitHub's events name bots.
 */
export function parseAllowedBots(read: InputReader): string[] {
  const bots: string[] = []
  for (const item of splitList(read('allowed-bots'))) {
    const name = item.replace(/\[bot\]$/i, '')
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/.test(name)) {
      throw invalid(
        'allowed-bots',
        item,
        'bot logins such as dependabot[bot] or renovate, one per line or comma-separated: ' +
          'letters, digits and hyphens (not first), at most 39 characters, [bot] optional'
      )
    }
    bots.push(`${name.toLowerCase()}[bot]`)
  }
  return [...new Set(bots)]
}
