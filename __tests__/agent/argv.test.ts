import { describe, expect, it } from '@jest/globals'
import {
  buildAgentEnv,
  buildArgv,
  wideningArgument,
  type SessionOptions
} from '../../src/agent/argv.js'

const base: SessionOptions = {
  maxTurns: 30,
  allowedTools: [],
  disallowedTools: [],
  extraArgs: []
}

describe('buildArgv', () => {
  it('always asks for headless stream-json with the turn limit and permission mode', () => {
    expect(buildArgv(base)).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--max-turns',
      '30',
      '--permission-mode',
      'dontAsk'
    ])
  })

  it('passes each tool rule as its own argument so spaces and commas survive', () => {
    const argv = buildArgv({
      ...base,
      allowedTools: ['Read', 'Bash(npm run lint, npm test)'],
      disallowedTools: ['WebFetch']
    })
    expect(argv.slice(argv.indexOf('--allowedTools'), argv.indexOf('--allowedTools') + 3)).toEqual([
      '--allowedTools',
      'Read',
      'Bash(npm run lint, npm test)'
    ])
    expect(argv).toContain('WebFetch')
  })

  it('adds model, budget, schema, setting sources, resume and extra args in order', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } }
    const argv = buildArgv({
      ...base,
      model: 'claude-sonnet-4-5',
      maxBudgetUsd: 0.5,
      jsonSchema: schema,
      settingSources: 'user',
      resumeSessionId: 'abc',
      extraArgs: ['--add-dir', '/tmp/x y']
    })
    expect(argv).toEqual(
      expect.arrayContaining(['--model', 'claude-sonnet-4-5', '--max-budget-usd', '0.5'])
    )
    expect(argv[argv.indexOf('--json-schema') + 1]).toBe(JSON.stringify(schema))
    expect(argv[argv.indexOf('--setting-sources') + 1]).toBe('user')
    expect(argv[argv.indexOf('--resume') + 1]).toBe('abc')
    expect(argv.slice(-2)).toEqual(['--add-dir', '/tmp/x y'])
  })

  it('offers only the listed built-in tools, as one comma-joined value, and no MCP servers', () => {
    const argv = buildArgv({
      ...base,
      tools: ['Read', 'Grep', 'Glob'],
      strictMcpConfig: true,
      extraArgs: ['--model', 'x']
    })
    expect(argv[argv.indexOf('--tools') + 1]).toBe('Read,Grep,Glob')
    // Before the extra args, which can then only add what wideningArgument lets through.
    expect(argv.indexOf('--strict-mcp-config')).toBeLessThan(argv.indexOf('--model'))
    expect(buildArgv(base)).not.toContain('--tools')
  })
})

describe('wideningArgument', () => {
  it.each<[string[], string | undefined]>([
    [[], undefined],
    [['--model', 'opus', '--max-turns=3'], undefined],
    [['--disallowedTools', 'Read', 'Grep', '--verbose'], undefined],
    [['--disallowed-tools=Read'], undefined],
    [['--model', 'opus', '--settings', '{}'], '--settings'],
    [['--allowedTools', 'Bash'], '--allowedTools'],
    [['--tools=default'], '--tools'],
    [['--add-dir', '/'], '--add-dir'],
    [['--model', 'opus', 'Bash'], 'Bash'],
    [['--strict-mcp-config=false'], '--strict-mcp-config=false'],
    [['--effort'], '--effort']
  ])('%j → %j', (args, expected) => {
    expect(wideningArgument(args)).toBe(expected)
  })
})

describe('buildAgentEnv', () => {
  const runner = {
    PATH: '/usr/bin',
    HOME: '/home/runner',
    GITHUB_TOKEN: 'ghs_secret',
    GH_TOKEN: 'ghs_secret',
    MY_TOKEN_COPY: 'ghs_secret',
    'INPUT_GITHUB-TOKEN': 'ghs_secret',
    INPUT_PROMPT: 'do it',
    ACTIONS_RUNTIME_TOKEN: 'rt',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
    ACTIONS_RESULTS_URL: 'https://results',
    ACTIONS_CACHE_SERVICE_V2: 'True',
    GITHUB_ENV: '/runner/temp/_runner_file_commands/set_env_1',
    GITHUB_PATH: '/runner/temp/_runner_file_commands/add_path_1',
    GITHUB_OUTPUT: '/runner/temp/_runner_file_commands/set_output_1',
    GITHUB_STATE: '/runner/temp/_runner_file_commands/save_state_1',
    GITHUB_STEP_SUMMARY: '/runner/temp/_runner_file_commands/step_summary_1',
    GITHUB_REPOSITORY: 'o/r',
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:1'
  }

  const proxied = { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', ANTHROPIC_API_KEY: 'tandem-proxy-x' }

  it('withholds the GitHub token under every name, inputs and runner credentials', () => {
    const env = buildAgentEnv(runner, { secrets: ['ghs_secret'], model: proxied })
    expect(Object.values(env)).not.toContain('ghs_secret')
    for (const name of [
      'GITHUB_TOKEN',
      'GH_TOKEN',
      'MY_TOKEN_COPY',
      'INPUT_GITHUB-TOKEN',
      'INPUT_PROMPT',
      'ACTIONS_RUNTIME_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      'ACTIONS_RESULTS_URL',
      'ACTIONS_CACHE_SERVICE_V2',
      'GITHUB_ENV',
      'GITHUB_PATH',
      'GITHUB_OUTPUT',
      'GITHUB_STATE',
      'GITHUB_STEP_SUMMARY'
    ]) {
      expect(env).not.toHaveProperty([name])
    }
  })

  it("keeps context, and gives the proxy's URL and key instead of the runner's", () => {
    const env = buildAgentEnv(
      { ...runner, ANTHROPIC_API_KEY: 'sk-ant-real', ANTHROPIC_AUTH_TOKEN: 'tok' },
      { secrets: ['ghs_secret', 'sk-ant-real'], model: proxied }
    )
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      GITHUB_REPOSITORY: 'o/r',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      ANTHROPIC_API_KEY: 'tandem-proxy-x',
      DISABLE_AUTOUPDATER: '1'
    })
    expect(env).not.toHaveProperty(['ANTHROPIC_AUTH_TOKEN'])
  })

  it("passes a provider's own settings through when nothing is proxied (Bedrock, Vertex)", () => {
    const env = buildAgentEnv(
      { CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'us-east-1', ANTHROPIC_BASE_URL: 'https://b' },
      { secrets: [] }
    )
    expect(env).toMatchObject({
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: 'us-east-1',
      ANTHROPIC_BASE_URL: 'https://b'
    })
  })
})
