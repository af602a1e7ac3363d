import { describe, expect, it } from '@jest/globals'
import { subcommandIndex } from '../../src/git/git-args.js'

describe('subcommandIndex', () => {
  it('skips global options and refuses another repository than cwd', () => {
    expect(subcommandIndex(['status'])).toBe(0)
    expect(subcommandIndex(['-c', 'a.b=c', '--no-pager', 'diff', '-c'])).toBe(3)
    expect(subcommandIndex(['--literal-pathspecs'])).toBe(-1)
    expect(() => subcommandIndex(['-C', '/x', 'status'])).toThrow('cwd')
    expect(() => subcommandIndex(['--git-dir=/x', 'status'])).toThrow('cwd')
  })
})
