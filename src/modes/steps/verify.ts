import * as core from '@actions/core'
import type { Agent } from '../../agent/launch.js'
import { verifyCheckout, type VerifyResult } from '../../write/verify.js'

/**
 * verify-command on the change about to be published (write, collect), as agent code, with its
 * outcome in the log; the pull request reports it either way.
 */
export async function verifyChange(
  command: string,
  agent: Agent,
  redact: (text: string) => string
): Promise<VerifyResult> {
  const result = await verifyCheckout(command, agent, redact)
  const how = result.timedOut ? 'timed out' : `exit ${result.exitCode}`
  if (result.status === 'passed') core.info(`verify-command passed (${how})`)
  else core.warning(`verify-command failed (${how}); the pull request reports it`)
  return result
}
