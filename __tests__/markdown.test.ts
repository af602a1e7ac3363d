import { describe, expect, it } from '@jest/globals'
import { fenced, inlineCode } from '../src/markdown.js'

describe('fenced', () => {
  it('fences text with more backticks than any run inside', () => {
    expect(fenced('a ````` b', 'text')).toBe('``````text\na ````` b\n``````')
    expect(fenced('plain', 'text')).toBe('```text\nplain\n```')
    expect(fenced('one ` tick')).toBe('```\none ` tick\n```')
  })

  it('holds empty content without a blank line (an empty suggestion deletes lines)', () => {
    expect(fenced('', 'suggestion')).toBe('```suggestion\n```')
  })
})

describe('inlineCode', () => {
  it('spans text with backticks in it', () => {
    expect(inlineCode('plain')).toBe('`plain`')
    expect(inlineCode('we`ird')).toBe('`` we`ird ``')
  })
})
