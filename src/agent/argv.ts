/** What one headless session is asked to do; turned into CLI arguments by `buildArgv`. */
export interface SessionOptions {
  model?: string
  maxTurns: number
  maxBudgetUsd?: number
  allowedTools: string[]
  /**
   * The built-in tools the session is offered at all (`--tools`). `--allowedTools` only
   * pre-approves: without this every built-in tool is still offered and refused at call time.
   */
  tools?: string[]
  disallowedTools: string[]
  /** MCP servers only from `--mcp-config`: a checkout's `.mcp.json` or user config adds none. */
  strictMcpConfig?: boolean
  jsonSchema?: object
  /** `user` for untrusted checkouts: repository settings (hooks, MCP servers) are not loaded. */
  settingSources?: string
  resumeSessionId?: string
  extraArgs: string[]
}

export function buildArgv(options: SessionOptions): string[] {
  const argv = ['-p', '--output-format', 'stream-json', '--verbose']
  argv.push('--max-turns', String(options.maxTurns))
  // Anything not allowed is denied, never prompted for: nobody is there to answer in CI.
  argv.push('--permission-mode', 'dontAsk')
  if (options.model) argv.push('--model', options.model)
  if (options.maxBudgetUsd !== undefined) {
    argv.push('--max-budget-usd', String(options.maxBudgetUsd))
  }
  // One argument per rule: rules such as `Bash(npm run lint, npm test)` contain spaces and
  // commas, which the CLI would split if they were joined into one string.
  if (options.tools) argv.push('--tools', options.tools.join(','))
  if (options.allowedTools.length > 0) argv.push('--allowedTools', ...options.allowedTools)
  if (options.disallowedTools.length > 0) {
    argv.push('--disallowedTools', ...options.disallowedTools)
  }
  if (options.jsonSchema) argv.push('--json-schema', JSON.stringify(options.jsonSchema))
  if (options.settingSources) argv.push('--setting-sources', options.settingSources)
  if (options.strictMcpConfig) argv.push('--strict-mcp-config')
  if (options.resumeSessionId) argv.push('--resume', options.resumeSessionId)
  argv.push(...options.extraArgs)
  return argv
}

/**
 * CLI flags a read-only session may be given through `claude-args`: each one only changes the
 * model, its output or its limits. Anything else could add tools, permissions, settings, MCP
 * servers, directories or setting sources (`--allowedTools`, `--permission-mode`, `--settings`,
 * `--mcp-config`, `--add-dir`, `--setting-sources`, `--plugin-dir`, `--agents`, …), so a flag
 * that is not listed is refused rather than judged: a new CLI version may add new ones.
 */
const NARROWING_FLAGS = new Map<string, 'value' | 'bare'>([
  ['--model', 'value'],
  ['--fallback-model', 'value'],
  ['--effort', 'value'],
  ['--betas', 'value'],
  ['--append-system-prompt', 'value'],
  ['--disallowedTools', 'value'],
  ['--disallowed-tools', 'value'],
  ['--max-turns', 'value'],
  ['--max-budget-usd', 'value'],
  ['--verbose', 'bare'],
  ['--disable-slash-commands', 'bare'],
  ['--exclude-dynamic-system-prompt-sections', 'bare'],
  ['--no-session-persistence', 'bare'],
  ['--strict-mcp-config', 'bare']
])

/**
 * The first `claude-args` entry that could widen what a read-only session may do, or undefined
 * when every flag only narrows it. Values of `--disallowedTools` may follow as separate words.
 */
export function wideningArgument(args: readonly string[]): string | undefined {
  let takesValues = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('-')) {
      // A bare word is a value of the flag before it; anything else is a prompt or a command.
      if (takesValues) continue
      return arg
    }
    const [flag, inline] = splitFlag(arg)
    const kind = NARROWING_FLAGS.get(flag)
    if (kind === undefined) return flag
    takesValues = false
    if (kind === 'bare') {
      if (inline !== undefined) return arg
      continue
    }
    if (inline !== undefined) continue
    if (i + 1 >= args.length) return arg
    i++
    // Only the deny list takes several words; each of them can only narrow.
    takesValues = flag === '--disallowedTools' || flag === '--disallowed-tools'
  }
  return undefined
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=')
  return eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)]
}

// Credentials of the runner and of the action's own inputs: the agent must never be able to
// read them, whatever a prompt (or a malicious file in the checkout) asks it to do. The runner's
// command files are withheld too: a line appended to GITHUB_ENV or GITHUB_PATH would run in
// every later step of the job, with its secrets.
const WITHHELD_NAMES = new Set([
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GH_ENTERPRISE_TOKEN',
  'GITHUB_ENTERPRISE_TOKEN',
  'GITHUB_ENV',
  'GITHUB_PATH',
  'GITHUB_OUTPUT',
  'GITHUB_STATE',
  'GITHUB_STEP_SUMMARY'
])
const WITHHELD_PREFIXES = ['INPUT_', 'ACTIONS_']

export interface AgentEnvOptions {
  /** Values that must not appear under any name (the GitHub token, the model key, …). */
  secrets: string[]
  /**
   * How the agent reaches the model (the proxy's URL and per-run key). When set, the runner's
   * own ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN and ANTHROPIC_BASE_URL never reach the agent.
   */
  model?: Record<string, string>
}

const MODEL_ACCESS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL']

export function buildAgentEnv(
  runnerEnv: NodeJS.ProcessEnv,
  options: AgentEnvOptions
): Record<string, string> {
  const secrets = new Set(options.secrets.filter(secret => secret.length > 0))
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(runnerEnv)) {
    if (value === undefined) continue
    if (WITHHELD_NAMES.has(name) || WITHHELD_PREFIXES.some(p => name.startsWith(p))) continue
    if (options.model && MODEL_ACCESS.includes(name)) continue
    if (secrets.has(value)) continue
    env[name] = value
  }
  Object.assign(env, options.model)
  // A CI run has no use for the updater, and it would reach the network on every start; nor
  // for telemetry and the like, which the model proxy would not forward anyway.
  env.DISABLE_AUTOUPDATER ??= '1'
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ??= '1'
  return env
}
