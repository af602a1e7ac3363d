// Every input action.yml declares, fed hostile values: each is either taken as data (exactly
// what was given) or refused with a message naming the input, quoting the value (cut, for a
// huge one) and saying what was expected. A new input without a row here fails the first test.
import { afterAll, describe, expect, it } from '@jest/globals'
import { load } from 'js-yaml'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { InputError, parseInputs, type Inputs } from '../src/inputs.js'

const declared = Object.keys(
  (
    load(readFileSync(path.join(import.meta.dirname, '..', 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>
    }
  ).inputs
)

// Two levels below /, so '../../etc/passwd' from it is /etc/passwd.
const workspace = mkdtempSync('/tmp/tandem-bad-inputs-')
writeFileSync(path.join(workspace, 'binary.md'), 'Fix it\0\x01\x02')
writeFileSync(path.join(workspace, 'huge.md'), `Fix it. ${'y'.repeat(1 << 20)}`)
const env = { GITHUB_WORKSPACE: workspace }
afterAll(() => rmSync(workspace, { recursive: true, force: true }))

const MB = 'x'.repeat(1 << 20)
const HOSTILE = {
  nul: 'a\0b',
  subst: '$(touch /tmp/pwned)',
  semi: '; rm -rf /',
  tick: '`touch /tmp/pwned`',
  newline: 'a\nb',
  dotdot: '../../etc/passwd',
  absolute: '/etc/passwd',
  huge: MB
} as const
type Hostile = keyof typeof HOSTILE

/** How a value is quoted in an error: JSON, cut after 200 characters with the full length. */
function quoted(value: string): string {
  return value.length <= 200
    ? JSON.stringify(value)
    : `${JSON.stringify(`${value.slice(0, 200)}…`)} (${value.length} characters)`
}

const bad = (name: string, value: string, expected: string): string =>
  `Input '${name}' has value ${quoted(value)}: expected ${expected}`
const badSecret = (name: string, value: string, expected: string): string =>
  `Input '${name}' has a value that is not shown (a secret of ${value.length} characters): expected ${expected}`

function outcome(
  values: Record<string, string>
): { inputs: Inputs; error?: undefined } | { error: string } {
  try {
    return { inputs: parseInputs(name => values[name] ?? '', env) }
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return { error: (error as Error).message }
  }
}

/** `ok`: taken as data, the field holding `parsed` (default: the value, trimmed); `err`: refused. */
type Verdict = { ok: true; parsed?: unknown } | { err: string }
const ok = (...parsed: [unknown?]): Verdict => ({
  ok: true,
  ...(parsed.length === 0 ? {} : { parsed: parsed[0] })
})
const err = (expected: string): Verdict => ({ err: expected })

interface Row {
  field: keyof Inputs
  /** Other inputs the value needs to be read at all (a mode). */
  context?: Record<string, string>
  secret?: boolean
  /** The verdict for each hostile value but NUL, which every input refuses alike. */
  hostile: Record<Exclude<Hostile, 'nul'>, Verdict>
  /** Values only this kind of input can get wrong: numbers, enums, paths. */
  extra?: [string, Verdict][]
}

function all(verdict: Verdict): Row['hostile'] {
  return {
    subst: verdict,
    semi: verdict,
    tick: verdict,
    newline: verdict,
    dotdot: verdict,
    absolute: verdict,
    huge: verdict
  }
}

const text: Row['hostile'] = all(ok())
const list = (huge: Verdict): Row['hostile'] => ({
  subst: ok([HOSTILE.subst]),
  semi: ok([HOSTILE.semi]),
  tick: ok([HOSTILE.tick]),
  newline: ok(['a', 'b']),
  dotdot: ok([HOSTILE.dotdot]),
  absolute: ok([HOSTILE.absolute]),
  huge
})

const WHOLE = (min: number) => `a whole number ≥ ${min}`
const wholeNumber = (min: number, max?: number, note?: string): Pick<Row, 'hostile' | 'extra'> => {
  const expected = max === undefined ? WHOLE(min) : `a whole number from ${min} to ${max} (${note})`
  return {
    hostile: all(err(expected)),
    extra: [
      [String(min - 1), err(expected)],
      ['-1', err(expected)],
      ['1.5', err(expected)],
      ['1e3', err(expected)],
      ['0x10', err(expected)],
      ['9007199254740993', err(expected)],
      ['12abc', err(expected)],
      [String(min), ok(min)],
      [` ${max ?? 9007199254740991} `, ok(max ?? 9007199254740991)],
      ...(max === undefined ? [] : ([[String(max + 1), err(expected)]] as [string, Verdict][]))
    ]
  }
}

const POSITIVE = 'a number greater than 0, such as 5 or 0.5'
const positive = (expected = POSITIVE, max?: number): Pick<Row, 'hostile' | 'extra'> => ({
  hostile: all(err(expected)),
  extra: [
    ['0', err(expected)],
    ['-1', err(expected)],
    ['Infinity', err(expected)],
    ['NaN', err(expected)],
    ['1e3', err(expected)],
    ['9'.repeat(400), err(expected)],
    ['0.5', ok(0.5)],
    ...(max === undefined
      ? ([['1000000', ok(1_000_000)]] as [string, Verdict][])
      : ([
          [String(max), ok(max)],
          [String(max + 1), err(expected)]
        ] as [string, Verdict][]))
  ]
})

const boolean = (field: keyof Inputs, fallback: boolean): Row => ({
  field,
  hostile: all(err('true or false')),
  extra: [
    ['yes', err('true or false')],
    ['1', err('true or false')],
    ['tRuE', err('true or false')],
    ['', ok(fallback)],
    [' TRUE ', ok(true)]
  ]
})

const choice = (field: keyof Inputs, choices: string, known: string, parsed: unknown): Row => ({
  field,
  hostile: all(err(`one of ${choices}`)),
  extra: [
    ['unknown', err(`one of ${choices}`)],
    ['critical!', err(`one of ${choices}`)],
    [known, ok(parsed)]
  ]
})

const TOOL_RULE =
  'a tool name or a permission rule with balanced parentheses, such as Edit or Bash(npm test)'
const toolRules = (field: keyof Inputs, context: Record<string, string>): Row => ({
  field,
  context,
  hostile: {
    ...all(err(TOOL_RULE)),
    newline: ok(['a', 'b']),
    huge: ok([MB])
  },
  extra: [
    ['Bash($(touch /tmp/pwned))', ok(['Bash($(touch /tmp/pwned))'])],
    ['Bash(`id`; rm -rf /)', ok(['Bash(`id`; rm -rf /)'])],
    ['--dangerously-skip-permissions', err(TOOL_RULE)],
    ['Bash(x', err(TOOL_RULE)]
  ]
})

const BRANCH = (why: string) => `a git branch name (${why})`
const CHARS = 'it contains a space, a control character or one of ~ ^ : ? * [ \\'
const branchName = (field: keyof Inputs): Row => ({
  field,
  hostile: {
    subst: err(BRANCH(CHARS)),
    semi: err(BRANCH(CHARS)),
    tick: err(BRANCH(CHARS)),
    newline: err(BRANCH(CHARS)),
    dotdot: err(BRANCH("it contains '..'")),
    absolute: err(BRANCH("it has an empty path component ('/' at either end or '//')")),
    huge: err(BRANCH('it is longer than 255 bytes, more than a ref file name holds'))
  },
  extra: [
    ['--force', err(BRANCH("it starts with '-'"))],
    ['refs/heads/x', err(BRANCH("give the branch's short name, without refs/"))],
    ['HEAD', err(BRANCH("'HEAD' is not a branch"))],
    ['a@{1}', err(BRANCH("it contains '@{'"))],
    ['x.lock', err(BRANCH("its component 'x.lock' ends with '.lock'"))],
    ['tandem/$(id)`id`;|&', ok()],
    ['y'.repeat(255), ok()]
  ]
})

const SECRET = 'a single token without spaces, line breaks or control characters'
const secret = (field: keyof Inputs): Row => ({
  field,
  secret: true,
  hostile: {
    ...all(err(SECRET)),
    dotdot: ok(),
    absolute: ok(),
    huge: ok()
  },
  extra: [
    ['ghs_abc\tdef', err(SECRET)],
    ['sk-ant-\x7f', err(SECRET)],
    ['ghs_$(touch/tmp/pwned)', ok()]
  ]
})

const RULES: Record<string, Row> = {
  mode: {
    ...choice(
      'mode',
      'review, write, address, pair, plan, shard, collect, explore, run',
      'RUN',
      'run'
    ),
    context: { prompt: 'p' }
  },
  prompt: {
    field: 'prompt',
    context: { mode: 'run' },
    hostile: text,
    extra: [
      ['  padded\n', ok('padded')],
      ['{task} $HOME ${{ secrets.X }}', ok()]
    ]
  },
  'prompt-file': {
    field: 'prompt',
    context: { mode: 'run' },
    hostile: {
      subst: err(`an existing file (${workspace}/$(touch /tmp/pwned) is not one)`),
      semi: err(`an existing file (${workspace}/; rm -rf  is not one)`),
      tick: err(`an existing file (${workspace}/\`touch /tmp/pwned\` is not one)`),
      newline: err(`an existing file (${workspace}/a\nb is not one)`),
      // Any readable file: the workflow's author names it, as with actions/checkout's inputs.
      dotdot: ok(readFileSync('/etc/passwd', 'utf8')),
      absolute: ok(readFileSync('/etc/passwd', 'utf8')),
      huge: err(`an existing file (${`${workspace}/${MB}`.slice(0, 200)}… is not one)`)
    },
    extra: [
      ['binary.md', err(`a text file (${workspace}/binary.md holds a NUL byte)`)],
      ['huge.md', ok(`Fix it. ${'y'.repeat(1 << 20)}`)],
      ['.', err(`an existing file (${workspace} is not one)`)]
    ]
  },
  'anthropic-api-key': secret('anthropicApiKey'),
  'github-token': secret('githubToken'),
  model: {
    field: 'model',
    hostile: {
      ...all(
        err(
          'a model name such as claude-sonnet-4-5 or an alias such as opus (one word, not starting with -)'
        )
      ),
      // One argv word, never a path the action opens; the API answers for an unknown model.
      dotdot: ok(),
      absolute: ok(),
      huge: ok()
    },
    extra: [
      ['claude-opus-4-8[1m]', ok()],
      ['arn:aws:bedrock:us-east-1:1:inference-profile/x', ok()],
      [
        '--dangerously-skip-permissions',
        err(
          'a model name such as claude-sonnet-4-5 or an alias such as opus (one word, not starting with -)'
        )
      ]
    ]
  },
  'allowed-tools': toolRules('allowedTools', { mode: 'run', prompt: 'p' }),
  'disallowed-tools': toolRules('disallowedTools', {}),
  'max-turns': { field: 'maxTurns', ...wholeNumber(1) },
  'max-budget-usd': { field: 'maxBudgetUsd', ...positive() },
  'timeout-minutes': {
    field: 'timeoutMinutes',
    ...positive(
      'a number greater than 0 and at most 35791 (the longest a timer can wait), such as 5 or 0.5',
      35791
    )
  },
  'claude-args': {
    field: 'claudeArgs',
    context: { mode: 'run', prompt: 'p' },
    hostile: {
      subst: err(
        "command-line words, split like a shell splits them; it contains the shell operator '(': quote it, the arguments never go through a shell"
      ),
      semi: err(
        "command-line words, split like a shell splits them; it contains the shell operator ';': quote it, the arguments never go through a shell"
      ),
      // Never run, so a backtick is a character of a word.
      tick: ok(['`touch', '/tmp/pwned`']),
      newline: ok(['a', 'b']),
      dotdot: ok([HOSTILE.dotdot]),
      absolute: ok([HOSTILE.absolute]),
      huge: ok([MB])
    },
    extra: [
      ['"$(touch /tmp/pwned)"', ok(['$(touch /tmp/pwned)'])],
      [
        '--x $(id)',
        err(
          "command-line words, split like a shell splits them; it contains the shell operator '(': quote it, the arguments never go through a shell"
        )
      ],
      ['--x "`id`"', ok(['--x', '`id`'])]
    ]
  },
  'claude-path': {
    field: 'claudePath',
    hostile: {
      subst: err(`an existing claude executable (${workspace}/$(touch /tmp/pwned) is not a file)`),
      semi: err(`an existing claude executable (${workspace}/; rm -rf  is not a file)`),
      tick: err(`an existing claude executable (${workspace}/\`touch /tmp/pwned\` is not a file)`),
      // A bare name is looked up on PATH, where no such file exists: the locate step fails.
      newline: ok(),
      dotdot: ok('/etc/passwd'),
      absolute: ok('/etc/passwd'),
      huge: ok()
    }
  },
  'claude-version': {
    field: 'claudeVersion',
    hostile: {
      ...all(err('a version such as 2.1.197 or an npm dist-tag such as latest')),
      huge: ok()
    },
    extra: [
      ['--registry=http://evil', err('a version such as 2.1.197 or an npm dist-tag such as latest')]
    ]
  },
  'pr-number': { field: 'prNumber', ...wholeNumber(1) },
  'working-directory': {
    field: 'workingDirectory',
    hostile: {
      subst: err(`an existing directory (${workspace}/$(touch /tmp/pwned) is not one)`),
      semi: err(`an existing directory (${workspace}/; rm -rf  is not one)`),
      tick: err(`an existing directory (${workspace}/\`touch /tmp/pwned\` is not one)`),
      newline: err(`an existing directory (${workspace}/a\nb is not one)`),
      dotdot: err('an existing directory (/etc/passwd is not one)'),
      absolute: err('an existing directory (/etc/passwd is not one)'),
      huge: err(`an existing directory (${`${workspace}/${MB}`.slice(0, 200)}… is not one)`)
    },
    extra: [
      ['/etc', ok('/etc')],
      ['..', ok('/tmp')]
    ]
  },
  'allowed-bots': {
    field: 'allowedBots',
    hostile: {
      ...all(
        err(
          'bot logins such as dependabot[bot] or renovate, one per line or comma-separated: letters, digits and hyphens (not first), at most 39 characters, [bot] optional'
        )
      ),
      newline: ok(['a[bot]', 'b[bot]'])
    }
  },
  'blocking-severity': choice('blockingSeverity', 'critical, major, minor, nit', 'Nit', 'nit'),
  'review-event': choice('reviewEvent', 'auto, comment', 'COMMENT', 'comment'),
  'fail-on': choice('failOn', 'critical, major, minor, nit, none', 'none', undefined),
  'max-inline-comments': { field: 'maxInlineComments', ...wholeNumber(0) },
  incremental: boolean('incremental', true),
  branch: branchName('branch'),
  base: branchName('base'),
  'commit-message': { field: 'commitMessage', hostile: text },
  'pr-title': {
    field: 'prTitle',
    hostile: { ...text, huge: err("at most 256 characters, GitHub's limit for a title") },
    extra: [
      ['t'.repeat(256), ok()],
      ['t'.repeat(257), err("at most 256 characters, GitHub's limit for a title")],
      // Characters, not UTF-16 units: 256 emoji are 512 units.
      ['😀'.repeat(256), ok()]
    ]
  },
  // Cut to GitHub's 65,536 characters where it is posted (fitBody), so any length is data.
  'pr-body': { field: 'prBody', hostile: text },
  labels: {
    field: 'labels',
    hostile: list(
      err("label names of at most 50 characters, GitHub's limit, one per line or comma-separated")
    ),
    extra: [['l'.repeat(50), ok(['l'.repeat(50)])]]
  },
  draft: boolean('draft', false),
  'allow-workflow-changes': boolean('allowWorkflowChanges', false),
  review: boolean('review', false),
  // A shell command by contract: the user's own check.
  'verify-command': { field: 'verifyCommand', hostile: text },
  'max-rounds': { field: 'maxRounds', ...wholeNumber(1) },
  'commit-author': {
    field: 'commitAuthor',
    hostile: all(err('a git identity such as "Tandem Bot <tandem@example.com>"')),
    extra: [
      ['$(touch /tmp/pwned) <a@b>', ok({ name: '$(touch /tmp/pwned)', email: 'a@b' })],
      ['A <@b>', err('a git identity such as "Tandem Bot <tandem@example.com>"')],
      ['A <a@>', err('a git identity such as "Tandem Bot <tandem@example.com>"')],
      ['A <a b@c>', err('a git identity such as "Tandem Bot <tandem@example.com>"')],
      ['<a@b>', err('a git identity such as "Tandem Bot <tandem@example.com>"')],
      ['A\nB <a@b>', err('a git identity such as "Tandem Bot <tandem@example.com>"')]
    ]
  },
  'pair-budget-usd': { field: 'pairBudgetUsd', ...positive() },
  'include-human-comments': boolean('includeHumanComments', false),
  'session-id': {
    field: 'sessionId',
    hostile: all(
      err(
        "a Claude Code session id, a UUID such as 2a905a19-a645-4dd4-8ea7-586adf94a4b0 (the 'session-id' output of an earlier step)"
      )
    )
  },
  // In plan mode the raw list; the plan checks each task (see fanout tests).
  tasks: { field: 'tasks', context: { mode: 'plan' }, hostile: text },
  files: { field: 'files', context: { mode: 'plan' }, hostile: list(ok([MB])) },
  // A command by contract, run by the action's user.
  'task-command': { field: 'taskCommand', context: { mode: 'plan' }, hostile: text },
  'shard-size': { field: 'shardSize', ...wholeNumber(1) },
  'max-shards': { field: 'maxShards', ...wholeNumber(1, 256, "GitHub's matrix limit") },
  canary: { field: 'canary', ...wholeNumber(0) },
  'shard-id': {
    field: 'shardId',
    hostile: { ...all(err("letters, digits, '.', '_' or '-' only")), huge: ok() }
  },
  concurrency: { field: 'concurrency', ...wholeNumber(1) },
  matrix: {
    field: 'matrix',
    context: { mode: 'collect' },
    hostile: all(err('the plan mode\'s matrix output: {"include":[{"shard":1,"tasks":["…"]},…]}')),
    extra: [
      [
        '{"include":[{"shard":1,"tasks":["$(touch /tmp/pwned)"]}]}',
        ok({ include: [{ shard: 1, tasks: ['$(touch /tmp/pwned)'] }] })
      ],
      [
        '{"include":[{"shard":-1,"tasks":["a"]}]}',
        err('the plan mode\'s matrix output: {"include":[{"shard":1,"tasks":["…"]},…]}')
      ]
    ]
  },
  'artifact-pattern': { field: 'artifactPattern', hostile: text },
  'tests-first': boolean('testsFirst', false),
  'test-paths': { field: 'testPaths', hostile: list(ok([MB])) },
  candidates: {
    field: 'candidates',
    ...wholeNumber(1, 8, 'more parallel writers on one task stop paying for themselves')
  },
  // Hints for the model, one per line: text, never run.
  approaches: { field: 'approaches', hostile: list(ok([MB])) }
}

function expectVerdict(name: string, row: Row, value: string, verdict: Verdict): void {
  const result = outcome({ ...row.context, [name]: value })
  if ('err' in verdict) {
    const message = row.secret ? badSecret(name, value, verdict.err) : bad(name, value, verdict.err)
    expect(result.error).toBe(message)
    // A 1 MB value is quoted cut, never whole; a secret is never quoted at all.
    expect(result.error!.length).toBeLessThan(1000)
    if (row.secret) expect(result.error).not.toContain(value)
  } else {
    expect(result.error).toBeUndefined()
    const parsed = 'parsed' in verdict ? verdict.parsed : value.trim()
    expect((result as { inputs: Inputs }).inputs[row.field]).toEqual(parsed)
  }
}

describe('the table', () => {
  it('has a row for every input action.yml declares, and none for an input it lacks', () => {
    expect(Object.keys(RULES).sort()).toEqual([...declared].sort())
  })
})

describe.each(declared.map(name => [name]))('%s', name => {
  const row = RULES[name]!

  it('refuses a NUL byte, naming the input', () => {
    const value = HOSTILE.nul
    const result = outcome({ ...row.context, [name]: value })
    expect(result.error).toBe(
      row.secret
        ? badSecret(name, value, 'text without NUL bytes')
        : bad(name, value, 'text without NUL bytes')
    )
  })

  it.each(Object.keys(row.hostile) as Exclude<Hostile, 'nul'>[])('%s', key => {
    expectVerdict(name, row, HOSTILE[key], row.hostile[key])
  })

  if (row.extra) {
    it.each(row.extra.map(([value, verdict]) => [value.slice(0, 40), value, verdict] as const))(
      'extra %j',
      (_label, value, verdict) => expectVerdict(name, row, value, verdict)
    )
  }
})

describe('required and conditional inputs', () => {
  it.each([
    [
      { mode: 'run', prompt: '  \n ' },
      `Inputs 'prompt' and 'prompt-file' are both empty: mode "run" expected one of them to give the task`
    ],
    [
      { mode: 'shard', prompt: 'Do {task}', 'shard-id': '1' },
      `Input 'tasks' is empty: mode "shard" expected a JSON array of task strings, as the plan mode's matrix hands it`
    ],
    [
      { mode: 'shard', prompt: 'Do {task}', tasks: '["a"]' },
      `Input 'shard-id' is empty: mode "shard" expected the shard's id from the matrix`
    ],
    [
      { mode: 'shard', prompt: MB, tasks: '["a"]', 'shard-id': '1' },
      `Input 'prompt' has value ${quoted(MB)}: mode "shard" expected a template holding {task}, which each task of the shard replaces (e.g. "Migrate {task} to ESM")`
    ],
    [
      { mode: 'shard', prompt: 'Do {task}', tasks: `["${MB}"`, 'shard-id': '1' },
      bad('tasks', `["${MB}"`, "a JSON array of task strings, as the plan mode's matrix hands it")
    ],
    [
      { mode: 'shard', prompt: 'Do {task}', tasks: '["a\\u0000b"]', 'shard-id': '1' },
      bad(
        'tasks',
        '["a\\u0000b"]',
        `a JSON array of task strings, as the plan mode's matrix hands it, none empty or holding a control character (${JSON.stringify('a\0b')})`
      )
    ],
    [
      { mode: 'review', 'claude-args': `--model ${MB}x --tools Bash` },
      `Input 'claude-args' has value ${quoted(`--model ${MB}x --tools Bash`)}: mode "review" runs the read-only reviewer, and '--tools' could give it tools, permissions, settings, MCP servers, directories or setting sources; expected only flags that narrow it (--model, --fallback-model, --effort, --append-system-prompt, --disallowedTools, --max-turns, --max-budget-usd, --betas)`
    ],
    [
      { prompt: 'p', 'prompt-file': MB },
      `Inputs 'prompt' and 'prompt-file' are both set (prompt-file ${quoted(MB)}): expected only one of them`
    ]
  ])('%#: refuses with a message naming the input', (values, message) => {
    const result = outcome(values)
    expect(result.error).toBe(message)
    expect(result.error!.length).toBeLessThan(1000)
  })
})

describe('bounded work on hostile values', () => {
  // The runner cannot hand over more than 128 KiB in one variable (E2BIG), so that is the
  // largest value a real run sees; the old commit-author regex took ~7 s on it.
  it.each([
    ['commit-author', `a${' '.repeat(128 * 1024)}x`],
    ['commit-author', `a <${'@'.repeat(128 * 1024)}`],
    ['claude-args', 'a '.repeat(64 * 1024)],
    ['allowed-tools', `Bash(${'('.repeat(64 * 1024)}`],
    ['allowed-bots', 'a,'.repeat(64 * 1024)]
  ])('%s on a 128 KiB value takes under 0.5 s', (name, value) => {
    const started = performance.now()
    outcome({ mode: 'run', prompt: 'x', [name]: value })
    expect(performance.now() - started).toBeLessThan(500)
  })
})
