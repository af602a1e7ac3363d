import { describe, expect, it } from '@jest/globals'
import { buildAgentEnv, buildArgv, type SessionOptions } from '../../src/agent/argv.js'

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
    GITHUB_REPOSITORY: 'o/r',
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:1'
  }

  it('withholds the GitHub token under every name, inputs and runner credentials', () => {
    const env = buildAgentEnv(runner, { secrets: ['ghs_secret'], anthropicApiKey: 'sk-ant' })
    expect(Object.values(env)).not.toContain('ghs_secret')
    for (const name of [
      'GITHUB_TOKEN',
      'GH_TOKEN',
      'MY_TOKEN_COPY',
      'INPUT_GITHUB-TOKEN',
      'INPUT_PROMPT',
      'ACTIONS_RUNTIME_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      'ACTIONS_RESULTS_URL'
    ]) {
      expect(env).not.toHaveProperty([name])
    }
  })

  it('keeps provider settings and context, and sets the API key', () => {
    const env = buildAgentEnv(runner, { secrets: ['ghs_secret'], anthropicApiKey: 'sk-ant' })
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      GITHUB_REPOSITORY: 'o/r',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:1',
      ANTHROPIC_API_KEY: 'sk-ant',
      DISABLE_AUTOUPDATER: '1'
    })
  })

  it('leaves an ANTHROPIC_API_KEY from the environment when the input is empty', () => {
    const env = buildAgentEnv({ ANTHROPIC_API_KEY: 'from-env' }, { secrets: [] })
    expect(env.ANTHROPIC_API_KEY).toBe('from-env')
  })
})
