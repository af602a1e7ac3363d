// Regenerates __tests__/fixtures/transcripts/*.ndjson: the real CLI's exact stdout for each
// scenario, played against the scripted API. Run: npx tsx scripts/record-transcripts.ts [name…]
// Each scenario also asserts the exit code and result subtype, so a CLI upgrade that changes
// behaviour fails here loudly instead of quietly rewriting what the parsers are tested on.
import { REVIEW_SCHEMA } from '../src/review/findings.js'
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startScriptedApi, type Script } from '../__tests__/harness/anthropic-api.js'
import { makeTempDir, runClaude, type ClaudeRun } from '../__tests__/harness/claude.js'

const OUT_DIR = path.join(import.meta.dirname, '..', '__tests__', 'fixtures', 'transcripts')
const CWD_PLACEHOLDER = '/tmp/tandem-fixture'
const HOME_PLACEHOLDER = '/tmp/tandem-fixture-home'

interface Scenario {
  name: string
  prompt: string
  args: string[]
  /** Built once the working directory exists, so tool inputs can use absolute paths. */
  script: (cwd: string) => Script
  env?: Record<string, string>
  files?: Record<string, string>
  expect: { exitCode: number; subtype: string; isError: boolean }
  check?: (cwd: string, run: ClaudeRun) => void
}

const DONT_ASK = ['--permission-mode', 'dontAsk']

const scenarios: Scenario[] = [
  {
    name: 'text',
    prompt: 'Say hello.',
    args: ['--max-turns', '3', ...DONT_ASK],
    script: () => [{ text: 'Hello from the scripted API.' }],
    expect: { exitCode: 0, subtype: 'success', isError: false }
  },
  {
    name: 'edit-file',
    prompt: 'Make the greeting louder and leave a note.',
    args: ['--max-turns', '5', ...DONT_ASK, '--allowedTools', 'Edit,Write,Read'],
    files: { 'greeting.txt': 'hello world\n' },
    script: cwd => [
      { toolUses: [{ name: 'Read', input: { file_path: path.join(cwd, 'greeting.txt') } }] },
      {
        text: 'Editing the greeting and writing a note.',
        toolUses: [
          {
            name: 'Edit',
            input: {
              file_path: path.join(cwd, 'greeting.txt'),
              old_string: 'hello world',
              new_string: 'HELLO WORLD'
            }
          },
          {
            name: 'Write',
            input: { file_path: path.join(cwd, 'NOTES.md'), content: '# Notes\n\nShouted.\n' }
          }
        ]
      },
      { text: 'Done: greeting.txt is louder and NOTES.md exists.' }
    ],
    expect: { exitCode: 0, subtype: 'success', isError: false },
    check: cwd => {
      const greeting = readFileSync(path.join(cwd, 'greeting.txt'), 'utf8')
      const notes = readFileSync(path.join(cwd, 'NOTES.md'), 'utf8')
      if (greeting !== 'HELLO WORLD\n') throw new Error(`greeting.txt not edited: ${greeting}`)
      if (!notes.includes('Shouted.')) throw new Error(`NOTES.md not written: ${notes}`)
    }
  },
  {
    name: 'structured-output',
    prompt: 'Review the change.',
    args: ['--max-turns', '3', ...DONT_ASK, '--json-schema', JSON.stringify(REVIEW_SCHEMA)],
    script: () => [
      {
        structuredOutput: {
          summary: 'One off-by-one error.',
          verdict: 'request_changes',
          findings: [
            {
              path: 'src/sum.ts',
              line: 3,
              severity: 'major',
              title: 'Loop skips the last element',
              body: 'The loop stops at `length - 1`.',
              suggestion: '  for (let i = 0; i < xs.length; i++) {'
            }
          ]
        }
      }
    ],
    expect: { exitCode: 0, subtype: 'success', isError: false },
    check: (_cwd, run) => {
      if (run.result?.structured_output?.verdict !== 'request_changes') {
        throw new Error('structured_output missing from the result')
      }
    }
  },
  {
    // The model answers text twice; the CLI nudges once, then reports success WITHOUT the object.
    name: 'structured-output-missing',
    prompt: 'Review the change.',
    args: ['--max-turns', '5', ...DONT_ASK, '--json-schema', JSON.stringify(REVIEW_SCHEMA)],
    script: () => [{ text: 'Looks fine to me.' }, { text: 'Still looks fine.' }],
    expect: { exitCode: 0, subtype: 'success', isError: false },
    check: (_cwd, run) => {
      if (run.result?.structured_output !== undefined) throw new Error('unexpected object')
    }
  },
  {
    name: 'max-turns',
    prompt: 'Read the file.',
    args: ['--max-turns', '1', ...DONT_ASK, '--allowedTools', 'Read'],
    files: { 'a.txt': 'alpha\n' },
    script: cwd => [
      { toolUses: [{ name: 'Read', input: { file_path: path.join(cwd, 'a.txt') } }] },
      { text: 'never reached' }
    ],
    expect: { exitCode: 1, subtype: 'error_max_turns', isError: true }
  },
  {
    name: 'budget',
    prompt: 'Spend a lot.',
    args: ['--max-turns', '5', '--max-budget-usd', '0.01', ...DONT_ASK],
    script: () => [
      { text: 'That was expensive.', usage: { input_tokens: 1_000_000, output_tokens: 100_000 } }
    ],
    expect: { exitCode: 1, subtype: 'error_max_budget_usd', isError: true }
  },
  {
    name: 'api-500',
    prompt: 'Say hello.',
    args: ['--max-turns', '3', ...DONT_ASK],
    script: () => [{ error: { status: 500, message: 'Internal server error' } }],
    expect: { exitCode: 1, subtype: 'success', isError: true },
    check: (_cwd, run) => {
      if (run.result?.api_error_status !== 500) throw new Error('api_error_status is not 500')
    }
  },
  {
    // One retry allowed: shows the system/api_retry event before the final failure.
    name: 'api-retry',
    prompt: 'Say hello.',
    args: ['--max-turns', '3', ...DONT_ASK],
    env: { CLAUDE_CODE_MAX_RETRIES: '1' },
    script: () => [{ error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } }],
    expect: { exitCode: 1, subtype: 'success', isError: true }
  },
  {
    name: 'permission-denied',
    prompt: 'Create a file with the shell.',
    args: ['--max-turns', '3', ...DONT_ASK, '--allowedTools', 'Read'],
    script: () => [
      {
        toolUses: [
          { name: 'Bash', input: { command: 'echo pwned > pwned.txt', description: 'Write' } }
        ]
      },
      { text: 'I was not allowed to run Bash.' }
    ],
    expect: { exitCode: 0, subtype: 'success', isError: false },
    check: (_cwd, run) => {
      if (run.result?.permission_denials?.[0]?.tool_name !== 'Bash') {
        throw new Error('no Bash permission denial in the result')
      }
    }
  }
]

function normalise(text: string, dir: string, placeholder: string): string {
  let out = text
  for (const variant of new Set([dir, realpathSync(dir)])) {
    out = out.split(variant).join(placeholder)
    // Session and memory folders are named after the path with non-alphanumerics as '-'.
    out = out
      .split(variant.replace(/[^a-zA-Z0-9]/g, '-'))
      .join(placeholder.replace(/[^a-zA-Z0-9]/g, '-'))
  }
  return out
}

async function record(scenario: Scenario): Promise<string> {
  const home = makeTempDir('tandem-home')
  const cwd = makeTempDir('tandem-cwd')
  const api = await startScriptedApi(scenario.script(cwd.path))
  try {
    for (const [file, content] of Object.entries(scenario.files ?? {})) {
      writeFileSync(path.join(cwd.path, file), content)
    }
    const run = await runClaude({
      api,
      home: home.path,
      cwd: cwd.path,
      prompt: scenario.prompt,
      args: scenario.args,
      env: scenario.env
    })
    const { subtype, is_error: isError } = run.result ?? {}
    const got = { exitCode: run.exitCode, subtype, isError }
    if (JSON.stringify(got) !== JSON.stringify(scenario.expect)) {
      throw new Error(
        `${scenario.name}: expected ${JSON.stringify(scenario.expect)}, got ${JSON.stringify(got)}\n${run.stderr}`
      )
    }
    scenario.check?.(cwd.path, run)
    const stable = normalise(
      normalise(run.stdout, home.path, HOME_PLACEHOLDER),
      cwd.path,
      CWD_PLACEHOLDER
    )
    writeFileSync(path.join(OUT_DIR, `${scenario.name}.ndjson`), stable)
    return `${scenario.name.padEnd(26)} exit ${run.exitCode}  ${String(subtype).padEnd(22)} requests ${api.requests.length} (main ${api.mainRequests().length})  ${run.durationMs} ms`
  } finally {
    await api.close()
    home.cleanup()
    cwd.cleanup()
  }
}

const wanted = process.argv.slice(2)
const unknown = wanted.filter(name => !scenarios.some(scenario => scenario.name === name))
if (unknown.length > 0) {
  console.error(`Unknown scenario(s): ${unknown.join(', ')}`)
  process.exit(2)
}
mkdirSync(OUT_DIR, { recursive: true })
for (const scenario of scenarios) {
  if (wanted.length > 0 && !wanted.includes(scenario.name)) continue
  console.log(await record(scenario))
}
