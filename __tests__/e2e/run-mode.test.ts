// The engine end to end: the bundled action (dist/index.js) in `run` mode drives the real
// Claude Code CLI against the scripted Anthropic API, and we check what happened on disk,
// in the outputs, the log, the job summary and at the model server.
import { afterEach, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runAction } from '../harness/action.js'
import { startScriptedApi, type Script, type ScriptedApi } from '../harness/anthropic-api.js'
import { makeTempDir, type TempDir } from '../harness/claude.js'

const GITHUB_TOKEN = 'ghs_e2eSecretToken0123456789abcdefABCDEF'

let api: ScriptedApi | undefined
const dirs: TempDir[] = []

afterEach(async () => {
  await api?.close()
  api = undefined
  for (const dir of dirs.splice(0)) dir.cleanup()
})

/** Scratch dirs and a scripted API whose script may depend on the workspace path. */
async function setupWith(
  makeScript: (workspace: string) => Script
): Promise<{ api: ScriptedApi; home: string; workspace: string }> {
  const home = makeTempDir('tandem-e2e-home')
  const workspace = makeTempDir('tandem-e2e-ws')
  dirs.push(home, workspace)
  api = await startScriptedApi(makeScript(workspace.path))
  return { api, home: home.path, workspace: workspace.path }
}

const setup = (script: Script) => setupWith(() => script)

function transcriptLines(file: string): { type: string; subtype?: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line) as { type: string; subtype?: string })
}

describe('run mode through dist/index.js with the real CLI', () => {
  it('a session that edits a file: the file changes, outputs and summary report it', async () => {
    const ctx = await setupWith(workspace => {
      const file = path.join(workspace, 'greeting.txt')
      return [
        { toolUses: [{ name: 'Read', input: { file_path: file } }] },
        {
          toolUses: [
            { name: 'Edit', input: { file_path: file, old_string: 'Hello', new_string: 'Goodbye' } }
          ]
        },
        { text: 'I changed the greeting.' }
      ]
    })
    const file = path.join(ctx.workspace, 'greeting.txt')
    writeFileSync(file, 'Hello, world\n')
    const run = await runAction({
      ...ctx,
      inputs: { mode: 'run', prompt: 'Change the greeting', 'allowed-tools': 'Read, Edit' }
    })
    expect(run.exitCode).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe('Goodbye, world\n')
    expect(run.outputs).toMatchObject({
      conclusion: 'success',
      result: 'I changed the greeting.',
      'num-turns': expect.stringMatching(/^\d+$/)
    })
    expect(run.outputs['session-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(run.outputs['cost-usd'])).toBeGreaterThan(0)
    // Live progress, grouped.
    expect(run.log).toContain('::group::Claude Code run')
    expect(run.log).toContain(`▸ Edit ${file}`)
    expect(run.log).toContain('::endgroup::')
    // The transcript is the CLI's stream, line for line.
    const transcript = transcriptLines(run.outputs['execution-file']!)
    expect(transcript[0]).toMatchObject({ type: 'system', subtype: 'init' })
    expect(transcript.at(-1)).toMatchObject({ type: 'result', subtype: 'success' })
    // The job summary table.
    expect(run.summary).toContain('| Conclusion | ✅ success |')
    expect(run.summary).toContain('| `Edit` | 1 |')
    expect(run.summary).toContain('| `Read` | 1 |')
  })

  it('max-turns: conclusion max-turns and the step fails saying so', async () => {
    const ctx = await setup([
      { toolUses: [{ name: 'Glob', input: { pattern: '**/*' } }] },
      { toolUses: [{ name: 'Glob', input: { pattern: '*' } }] }
    ])
    const run = await runAction({
      ...ctx,
      inputs: { mode: 'run', prompt: 'look around', 'max-turns': '1', 'allowed-tools': 'Glob' }
    })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('max-turns')
    expect(run.log).toMatch(
      /::error::The Claude Code session ended with 'max-turns'.*maximum number of turns/
    )
  })

  it('budget: conclusion budget', async () => {
    const ctx = await setup([
      { text: 'expensive', usage: { input_tokens: 1_000_000, output_tokens: 100_000 } }
    ])
    const run = await runAction({
      ...ctx,
      inputs: { mode: 'run', prompt: 'spend', 'max-budget-usd': '0.01' }
    })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('budget')
    expect(run.summary).toContain('1,000,000 in')
  })

  it('API 500: failure carrying the API message', async () => {
    const ctx = await setup([{ error: { status: 500, message: 'scripted upstream failure' } }])
    const run = await runAction({ ...ctx, inputs: { mode: 'run', prompt: 'hi' } })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('failure')
    expect(run.log).toMatch(/::error::.*API Error: 500.*scripted upstream failure/)
    expect(run.summary).toContain('API answered HTTP 500')
  })

  it.each([
    [529, /API Error.*(overloaded|529)/i],
    [401, /Invalid API key|401/]
  ])('API %i: failure with the API message', async (status, message) => {
    const ctx = await setup([{ error: { status, message: 'scripted' } }])
    const run = await runAction({ ...ctx, inputs: { mode: 'run', prompt: 'hi' } })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('failure')
    expect(run.summary).toMatch(message)
  })

  it('a malformed stream: failure, not a crash', async () => {
    const ctx = await setup([{ malformed: true }])
    const run = await runAction({ ...ctx, inputs: { mode: 'run', prompt: 'hi' } })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('failure')
    expect(run.summary).toContain('**Errors**')
  })

  it('hang: stopped at timeout-minutes, conclusion timeout, transcript kept', async () => {
    const ctx = await setup([{ hang: true }])
    const run = await runAction({
      ...ctx,
      inputs: { mode: 'run', prompt: 'hi', 'timeout-minutes': '0.04' },
      env: { API_TIMEOUT_MS: '120000' }
    })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.conclusion).toBe('timeout')
    expect(run.log).toContain('::warning::Claude Code run ran past its time limit')
    const file = run.outputs['execution-file']!
    expect(existsSync(file)).toBe(true)
    expect(transcriptLines(file)[0]).toMatchObject({ type: 'system', subtype: 'init' })
    expect(run.durationMs).toBeLessThan(15_000)
  })

  it('permission denials are warnings and in the summary', async () => {
    const ctx = await setup([
      { toolUses: [{ name: 'Bash', input: { command: 'rm -rf /tmp/x', description: 'remove' } }] },
      { text: 'I could not run it.' }
    ])
    const run = await runAction({
      ...ctx,
      inputs: { mode: 'run', prompt: 'clean up', 'allowed-tools': 'Read' }
    })
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain('::warning::Claude Code run was denied Bash rm -rf /tmp/x')
    expect(run.summary).toContain('**Permission denials (1)**')
  })

  it('the GitHub token never reaches the model server, even when the agent dumps its environment', async () => {
    const ctx = await setup([
      { toolUses: [{ name: 'Bash', input: { command: 'env', description: 'print env' } }] },
      { text: 'done' }
    ])
    const run = await runAction({
      ...ctx,
      inputs: {
        mode: 'run',
        prompt: 'print your environment',
        'allowed-tools': 'Bash(env)',
        'github-token': GITHUB_TOKEN
      },
      env: {
        GITHUB_TOKEN,
        GH_TOKEN: GITHUB_TOKEN,
        SOME_COPY: GITHUB_TOKEN,
        GITHUB_REPOSITORY: 'o/r'
      }
    })
    expect(run.exitCode).toBe(0)
    const requests = ctx.api.requests
    // The env listing did reach the model (so this test can see a leak)…
    const secondTurn = requests.filter(req => !req.isSideRequest)[1]!
    expect(secondTurn.rawBody).toContain('GITHUB_REPOSITORY=o/r')
    // …and the token is in no request, header or body.
    for (const req of requests) {
      expect(req.rawBody).not.toContain(GITHUB_TOKEN)
      expect(JSON.stringify(req.headers)).not.toContain(GITHUB_TOKEN)
    }
  })
})
