// The inputs that shape the Claude Code CLI: its path, version, model, extra arguments, timeout
// and the session to resume.
import * as path from 'node:path'
import { parse as shellParse } from 'shell-quote'
import { isFile } from './files.js'
import { type InputReader, invalid, optionalString, shorten } from './values.js'

/** The Claude Code release the action installs when `claude-version` is empty. */
export const DEFAULT_CLAUDE_VERSION = '2.1.197'

/**
 * Node's timers wait at most 2^31-1 ms; a longer delay fires after 1 ms, which stopped every
 * session at once (timeout-minutes 40000).
 */
export const MAX_TIMEOUT_MINUTES = Math.floor((2 ** 31 - 1) / 60_000)

/**
 * Prepares `claude-args` for shell-quote: escapes every `$` a shell would expand (shell-quote
 * would substitute it, and we promise to keep it literal), drops line continuations, and
 * escapes a `#` inside a word (a shell starts a comment only at a word's start; shell-quote
 * anywhere). A backslash-escaped `*` or `?` becomes a quoted one, which shell-quote does not
 * mistake for a glob.
 */
function protectForShellQuote(text: string): string | undefined {
  let out = ''
  let state: 'plain' | 'single' | 'double' | 'ansi' = 'plain'
  let wordStart = true
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i)
    const next = text.charAt(i + 1)
    switch (state) {
      case 'plain':
        if (c === '\\') {
          i++
          if (next === '\n') break
          out += next === '*' || next === '?' ? `"${next}"` : `\\${next}`
        } else if (c === "'") {
          state = 'single'
          out += c
        } else if (c === '"') {
          state = 'double'
          out += c
        } else if (c === '$' && next === "'") {
          state = 'ansi'
          out += "$'"
          i++
        } else if (c === '$') {
          out += '\\$'
        } else if (c === '#' && !wordStart) {
          out += '\\#'
        } else {
          out += c
        }
        wordStart = /\s/.test(c)
        break
      case 'single':
        if (c === "'") state = 'plain'
        out += c
        wordStart = false
        break
      case 'double':
        if (c === '\\') {
          i++
          if (next !== '\n') out += `\\${next}`
        } else if (c === '$') {
          out += '\\$'
        } else {
          if (c === '"') state = 'plain'
          out += c
        }
        wordStart = false
        break
      case 'ansi':
        if (c === '\\') {
          out += c + next
          i++
        } else {
          if (c === "'") state = 'plain'
          out += c
        }
        wordStart = false
        break
    }
  }
  return state === 'plain' ? out : undefined
}

/**
 * Splits `claude-args` into argv words the way a shell would (quotes, escapes) without ever
 * running a shell: anything a shell would treat as more than a word is refused rather than
 * passed on with a meaning the user did not intend.
 */
export function parseClaudeArgs(text: string): string[] {
  const expectedWords = 'command-line words, split like a shell splits them'
  if (text.trim() === '') return []
  const prepared = protectForShellQuote(text)
  if (prepared === undefined) {
    throw invalid('claude-args', text, `${expectedWords}, with every quote closed`)
  }
  const words: string[] = []
  for (const entry of shellParse(prepared)) {
    if (typeof entry === 'string') {
      words.push(entry)
    } else if ('comment' in entry) {
      throw invalid(
        'claude-args',
        text,
        `${expectedWords}; it contains a comment (#${entry.comment}): quote the '#'`
      )
    } else if (entry.op === 'glob') {
      throw invalid(
        'claude-args',
        text,
        `${expectedWords}; it contains the glob pattern ${JSON.stringify(entry.pattern)}: quote it, no shell expands it`
      )
    } else {
      throw invalid(
        'claude-args',
        text,
        `${expectedWords}; it contains the shell operator '${entry.op}': quote it, the arguments never go through a shell`
      )
    }
  }
  return words
}

export function parseClaudePath(read: InputReader, workingDirectory: string): string | undefined {
  const raw = optionalString(read, 'claude-path')
  if (raw === undefined) return undefined
  // A bare name is left to the PATH lookup, as a shell would do.
  if (!raw.includes('/') && !raw.includes('\\')) return raw
  const resolved = path.resolve(workingDirectory, raw)
  if (!isFile(resolved)) {
    throw invalid(
      'claude-path',
      raw,
      `an existing claude executable (${shorten(resolved)} is not a file)`
    )
  }
  return resolved
}

export function parseClaudeVersion(read: InputReader): string {
  const raw = read('claude-version').trim()
  if (raw === '') return DEFAULT_CLAUDE_VERSION
  // It becomes part of an npm argument: refuse anything npm could read as an option or a URL.
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]*$/.test(raw)) {
    throw invalid(
      'claude-version',
      raw,
      'a version such as 2.1.197 or an npm dist-tag such as latest'
    )
  }
  return raw
}

// It becomes a CLI argument: a model id or alias (`opus`, `claude-opus-4-8[1m]`, a Bedrock ARN)
// is one word.
export function parseModel(read: InputReader): string | undefined {
  const raw = optionalString(read, 'model')
  // eslint-disable-next-line no-control-regex -- a control character is never part of a model id
  if (raw !== undefined && (/[\s\x00-\x1f\x7f]/.test(raw) || raw.startsWith('-'))) {
    throw invalid(
      'model',
      raw,
      'a model name such as claude-sonnet-4-5 or an alias such as opus (one word, not starting with -)'
    )
  }
  return raw
}

// It becomes a CLI argument and part of a file path: only the UUIDs the CLI itself hands out.
export function parseSessionId(read: InputReader): string | undefined {
  const raw = optionalString(read, 'session-id')
  if (raw === undefined) return undefined
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(raw)) {
    throw invalid(
      'session-id',
      raw,
      "a Claude Code session id, a UUID such as 2a905a19-a645-4dd4-8ea7-586adf94a4b0 (the 'session-id' output of an earlier step)"
    )
  }
  return raw.toLowerCase()
}
