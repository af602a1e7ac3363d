// runSession against the real CLI and the scripted API: the pieces run mode does not reach.
import { afterEach, describe, expect, it } from '@jest/globals'
import path from 'node:path'
import { runSession } from '../../src/agent/session.js'
import { startScriptedApi, type ScriptedApi } from '../harness/anthropic-api.js'
import { claudeBinary, claudeTestEnv, makeTempDir, type TempDir } from '../harness/claude.js'

const SCHEMA = {
  type: 'object',
  required: ['verdict'],
  properties: { verdict: { enum: ['approve', 'comment'] }, notes: { type: 'string' } }
}

let api: ScriptedApi | undefined
let dir: TempDir | undefined

afterEach(async () => {
  await api?.close()
  dir?.cleanup()
})

async function session(options: { jsonSchema?: object }) {
  dir = makeTempDir('tandem-session')
  return runSession({
    label: 'reviewer',
    binary: claudeBinary(),
    prompt: 'Review this.',
    cwd: dir.path,
    env: claudeTestEnv(api!, dir.path),
    timeoutMs: 60_000,
    executionFile: path.join(dir.path, 'out', 'reviewer.ndjson'),
    maxTurns: 5,
    allowedTools: ['Read'],
    disallowedTools: [],
    extraArgs: [],
    ...options
  })
}

describe('runSession with the real CLI', () => {
  it('--json-schema: the structured output comes back as an object', async () => {
    api = await startScriptedApi([{ structuredOutput: { verdict: 'comment', notes: 'fine' } }])
    const report = await session({ jsonSchema: SCHEMA })
    expect(report.conclusion).toBe('success')
    expect(report.structuredOutput).toEqual({ verdict: 'comment', notes: 'fine' })
    // The schema reached the model as the StructuredOutput tool's input schema.
    const tools = (
      api.mainRequests()[0]!.body as { tools: { name: string; input_schema: unknown }[] }
    ).tools
    expect(tools.find(tool => tool.name === 'StructuredOutput')?.input_schema).toMatchObject(SCHEMA)
  })

  it('--json-schema answered with text only: a failure, never an empty success', async () => {
    api = await startScriptedApi([{ text: 'looks good' }, { text: 'still text' }])
    const report = await session({ jsonSchema: SCHEMA })
    expect(report.conclusion).toBe('failure')
    expect(report.structuredOutput).toBeUndefined()
  })
})
