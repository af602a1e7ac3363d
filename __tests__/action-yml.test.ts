import yaml from 'js-yaml'
import { createRequire } from 'node:module'
import { afterAll, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_CLAUDE_VERSION } from '../src/inputs.js'
import { parseInputs } from '../src/inputs.js'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const actionYmlText = readFileSync(path.join(root, 'action.yml'), 'utf8')

interface ActionYml {
  name: string
  description: string
  branding: { icon: string; color: string }
  inputs: Record<string, { description?: string; required?: boolean; default?: unknown }>
  outputs: Record<string, { description?: string }>
  runs: { using: string; main: string }
}
const action = yaml.load(actionYmlText) as ActionYml

// The public names of CONTRACT.md, kept here rather than parsed from it so the test does not
// depend on where the shared notes are checked out.
const CONTRACT_INPUTS = [
  'mode',
  'prompt',
  'prompt-file',
  'anthropic-api-key',
  'github-token',
  'model',
  'allowed-tools',
  'disallowed-tools',
  'max-turns',
  'max-budget-usd',
  'timeout-minutes',
  'claude-args',
  'claude-path',
  'claude-version',
  'pr-number',
  'working-directory',
  'allowed-bots',
  'blocking-severity',
  'review-event',
  'fail-on',
  'max-inline-comments',
  'incremental',
  'branch',
  'base',
  'commit-message',
  'pr-title',
  'pr-body',
  'labels',
  'draft',
  'allow-workflow-changes',
  'review',
  'verify-command',
  'max-rounds',
  'include-human-comments',
  'tasks',
  'files',
  'task-command',
  'shard-size',
  'max-shards',
  'canary',
  'shard-id',
  'concurrency'
]

const CONTRACT_OUTPUTS = [
  'session-id',
  'conclusion',
  'cost-usd',
  'num-turns',
  'duration-ms',
  'result',
  'structured-output',
  'execution-file',
  'review-id',
  'verdict',
  'findings',
  'findings-count',
  'inline-comments',
  'summary-comment-id',
  'pr-number',
  'pr-url',
  'pr-operation',
  'branch',
  'commit-sha',
  'changed-files',
  'verify-result',
  'threads-addressed',
  'threads-resolved',
  'rounds',
  'matrix',
  'task-count',
  'shard-count',
  'ok-count',
  'fail-count',
  'results-file'
]

function defaultOf(name: string): string {
  const value = action.inputs[name]?.default
  return value === undefined ? '' : String(value)
}

const tmp = mkdtempSync(path.join(tmpdir(), 'tandem-action-yml-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('action.yml', () => {
  it('runs dist/index.js on node24', () => {
    expect(action.name).toBe('Tandem')
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })

  it.each(CONTRACT_INPUTS.map(n => [n]))('declares input %s with a description', name => {
    const input = action.inputs[name]
    expect(input).toBeDefined()
    expect(input?.description?.trim()).toBeTruthy()
    expect(typeof input?.default).toBe('string')
  })

  it.each(CONTRACT_OUTPUTS.map(n => [n]))('declares output %s with a description', name => {
    expect(action.outputs[name]?.description?.trim()).toBeTruthy()
  })

  it('declares exactly the inputs that parseInputs reads', () => {
    const read = new Set<string>()
    parseInputs(
      name => {
        read.add(name)
        return ''
      },
      { GITHUB_WORKSPACE: tmp }
    )
    expect([...read].sort()).toEqual(Object.keys(action.inputs).sort())
  })

  it('documents the run mode', () => {
    expect(action.inputs.mode?.description).toContain(
      'run (run a single Claude Code session with the prompt)'
    )
  })

  it('has the same defaults as parseInputs', () => {
    const env = { GITHUB_WORKSPACE: tmp }
    // The token's default is an expression the runner evaluates; its value is not ours.
    const fromActionYml = parseInputs(name => (name === 'github-token' ? '' : defaultOf(name)), env)
    expect(fromActionYml).toEqual(parseInputs(() => '', env))
  })

  it('pins the documented special defaults', () => {
    expect(defaultOf('github-token')).toBe('${{ github.token }}')
    expect(defaultOf('claude-version')).toBe(DEFAULT_CLAUDE_VERSION)
    expect(defaultOf('working-directory')).toBe('')
    expect(defaultOf('mode')).toBe('review')
  })

  describe('action-validator', () => {
    const cli = require.resolve('@action-validator/cli/cli.mjs')

    // action-validator 0.6.0's schema predates node24 and only knows node12/16/20, so it checks
    // a copy that says node20; the node24 line itself is asserted above.
    function validate(text: string): { status: number | null; output: string } {
      const dir = mkdtempSync(path.join(tmp, 'v-'))
      const file = path.join(dir, 'action.yml')
      writeFileSync(file, text.replace(/^(\s+using:\s*)node24\s*$/m, '$1node20'))
      const result = spawnSync(process.execPath, [cli, file], { encoding: 'utf8' })
      return { status: result.status, output: `${result.stdout}${result.stderr}` }
    }

    it('accepts action.yml', () => {
      const { status, output } = validate(actionYmlText)
      // The validator's report is the failure message.
      expect(status === 0 ? 'valid' : output).toBe('valid')
    })

    it('would catch a broken action.yml', () => {
      expect(validate(actionYmlText.replace('icon: users', 'icon: no-such-icon')).status).toBe(1)
    })
  })
})
