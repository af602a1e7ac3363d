import { afterAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import type { InputReader, Inputs } from '../src/inputs.js'

// readInputs goes through @actions/core; a stand-in answers its getInput.
const actionInputs = new Map<string, string>()
jest.unstable_mockModule('@actions/core', () => ({
  getInput: (name: string) => actionInputs.get(name) ?? ''
}))

const { MODES, SEVERITIES, parseInputs, readInputs } = await import('../src/inputs.js')
const { DEFAULT_CLAUDE_VERSION, parseClaudeArgs } = await import('../src/inputs.js')
const { InputError, splitList } = await import('../src/inputs.js')

const workspace = mkdtempSync(path.join(tmpdir(), 'tandem-inputs-'))
mkdirSync(path.join(workspace, 'sub'))
writeFileSync(path.join(workspace, 'sub', 'task.md'), 'Fix the typo in README.md\n')
writeFileSync(path.join(workspace, 'empty.md'), '  \n')
writeFileSync(path.join(workspace, 'claude'), '#!/bin/sh\n')
const env = { GITHUB_WORKSPACE: workspace }

afterAll(() => rmSync(workspace, { recursive: true, force: true }))

function reader(values: Record<string, string>): InputReader {
  return name => values[name] ?? ''
}

function parse(values: Record<string, string>): Inputs {
  return parseInputs(reader(values), env)
}

function errorOf(values: Record<string, string>): string {
  try {
    parse(values)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return (error as Error).message
  }
  throw new Error(`expected ${JSON.stringify(values)} to be refused`)
}

describe('defaults', () => {
  it('gives every documented default when no input is set', () => {
    expect(parse({})).toEqual({
      mode: 'review',
      prompt: undefined,
      promptFile: undefined,
      anthropicApiKey: undefined,
      githubToken: undefined,
      model: undefined,
      allowedTools: undefined,
      disallowedTools: [],
      maxTurns: 30,
      maxBudgetUsd: undefined,
      timeoutMinutes: 30,
      claudeArgs: [],
      claudePath: undefined,
      claudeVersion: DEFAULT_CLAUDE_VERSION,
      prNumber: undefined,
      workingDirectory: workspace,
      allowedBots: [],
      blockingSeverity: 'major',
      reviewEvent: 'auto',
      failOn: undefined,
      maxInlineComments: 30,
      incremental: true,
      branch: undefined,
      base: undefined,
      commitMessage: undefined,
      prTitle: undefined,
      prBody: undefined,
      labels: [],
      draft: false,
      allowWorkflowChanges: false,
      review: false,
      verifyCommand: undefined,
      maxRounds: 3,
      pairBudgetUsd: undefined,
      commitAuthor: undefined,
      includeHumanComments: false,
      sessionId: undefined,
      tasks: undefined,
      shardTasks: undefined,
      files: [],
      taskCommand: undefined,
      shardSize: 10,
      maxShards: 256,
      canary: 0,
      shardId: undefined,
      concurrency: 2,
      matrix: undefined,
      artifactPattern: 'tandem-shard-*',
      testsFirst: false,
      testPaths: [
        '**/*.test.*',
        '**/*.spec.*',
        '**/__tests__/**',
        '**/test/**',
        '**/tests/**',
        '**/test_*.py',
        '**/*_test.py',
        '**/*_test.go'
      ],
      candidates: 3,
      approaches: []
    } satisfies Inputs)
  })

  it('pins the Claude Code version', () => {
    expect(DEFAULT_CLAUDE_VERSION).toBe('2.1.197')
  })

  it('lists severities from most to least severe', () => {
    expect(SEVERITIES).toEqual(['critical', 'major', 'minor', 'nit'])
  })

  it('reads plain strings, trimmed, and leaves empty ones undefined', () => {
    const inputs = parse({
      model: ' claude-sonnet-4-5 ',
      'anthropic-api-key': 'sk-ant-x',
      'github-token': 'ghs_x',
      branch: 'tandem/fix',
      base: 'main',
      'commit-message': 'Fix it',
      'pr-title': 'Fix',
      'pr-body': 'Body',
      'verify-command': 'npm run lint && npm test',
      'task-command': '',
      prompt: '  '
    })
    expect(inputs).toMatchObject({
      model: 'claude-sonnet-4-5',
      anthropicApiKey: 'sk-ant-x',
      githubToken: 'ghs_x',
      branch: 'tandem/fix',
      base: 'main',
      commitMessage: 'Fix it',
      prTitle: 'Fix',
      prBody: 'Body',
      verifyCommand: 'npm run lint && npm test',
      taskCommand: undefined,
      prompt: undefined
    })
  })
})

describe('mode', () => {
  const needs: Record<string, Record<string, string>> = {
    write: { prompt: 'p' },
    pair: { prompt: 'p' },
    run: { prompt: 'p' },
    explore: { prompt: 'p' },
    plan: { tasks: 'a' },
    shard: { prompt: 'p {task}', tasks: '["a"]', 'shard-id': '0' }
  }

  it.each(MODES.map(m => [m]))('accepts %s', mode => {
    expect(parse({ mode, ...needs[mode] }).mode).toBe(mode)
  })

  it('ignores case', () => {
    expect(parse({ mode: 'Write', prompt: 'p' }).mode).toBe('write')
  })

  it('refuses an unknown mode, listing the known ones', () => {
    expect(errorOf({ mode: 'deploy' })).toBe(
      `Input 'mode' has value "deploy": expected one of review, write, address, pair, plan, shard, collect, explore, run`
    )
  })
})

describe('booleans', () => {
  const names = [
    'incremental',
    'draft',
    'allow-workflow-changes',
    'review',
    'include-human-comments'
  ]
  const field: Record<string, keyof Inputs> = {
    incremental: 'incremental',
    draft: 'draft',
    'allow-workflow-changes': 'allowWorkflowChanges',
    review: 'review',
    'include-human-comments': 'includeHumanComments'
  }

  it.each(names.flatMap(n => ['true', 'True', 'TRUE'].map(v => [n, v])))(
    '%s: %s is true',
    (n, v) => {
      expect(parse({ [n]: v })[field[n]!]).toBe(true)
    }
  )

  it.each(names.flatMap(n => ['false', 'False', 'FALSE'].map(v => [n, v])))(
    '%s: %s is false',
    (n, v) => {
      expect(parse({ [n]: v })[field[n]!]).toBe(false)
    }
  )

  it.each(['yes', 'no', '1', '0', 'on', 'tRuE', 'y'])('refuses %s', value => {
    expect(errorOf({ draft: value })).toBe(
      `Input 'draft' has value "${value}": expected true or false`
    )
  })
})

describe('whole numbers', () => {
  it('reads each one', () => {
    expect(
      parse({
        'max-turns': '5',
        'max-inline-comments': '0',
        'pr-number': '42',
        'max-rounds': '1',
        'shard-size': '3',
        'max-shards': '256',
        canary: '0',
        concurrency: '8'
      })
    ).toMatchObject({
      maxTurns: 5,
      maxInlineComments: 0,
      prNumber: 42,
      maxRounds: 1,
      shardSize: 3,
      maxShards: 256,
      canary: 0,
      concurrency: 8
    })
  })

  it.each([
    ['max-turns', 'abc', 'a whole number ≥ 1'],
    ['max-turns', '0', 'a whole number ≥ 1'],
    ['max-turns', '1.5', 'a whole number ≥ 1'],
    ['max-turns', '-3', 'a whole number ≥ 1'],
    ['max-turns', '0x10', 'a whole number ≥ 1'],
    ['max-turns', '1e3', 'a whole number ≥ 1'],
    ['max-turns', '99999999999999999999', 'a whole number ≥ 1'],
    ['max-inline-comments', '-1', 'a whole number ≥ 0'],
    ['pr-number', '0', 'a whole number ≥ 1'],
    ['pr-number', '#12', 'a whole number ≥ 1'],
    ['max-rounds', '0', 'a whole number ≥ 1'],
    ['shard-size', '0', 'a whole number ≥ 1'],
    ['max-shards', '0', "a whole number from 1 to 256 (GitHub's matrix limit)"],
    ['max-shards', '257', "a whole number from 1 to 256 (GitHub's matrix limit)"],
    ['canary', '-1', 'a whole number ≥ 0'],
    ['canary', 'all', 'a whole number ≥ 0'],
    ['concurrency', '0', 'a whole number ≥ 1']
  ])('%s refuses %s', (name, value, expected) => {
    expect(errorOf({ [name]: value })).toBe(
      `Input '${name}' has value "${value}": expected ${expected}`
    )
  })
})

describe('positive numbers', () => {
  it('accepts fractions', () => {
    expect(parse({ 'timeout-minutes': '0.05', 'max-budget-usd': '2.5' })).toMatchObject({
      timeoutMinutes: 0.05,
      maxBudgetUsd: 2.5
    })
    expect(parse({ 'timeout-minutes': '.5', 'max-budget-usd': '3' })).toMatchObject({
      timeoutMinutes: 0.5,
      maxBudgetUsd: 3
    })
  })

  it.each([
    ['timeout-minutes', '0'],
    ['timeout-minutes', '-1'],
    ['timeout-minutes', 'ten'],
    ['timeout-minutes', 'Infinity'],
    ['max-budget-usd', '0'],
    ['max-budget-usd', '$5'],
    ['max-budget-usd', '1,5']
  ])('%s refuses %s', (name, value) => {
    const bound =
      name === 'timeout-minutes' ? ' and at most 35791 (the longest a timer can wait)' : ''
    expect(errorOf({ [name]: value })).toBe(
      `Input '${name}' has value "${value}": expected a number greater than 0${bound}, such as 5 or 0.5`
    )
  })
})

describe('lists', () => {
  it('split on newlines and commas, trimmed, empties dropped', () => {
    expect(parse({ labels: 'bug, tandem\n\n  docs ,,\r\nci' }).labels).toEqual([
      'bug',
      'tandem',
      'docs',
      'ci'
    ])
  })

  it('keep commas inside parentheses of tool rules', () => {
    const inputs = parse({
      'allowed-tools': 'Bash(npm run lint, npm test), Edit\nRead,Write',
      'disallowed-tools': 'Bash(git push:*), WebFetch'
    })
    expect(inputs.allowedTools).toEqual(['Bash(npm run lint, npm test)', 'Edit', 'Read', 'Write'])
    expect(inputs.disallowedTools).toEqual(['Bash(git push:*)', 'WebFetch'])
  })

  it('keep commas inside glob braces and brackets', () => {
    expect(
      parse({ mode: 'plan', files: 'src/**/*.{ts,js}, docs/[a,b]*.md\nREADME.md' }).files
    ).toEqual(['src/**/*.{ts,js}', 'docs/[a,b]*.md', 'README.md'])
  })

  it('start each line afresh, so an unclosed bracket does not swallow the next lines', () => {
    expect(splitList('a(b, c\nd, e')).toEqual(['a(b, c', 'd', 'e'])
    expect(splitList('a), b')).toEqual(['a)', 'b'])
  })

  it('leave allowed-tools undefined when empty, so the mode picks its own rules', () => {
    expect(parse({ 'allowed-tools': ' \n , ' }).allowedTools).toBeUndefined()
  })

  it('refuse a tool rule with unbalanced parentheses', () => {
    expect(errorOf({ 'allowed-tools': 'Edit\nBash(npm test' })).toBe(
      `Input 'allowed-tools' has value "Bash(npm test": expected a tool name or a permission rule with balanced parentheses, such as Edit or Bash(npm test)`
    )
    expect(errorOf({ 'disallowed-tools': 'Bash(rm))' })).toBe(
      `Input 'disallowed-tools' has value "Bash(rm))": expected a tool name or a permission rule with balanced parentheses, such as Edit or Bash(npm test)`
    )
  })
})

describe('claude-args', () => {
  it.each<[string, string[]]>([
    [`--foo "a b" 'c d' e\\ f`, ['--foo', 'a b', 'c d', 'e f']],
    ['', []],
    ['  \n ', []],
    ['--verbose\n--model   opus', ['--verbose', '--model', 'opus']],
    [`--append-system-prompt "Say \\"hi\\""`, ['--append-system-prompt', 'Say "hi"']],
    [`it"'"s`, ["it's"]],
    [`a'b'"c"d`, ['abcd']],
    [`'' x`, ['', 'x']],
    ['--a \\\n--b', ['--a', '--b']],
    [`$'a\\tb'`, ['a\tb']],
    [
      `--allowedTools "Bash(npm test)" 'Bash(git diff:*)'`,
      ['--allowedTools', 'Bash(npm test)', 'Bash(git diff:*)']
    ],
    [`--glob \\* '*' "?"`, ['--glob', '*', '*', '?']],
    ['a#b', ['a#b']],
    [`"back\\\\slash" back\\\\slash`, ['back\\slash', 'back\\slash']]
  ])('splits %j', (text, words) => {
    expect(parseClaudeArgs(text)).toEqual(words)
  })

  it('keeps $VARS literal in every quoting', () => {
    expect(parseClaudeArgs(`$HOME "$HOME" '$HOME' \${HOME}x "\${HOME}" $ "$"`)).toEqual([
      '$HOME',
      '$HOME',
      '$HOME',
      '${HOME}x',
      '${HOME}',
      '$',
      '$'
    ])
  })

  it('is read from the claude-args input', () => {
    expect(parse({ mode: 'run', prompt: 'x', 'claude-args': `--foo "a b"` }).claudeArgs).toEqual([
      '--foo',
      'a b'
    ])
  })

  describe('for a mode that runs the reviewer', () => {
    it.each([
      ['review', {}],
      ['pair', { prompt: 'Add a README.' }],
      ['write', { prompt: 'Add a README.', review: 'true' }]
    ])('accepts flags that only narrow it (%s)', (mode, extra) => {
      const text = `--model opus --effort high --disallowedTools Read 'Grep(secret/**)' --max-turns 5 --verbose --append-system-prompt "Be brief"`
      expect(parse({ mode, ...extra, 'claude-args': text }).claudeArgs).toHaveLength(12)
    })

    it.each([
      ['--allowedTools Bash', '--allowedTools'],
      ['--allowed-tools=Bash', '--allowed-tools'],
      ['--tools default', '--tools'],
      ['--permission-mode bypassPermissions', '--permission-mode'],
      ['--dangerously-skip-permissions', '--dangerously-skip-permissions'],
      ['--mcp-config /tmp/x.json', '--mcp-config'],
      ['--settings {}', '--settings'],
      ['--add-dir /', '--add-dir'],
      ['--setting-sources project', '--setting-sources'],
      ['--plugin-dir ./p', '--plugin-dir'],
      ['--model opus --agents {}', '--agents'],
      ['--disallowedTools Edit Bash --settings x', '--settings'],
      ['--verbose=yes', '--verbose=yes'],
      ['--model', '--model'],
      ['-d', '-d'],
      ['stray', 'stray']
    ])('refuses %j, naming %s', (text, named) => {
      expect(errorOf({ mode: 'review', 'claude-args': text })).toBe(
        `Input 'claude-args' has value ${JSON.stringify(text)}: mode "review" runs the read-only reviewer, and '${named}' could give it tools, permissions, settings, MCP servers, directories or setting sources; expected only flags that narrow it (--model, --fallback-model, --effort, --append-system-prompt, --disallowedTools, --max-turns, --max-budget-usd, --betas)`
      )
    })

    it('leaves writer-only modes alone', () => {
      expect(
        parse({ mode: 'write', prompt: 'x', 'claude-args': '--add-dir /data' }).claudeArgs
      ).toEqual(['--add-dir', '/data'])
    })
  })

  const words = 'command-line words, split like a shell splits them'
  it.each([
    ['a | b', '|'],
    ['a; b', ';'],
    ['a && b', '&&'],
    ['a > out', '>'],
    ['a & b', '&'],
    ['Bash(x)', '(']
  ])('refuses the operator in %j', (text, op) => {
    expect(errorOf({ 'claude-args': text })).toBe(
      `Input 'claude-args' has value ${JSON.stringify(text)}: expected ${words}; it contains the shell operator '${op}': quote it, the arguments never go through a shell`
    )
  })

  it('refuses an unquoted glob', () => {
    expect(errorOf({ 'claude-args': '--add-dir *.ts' })).toBe(
      `Input 'claude-args' has value "--add-dir *.ts": expected ${words}; it contains the glob pattern "*.ts": quote it, no shell expands it`
    )
  })

  it('refuses a comment', () => {
    expect(errorOf({ 'claude-args': '--verbose # loud' })).toBe(
      `Input 'claude-args' has value "--verbose # loud": expected ${words}; it contains a comment (# loud): quote the '#'`
    )
  })

  it.each([`"open`, `'open`, `$'open`])('refuses the unclosed quote in %j', text => {
    expect(errorOf({ 'claude-args': text })).toBe(
      `Input 'claude-args' has value ${JSON.stringify(text)}: expected ${words}, with every quote closed`
    )
  })
})

describe('allowed-bots', () => {
  it('reads bot logins, [bot] optional, as GitHub names bots in events', () => {
    expect(
      parse({
        'allowed-bots': 'renovate[bot]\nDependabot, my-review-app ,\n\ntandem-reviewer[BOT]'
      }).allowedBots
    ).toEqual(['renovate[bot]', 'dependabot[bot]', 'my-review-app[bot]', 'tandem-reviewer[bot]'])
  })

  it('lists each bot once', () => {
    expect(parse({ 'allowed-bots': 'renovate, renovate[bot], RENOVATE' }).allowedBots).toEqual([
      'renovate[bot]'
    ])
  })

  it.each(['@renovate', 'octo org/bot', 'a_b', '-lead', 'x'.repeat(40), '*', 'bot[bot][bot]'])(
    'refuses %j, naming the input and the login',
    login => {
      expect(errorOf({ 'allowed-bots': `renovate, ${login}` })).toBe(
        `Input 'allowed-bots' has value ${JSON.stringify(login)}: expected bot logins such as ` +
          'dependabot[bot] or renovate, one per line or comma-separated: letters, digits and ' +
          'hyphens (not first), at most 39 characters, [bot] optional'
      )
    }
  )
})

describe('prompt and prompt-file', () => {
  it('reads prompt-file relative to working-directory', () => {
    const inputs = parse({ 'prompt-file': 'task.md', 'working-directory': 'sub' })
    expect(inputs.promptFile).toBe(path.join(workspace, 'sub', 'task.md'))
    expect(inputs.prompt).toBe('Fix the typo in README.md\n')
  })

  it('reads an absolute prompt-file', () => {
    const file = path.join(workspace, 'sub', 'task.md')
    expect(parse({ mode: 'write', 'prompt-file': file }).prompt).toBe('Fix the typo in README.md\n')
  })

  it('refuses both at once', () => {
    expect(errorOf({ prompt: 'p', 'prompt-file': 'p.md' })).toBe(
      `Inputs 'prompt' and 'prompt-file' are both set (prompt-file "p.md"): expected only one of them`
    )
  })

  it.each(['write', 'shard', 'run', 'pair'])('requires one in %s mode', mode => {
    expect(errorOf({ mode, tasks: '["a"]', 'shard-id': '1' })).toBe(
      `Inputs 'prompt' and 'prompt-file' are both empty: mode "${mode}"${mode === 'pair' ? " without 'pr-number'" : ''} expected one of them to give the task`
    )
  })

  it('lets pair work on an existing pull request without a prompt', () => {
    expect(parse({ mode: 'pair', 'pr-number': '7' }).prompt).toBeUndefined()
  })

  it.each(['review', 'address', 'collect'])('does not require one in %s mode', mode => {
    expect(parse({ mode }).prompt).toBeUndefined()
  })

  it('refuses a prompt-file that does not exist, naming the path', () => {
    expect(errorOf({ 'prompt-file': 'missing.md' })).toBe(
      `Input 'prompt-file' has value "missing.md": expected an existing file (${path.join(workspace, 'missing.md')} is not one)`
    )
  })

  it('refuses a directory as prompt-file', () => {
    expect(errorOf({ 'prompt-file': 'sub' })).toBe(
      `Input 'prompt-file' has value "sub": expected an existing file (${path.join(workspace, 'sub')} is not one)`
    )
  })

  it('refuses an empty prompt-file', () => {
    expect(errorOf({ 'prompt-file': 'empty.md' })).toBe(
      `Input 'prompt-file' has value "empty.md": expected a file holding the prompt (${path.join(workspace, 'empty.md')} is empty)`
    )
  })
})

describe('working-directory', () => {
  it('defaults to $GITHUB_WORKSPACE, else the current directory', () => {
    expect(parse({}).workingDirectory).toBe(workspace)
    expect(parseInputs(reader({}), {}).workingDirectory).toBe(process.cwd())
  })

  it('resolves a relative path inside the workspace', () => {
    expect(parse({ 'working-directory': 'sub' }).workingDirectory).toBe(path.join(workspace, 'sub'))
  })

  it('refuses a directory that does not exist', () => {
    expect(errorOf({ 'working-directory': 'nope' })).toBe(
      `Input 'working-directory' has value "nope": expected an existing directory (${path.join(workspace, 'nope')} is not one)`
    )
  })

  it('refuses a missing $GITHUB_WORKSPACE', () => {
    const gone = path.join(workspace, 'gone')
    expect(() => parseInputs(reader({}), { GITHUB_WORKSPACE: gone })).toThrow(
      new InputError(
        `Input 'working-directory' is empty and its default, $GITHUB_WORKSPACE ${JSON.stringify(gone)}, is not an existing directory`
      )
    )
  })
})

describe('review inputs', () => {
  it('read severities and the review event, ignoring case', () => {
    expect(
      parse({ 'blocking-severity': 'Critical', 'review-event': 'COMMENT', 'fail-on': 'minor' })
    ).toMatchObject({ blockingSeverity: 'critical', reviewEvent: 'comment', failOn: 'minor' })
  })

  it.each(SEVERITIES.map(s => [s]))('accept %s', severity => {
    expect(parse({ 'blocking-severity': severity, 'fail-on': severity })).toMatchObject({
      blockingSeverity: severity,
      failOn: severity
    })
  })

  it('treat fail-on none as never failing', () => {
    expect(parse({ 'fail-on': 'none' }).failOn).toBeUndefined()
    expect(parse({ 'fail-on': 'None' }).failOn).toBeUndefined()
  })

  it('refuse an unknown severity', () => {
    expect(errorOf({ 'blocking-severity': 'high' })).toBe(
      `Input 'blocking-severity' has value "high": expected one of critical, major, minor, nit`
    )
    expect(errorOf({ 'fail-on': 'warning' })).toBe(
      `Input 'fail-on' has value "warning": expected one of critical, major, minor, nit, none`
    )
  })

  it('refuse an unknown review event', () => {
    expect(errorOf({ 'review-event': 'approve' })).toBe(
      `Input 'review-event' has value "approve": expected one of auto, comment`
    )
  })
})

describe('claude-version and claude-path', () => {
  it.each(['2.0.1', 'latest', 'next', '2.1.197-beta.1'])('accept version %s', version => {
    expect(parse({ 'claude-version': version }).claudeVersion).toBe(version)
  })

  it.each(['--registry=http://x', '../evil', 'a b', 'git+https://x'])(
    'refuse version %j',
    version => {
      expect(errorOf({ 'claude-version': version })).toBe(
        `Input 'claude-version' has value ${JSON.stringify(version)}: expected a version such as 2.1.197 or an npm dist-tag such as latest`
      )
    }
  )

  it('leave a bare command name to the PATH lookup', () => {
    expect(parse({ 'claude-path': 'claude' }).claudePath).toBe('claude')
  })

  it('resolve a path against working-directory', () => {
    expect(parse({ 'claude-path': './claude' }).claudePath).toBe(path.join(workspace, 'claude'))
  })

  it('refuse a path that does not exist', () => {
    expect(errorOf({ 'claude-path': 'bin/claude' })).toBe(
      `Input 'claude-path' has value "bin/claude": expected an existing claude executable (${path.join(workspace, 'bin', 'claude')} is not a file)`
    )
  })
})

describe('plan mode', () => {
  it('takes exactly one task source', () => {
    expect(parse({ mode: 'plan', tasks: 'a\nb' }).tasks).toBe('a\nb')
    expect(parse({ mode: 'plan', files: '*.md' }).files).toEqual(['*.md'])
    expect(parse({ mode: 'plan', 'task-command': 'ls' }).taskCommand).toBe('ls')
  })

  it('refuses none', () => {
    expect(errorOf({ mode: 'plan' })).toBe(
      `Inputs 'tasks', 'files' and 'task-command' are all empty: mode "plan" expected exactly one of them`
    )
  })

  it('refuses two or three', () => {
    expect(errorOf({ mode: 'plan', tasks: 'a', files: '*.md' })).toBe(
      `Inputs 'tasks' and 'files' are both set: mode "plan" expected exactly one of 'tasks', 'files' or 'task-command'`
    )
    expect(errorOf({ mode: 'plan', tasks: 'a', files: '*.md', 'task-command': 'ls' })).toBe(
      `Inputs 'tasks', 'files' and 'task-command' are all set: mode "plan" expected exactly one of 'tasks', 'files' or 'task-command'`
    )
  })

  it('reads the sharding limits', () => {
    expect(
      parse({ mode: 'plan', tasks: 'a', 'shard-size': '4', 'max-shards': '20', canary: '3' })
    ).toMatchObject({ shardSize: 4, maxShards: 20, canary: 3 })
  })
})

describe('shard mode', () => {
  const base = { mode: 'shard', prompt: 'Do {task}', 'shard-id': 'shard-3' }
  const expected = "a JSON array of task strings, as the plan mode's matrix hands it"

  it('parses tasks as a JSON array of strings', () => {
    const inputs = parse({ ...base, tasks: '["fix a.ts", "fix b.ts"]', concurrency: '4' })
    expect(inputs).toMatchObject({
      shardTasks: ['fix a.ts', 'fix b.ts'],
      tasks: '["fix a.ts", "fix b.ts"]',
      shardId: 'shard-3',
      concurrency: 4
    })
  })

  it('leaves shardTasks undefined in other modes', () => {
    expect(parse({ mode: 'plan', tasks: '["a"]' }).shardTasks).toBeUndefined()
  })

  it('requires tasks', () => {
    expect(errorOf(base)).toBe(`Input 'tasks' is empty: mode "shard" expected ${expected}`)
  })

  it.each(['fix a\nfix b', '[1, 2]', '{"tasks": []}', '"a"', '["a", null]'])(
    'refuses tasks %j',
    tasks => {
      expect(errorOf({ ...base, tasks })).toBe(
        `Input 'tasks' has value ${JSON.stringify(tasks)}: expected ${expected}`
      )
    }
  )

  it('requires shard-id', () => {
    expect(errorOf({ ...base, 'shard-id': '', tasks: '["a"]' })).toBe(
      `Input 'shard-id' is empty: mode "shard" expected the shard's id from the matrix`
    )
  })

  it('refuses a shard-id that cannot name an artifact', () => {
    expect(errorOf({ ...base, 'shard-id': 'a/b', tasks: '["a"]' })).toBe(
      `Input 'shard-id' has value "a/b": expected letters, digits, '.', '_' or '-' only`
    )
  })

  it('refuses a prompt without {task}: every writer would get the same one', () => {
    expect(errorOf({ ...base, prompt: 'Migrate the file to ESM', tasks: '["a.js"]' })).toBe(
      `Input 'prompt' has value "Migrate the file to ESM": mode "shard" expected a template ` +
        `holding {task}, which each task of the shard replaces (e.g. "Migrate {task} to ESM")`
    )
  })

  it('refuses a prompt-file without {task}, naming the file', () => {
    const file = path.join(workspace, 'sub', 'task.md')
    expect(
      errorOf({
        ...base,
        prompt: '',
        'prompt-file': 'task.md',
        'working-directory': 'sub',
        tasks: '["a"]'
      })
    ).toBe(
      `Input 'prompt-file' has value "task.md": mode "shard" expected a file holding a template ` +
        `with {task}, which each task of the shard replaces (e.g. "Migrate {task} to ESM"); ` +
        `${file} has none`
    )
  })

  it('accepts {task} anywhere, more than once, and leaves other modes alone', () => {
    expect(parse({ ...base, prompt: '{task}: port {task}', tasks: '["a"]' }).prompt).toBe(
      '{task}: port {task}'
    )
    expect(parse({ mode: 'write', prompt: 'no placeholder' }).prompt).toBe('no placeholder')
  })
})

describe('readInputs', () => {
  beforeEach(() => {
    actionInputs.clear()
  })

  it('reads through @actions/core', () => {
    actionInputs.set('github-token', 'ghs_secret')
    actionInputs.set('anthropic-api-key', 'sk-ant-secret')
    actionInputs.set('working-directory', workspace)
    const inputs = readInputs()
    expect(inputs.githubToken).toBe('ghs_secret')
    expect(inputs.anthropicApiKey).toBe('sk-ant-secret')
  })
})

describe('tool rules', () => {
  it.each(['--tools=Bash', '-x', '--allowedTools=Bash', '(Bash)', 'Bash git', '1Read'])(
    'refuse %j in disallowed-tools and allowed-tools: it would be read as a CLI flag or is no rule',
    rule => {
      for (const name of ['disallowed-tools', 'allowed-tools']) {
        expect(errorOf({ [name]: `WebFetch\n${rule}` })).toBe(
          `Input '${name}' has value ${JSON.stringify(rule)}: expected a tool name or a permission rule with balanced parentheses, such as Edit or Bash(npm test)`
        )
      }
    }
  )

  it('take names, MCP tools and rules with any specifier', () => {
    const rules = ['Read', 'mcp__github__get_issue', 'Bash(npm run lint, npm test)', 'Edit(//x/**)']
    expect(
      parse({ mode: 'run', prompt: 'x', 'allowed-tools': rules.join('\n') }).allowedTools
    ).toEqual(rules)
  })
})

describe('matrix (collect)', () => {
  it("reads plan's matrix output", () => {
    const json = '{"include":[{"shard":1,"tasks":["a.js","b.js"]},{"shard":2,"tasks":["c.js"]}]}'
    expect(parse({ mode: 'collect', matrix: json }).matrix).toEqual({
      include: [
        { shard: 1, tasks: ['a.js', 'b.js'] },
        { shard: 2, tasks: ['c.js'] }
      ]
    })
  })

  it.each(['[1,2]', '{"include":[{"shard":0,"tasks":[]}]}', '{"include":[{"shard":1}]}', '{'])(
    'refuses %j, naming the input and the shape',
    raw => {
      expect(errorOf({ mode: 'collect', matrix: raw })).toBe(
        `Input 'matrix' has value ${JSON.stringify(raw)}: expected the plan mode's matrix output: {"include":[{"shard":1,"tasks":["…"]},…]}`
      )
    }
  )
})

describe('commit-author', () => {
  it('reads a git identity', () => {
    expect(parse({ 'commit-author': 'Tandem Bot <tandem@example.com>' }).commitAuthor).toEqual({
      name: 'Tandem Bot',
      email: 'tandem@example.com'
    })
  })

  it('refuses anything else, naming the input', () => {
    expect(() => parse({ 'commit-author': 'tandem@example.com' })).toThrow(
      `Input 'commit-author' has value "tandem@example.com": expected a git identity such as "Tandem Bot <tandem@example.com>"`
    )
  })
})

describe('session-id', () => {
  it('takes a session UUID as the CLI prints it', () => {
    const id = '2A905A19-a645-4dd4-8ea7-586adf94a4b0'
    expect(parse({ mode: 'address', 'session-id': ` ${id} ` }).sessionId).toBe(id.toLowerCase())
  })

  it.each(['latest', '../../etc/passwd', '2a905a19-a645-4dd4-8ea7', '--resume'])(
    'refuses %s',
    value => {
      expect(errorOf({ mode: 'address', 'session-id': value })).toBe(
        `Input 'session-id' has value ${JSON.stringify(value)}: expected a Claude Code session id, a UUID such as 2a905a19-a645-4dd4-8ea7-586adf94a4b0 (the 'session-id' output of an earlier step)`
      )
    }
  )
})

describe('shard tasks', () => {
  it.each([['a.js', 'b\n::add-mask::x'], ['a.js', '  '], ['c\r.js']])(
    'refuses a task that is empty or holds a control character (%j)',
    (...tasks) => {
      expect(
        errorOf({
          mode: 'shard',
          'shard-id': '1',
          prompt: 'Do {task}',
          tasks: JSON.stringify(tasks)
        })
      ).toMatch(/^Input 'tasks' has value .*none empty or holding a control character/)
    }
  )
})
