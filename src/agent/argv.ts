/** What one headless session is asked to do; turned into CLI arguments by `buildArgv`. */
export interface SessionOptions {
  model?: string
  maxTurns: number
  maxBudgetUsd?: number
  allowedTools: string[]
  disallowedTools: string[]
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
  if (options.allowedTools.length > 0) argv.push('--allowedTools', ...options.allowedTools)
  if (options.disallowedTools.length > 0) {
    argv.push('--disallowedTools', ...options.disallowedTools)
  }
  if (options.jsonSchema) argv.push('--json-schema', JSON.stringify(options.jsonSchema))
  if (options.settingSources) argv.push('--setting-sources', options.settingSources)
  if (options.resumeSessionId) argv.push('--resume', options.resumeSessionId)
  argv.push(...options.extraArgs)
  return argv
}

// Credentials of the runner and of the action's own inputs: the agent must never be able to
// read them, whatever a prompt (or a malicious file in the checkout) asks it to do.
const WITHHELD_NAMES = new Set([
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GH_ENTERPRISE_TOKEN',
  'GITHUB_ENTERPRISE_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_RUNTIME_URL',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_CACHE_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL'
])

export interface AgentEnvOptions {
  anthropicApiKey?: string
  /** Values that must not appear under any name (the GitHub token the action holds). */
  secrets: string[]
}

export function buildAgentEnv(
  runnerEnv: NodeJS.ProcessEnv,
  options: AgentEnvOptions
): Record<string, string> {
  const secrets = new Set(options.secrets.filter(secret => secret.length > 0))
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(runnerEnv)) {
    if (value === undefined) continue
    if (WITHHELD_NAMES.has(name) || name.startsWith('INPUT_')) continue
    if (secrets.has(value)) continue
    env[name] = value
  }
  if (options.anthropicApiKey) env.ANTHROPIC_API_KEY = options.anthropicApiKey
  // A CI run has no use for the updater, and it would reach the network on every start.
  env.DISABLE_AUTOUPDATER ??= '1'
  return env
}
