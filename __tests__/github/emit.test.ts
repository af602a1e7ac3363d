import { describe, expect, it } from '@jest/globals'
import { inertContinuationLines } from '../../src/github/emit.js'

describe('inertContinuationLines', () => {
  it('leaves the first line (core writes each command as one) and plain text alone', () => {
    expect(inertContinuationLines('::group::Reviewing\n')).toBe('::group::Reviewing\n')
    expect(inertContinuationLines('Changed: a.ts, b.ts\n')).toBe('Changed: a.ts, b.ts\n')
  })

  it('puts a zero-width space before a later line the runner would read as a command', () => {
    expect(inertContinuationLines('Changed: a\n::error::x\n  ::add-mask::y\n##[set-env]z')).toBe(
      'Changed: a\n\u200b::error::x\n\u200b  ::add-mask::y\n\u200b##[set-env]z'
    )
  })

  it('also after \\r and \\r\\n, where the runner also ends a line', () => {
    expect(inertContinuationLines('a\r::error::x\r\n::warning::y')).toBe(
      'a\r\u200b::error::x\r\n\u200b::warning::y'
    )
  })
})
