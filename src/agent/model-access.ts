import * as core from '@actions/core'
import { startModelProxy, type ModelProxy } from './proxy.js'

// Bedrock, Vertex and Foundry authenticate with their own cloud credentials, which the CLI reads
// from the environment or files: there is no single key a proxy could hold for them.
const OWN_CREDENTIAL_PROVIDERS = [
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY'
]

/**
 * How the agent reaches the model. With an Anthropic API key (or auth token) a loopback proxy
 * in this process holds it and the agent gets the proxy's URL and a per-run key; other
 * providers' settings pass through unchanged (documented as not proxied).
 */
export async function modelAccess(
  apiKeyInput: string | undefined,
  env: NodeJS.ProcessEnv,
  /** Takes what ends the proxy, for the end of the run. */
  keep: (release: () => Promise<void>) => void
): Promise<{ env: Record<string, string> | undefined }> {
  if (OWN_CREDENTIAL_PROVIDERS.some(name => truthy(env[name]))) {
    core.info('The model provider uses its own credentials: they pass through, not proxied')
    return { env: undefined }
  }
  const apiKey = apiKeyInput || env.ANTHROPIC_API_KEY?.trim()
  const authToken = env.ANTHROPIC_AUTH_TOKEN?.trim()
  if (!apiKey && !authToken) return { env: undefined }
  const proxy: ModelProxy = await startModelProxy({
    upstream: env.ANTHROPIC_BASE_URL?.trim() || 'https://api.anthropic.com',
    credential: apiKey
      ? { header: 'x-api-key', value: apiKey }
      : { header: 'authorization', value: `Bearer ${authToken}` }
  })
  keep(() => proxy.close())
  return {
    env: {
      ANTHROPIC_BASE_URL: proxy.url,
      [apiKey ? 'ANTHROPIC_API_KEY' : 'ANTHROPIC_AUTH_TOKEN']: proxy.key,
      // A runner's HTTP(S)_PROXY must not take the CLI's loopback requests elsewhere.
      NO_PROXY: withLoopback(env.NO_PROXY ?? env.no_proxy),
      no_proxy: withLoopback(env.no_proxy ?? env.NO_PROXY)
    }
  }
}

function withLoopback(list: string | undefined): string {
  const entries = (list ?? '')
    .split(',')
    .map(entry => entry.trim())
    .filter(Boolean)
  for (const host of ['127.0.0.1', 'localhost']) if (!entries.includes(host)) entries.push(host)
  return entries.join(',')
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no'].includes(value.trim().toLowerCase())
}
