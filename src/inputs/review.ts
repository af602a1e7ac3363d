// The inputs that concern the reviewer: when findings fail the step, and which `claude-args`
// it may be given.
import { wideningArgument } from '../agent/argv.js'
import type { Mode } from '../inputs.js'
import { SEVERITIES, type Severity } from '../review/severity.js'
import { InputError, type InputReader, parseChoice, quoteValue } from './values.js'

export function parseFailOn(read: InputReader): Severity | undefined {
  const value = parseChoice(read, 'fail-on', [...SEVERITIES, 'none'], 'none')
  return value === 'none' ? undefined : value
}

/**
 * `claude-args` reach the reviewer too, whose whole point is that it cannot write or run
 * anything: there they may only narrow (model, limits, deny rules), never add.
 */
export function checkReviewerArgs(args: string[], mode: Mode): void {
  const widening = wideningArgument(args)
  if (widening === undefined) return
  throw new InputError(
    `Input 'claude-args' has value ${quoteValue(args.join(' '))}: mode "${mode}" runs the ` +
      `read-only reviewer, and '${widening}' could give it tools, permissions, settings, MCP ` +
      'servers, directories or setting sources; expected only flags that narrow it ' +
      '(--model, --fallback-model, --effort, --append-system-prompt, --disallowedTools, ' +
      '--max-turns, --max-budget-usd, --betas)'
  )
}
