import { describe, expect, it } from '@jest/globals'
import { checkAnswers } from '../../src/address/answer.js'

describe('checkAnswers', () => {
  it('takes one answer per asked thread', () => {
    const check = checkAnswers(
      {
        threads: [
          { id: 'T1', status: 'fixed', reply: ' Used Number(). ' },
          { id: 'T2', status: 'question', reply: 'Which input?' }
        ]
      },
      ['T1', 'T2']
    )
    expect([...check.answers.values()]).toEqual([
      { id: 'T1', status: 'fixed', reply: 'Used Number().' },
      { id: 'T2', status: 'question', reply: 'Which input?' }
    ])
    expect(check.missing).toEqual([])
    expect(check.problems).toEqual([])
  })

  it('never takes an answer for a thread that was not asked', () => {
    const check = checkAnswers(
      { threads: [{ id: 'OTHER', status: 'fixed', reply: 'Resolved someone else’s thread.' }] },
      ['T1']
    )
    expect(check.answers.size).toBe(0)
    expect(check.problems).toEqual(['threads[0] answers thread "OTHER", which was not asked'])
    expect(check.missing).toEqual(['T1'])
  })

  it('reports missing threads, repeats and malformed entries instead of dropping them silently', () => {
    const check = checkAnswers(
      {
        threads: [
          { id: 'T1', status: 'fixed', reply: 'first' },
          { id: 'T1', status: 'wont_fix', reply: 'second' },
          { id: 'T2', status: 'done', reply: 'x' },
          { id: 'T3', status: 'fixed', reply: '  ' },
          'T4',
          { status: 'fixed', reply: 'no id' }
        ]
      },
      ['T1', 'T2', 'T3', 'T4']
    )
    expect(check.answers.get('T1')!.reply).toBe('first')
    expect(check.missing).toEqual(['T2', 'T3', 'T4'])
    expect(check.problems).toEqual([
      'threads[1] answers thread T1 a second time; the first answer stands',
      'threads[2] (T2) has status "done"',
      'threads[3] (T3) has no reply text',
      'threads[4] is not an object',
      'threads[5].id is not a string'
    ])
  })

  it('refuses an answer that is not an object with a threads array', () => {
    expect(() => checkAnswers(undefined, ['T1'])).toThrow('no structured answer object')
    expect(() => checkAnswers({ threads: {} }, ['T1'])).toThrow('"threads" must be an array')
  })
})
