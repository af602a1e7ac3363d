import {
  isAssistant,
  isResult,
  isSystemInit,
  isText,
  isToolUse,
  type ModelUsage,
  type ResultEvent,
  type StreamEvent
} from './events.js'
import { oneLine } from '../markdown.js'

export type SessionConclusion = 'success' | 'failure' | 'max-turns' | 'budget' | 'timeout'

export interface Denial {
  tool: string
  input: string
}

export interface TokenTotals {
  input: number
  output: number
  cacheRead: number
  cacheCreation: number
}

/** Everything Tandem knows about one finished (or stopped) session. */
export interface SessionReport {
  conclusion: SessionConclusion
  sessionId: string | undefined
  model: string | undefined
  costUsd: number
  numTurns: number
  durationMs: number
  result: string | undefined
  structuredOutput: unknown
  tokens: TokenTotals
  toolCounts: Record<string, number>
  denials: Denial[]
  errors: string[]
  invalidLines: number
  exitCode: number | null
  executionFile: string
}

/** What the stream told us so far; folded event by event, so it never holds the transcript. */
export interface StreamState {
  sessionId: string | undefined
  model: string | undefined
  assistantTurns: number
  toolCounts: Record<string, number>
  tokens: TokenTotals
  lastText: string | undefined
  lastMessageId: string | undefined
  result: ResultEvent | undefined
  invalidLines: number
}

export function emptyStreamState(): StreamState {
  return {
    sessionId: undefined,
    model: undefined,
    assistantTurns: 0,
    toolCounts: {},
    tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    lastText: undefined,
    lastMessageId: undefined,
    result: undefined,
    invalidLines: 0
  }
}

export function foldEvent(state: StreamState, event: StreamEvent): StreamState {
  if (isSystemInit(event)) {
    state.sessionId = event.session_id ?? state.sessionId
    state.model = event.model ?? state.model
  } else if (isAssistant(event)) {
    // Sub-agent messages carry a parent id; only top-level messages are the session's turns.
    // The CLI prints one event per content block, so a turn is a new message id, not an event.
    const newMessage = event.message.id === undefined || event.message.id !== state.lastMessageId
    if (!event.parent_tool_use_id && newMessage) state.assistantTurns++
    for (const block of event.message.content ?? []) {
      if (isToolUse(block)) state.toolCounts[block.name] = (state.toolCounts[block.name] ?? 0) + 1
      else if (isText(block) && block.text.trim()) state.lastText = block.text
    }
    state.model = state.model ?? event.message.model
    // Each of those events repeats its message's usage.
    const usage = event.message.usage
    if (usage && newMessage) {
      state.tokens.input += usage.input_tokens ?? 0
      state.tokens.output += usage.output_tokens ?? 0
      state.tokens.cacheRead += usage.cache_read_input_tokens ?? 0
      state.tokens.cacheCreation += usage.cache_creation_input_tokens ?? 0
    }
    state.lastMessageId = event.message.id
  } else if (isResult(event)) {
    state.result = event
    state.sessionId = event.session_id ?? state.sessionId
  }
  return state
}

export interface SessionEnd {
  exitCode: number | null
  /** The signal that ended the CLI, when one did (an OOM kill, a runner stopping it). */
  signal?: string | null
  timedOut: boolean
  durationMs: number
  executionFile: string
  /** Set when a JSON schema was required: a success without structured output is a failure. */
  requireStructuredOutput: boolean
  stderrTail: string
  spawnError?: string
}

/** Maps what the stream said and how the process ended to the contract's conclusion. */
export function conclude(state: StreamState, end: SessionEnd): SessionConclusion {
  if (end.timedOut) return 'timeout'
  const result = state.result
  if (!result) return 'failure'
  switch (result.subtype) {
    case 'error_max_turns':
      return 'max-turns'
    case 'error_max_budget_usd':
      return 'budget'
    case 'success':
      if (result.is_error) return 'failure'
      if (end.requireStructuredOutput && result.structured_output === undefined) return 'failure'
      return 'success'
    default:
      return 'failure'
  }
}

export function buildReport(state: StreamState, end: SessionEnd): SessionReport {
  const result = state.result
  const conclusion = conclude(state, end)
  const errors: string[] = []
  if (end.spawnError) errors.push(end.spawnError)
  if (end.timedOut) errors.push(`session stopped after its time limit (${end.durationMs} ms)`)
  if (result) {
    for (const error of result.errors ?? []) errors.push(error)
    if (result.is_error && result.result) errors.push(result.result)
    if (result.api_error_status) errors.push(`API answered HTTP ${result.api_error_status}`)
    if (conclusion === 'failure' && end.requireStructuredOutput && !result.is_error) {
      if (result.structured_output === undefined)
        errors.push('the session returned no structured output')
    }
  } else if (!end.timedOut && !end.spawnError) {
    errors.push(
      end.exitCode === null && end.signal
        ? `the CLI was killed by ${end.signal} before it gave a result`
        : `the CLI exited with code ${end.exitCode} without a result`
    )
  }
  if (conclusion !== 'success' && end.stderrTail.trim() && errors.length === 0) {
    errors.push(end.stderrTail.trim())
  }
  return {
    conclusion,
    sessionId: state.sessionId,
    model: state.model,
    costUsd: result?.total_cost_usd ?? 0,
    numTurns: result?.num_turns ?? state.assistantTurns,
    durationMs: result?.duration_ms ?? end.durationMs,
    result: result?.result ?? state.lastText,
    structuredOutput: result?.structured_output,
    tokens: result ? resultTokens(result) : state.tokens,
    toolCounts: state.toolCounts,
    denials: (result?.permission_denials ?? []).map(denial => ({
      tool: denial.tool_name,
      input: describeToolInput(denial.tool_name, denial.tool_input ?? {})
    })),
    errors: dedupe(errors),
    invalidLines: state.invalidLines,
    exitCode: end.exitCode,
    executionFile: end.executionFile
  }
}

function resultTokens(result: ResultEvent): TokenTotals {
  const models = Object.values(result.modelUsage ?? {})
  if (models.length > 0) {
    const sum = (pick: (usage: ModelUsage) => number | undefined): number =>
      models.reduce((total, usage) => total + (pick(usage) ?? 0), 0)
    return {
      input: sum(usage => usage.inputTokens),
      output: sum(usage => usage.outputTokens),
      cacheRead: sum(usage => usage.cacheReadInputTokens),
      cacheCreation: sum(usage => usage.cacheCreationInputTokens)
    }
  }
  const usage = result.usage ?? {}
  return {
    input: usage.input_tokens ?? 0,
    output: usage.output_tokens ?? 0,
    cacheRead: usage.cache_read_input_tokens ?? 0,
    cacheCreation: usage.cache_creation_input_tokens ?? 0
  }
}

/** A one-line description of a tool call for the log: the argument a person recognises. */
export function describeToolInput(tool: string, input: Record<string, unknown>): string {
  const keys = ['file_path', 'path', 'command', 'pattern', 'url', 'query', 'description', 'prompt']
  for (const key of keys) {
    const value = input[key]
    if (typeof value === 'string' && value.trim()) return truncate(oneLine(value), 120)
  }
  if (tool === 'StructuredOutput') return ''
  const json = JSON.stringify(input)
  return json === '{}' ? '' : truncate(json, 120)
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

function dedupe(items: string[]): string[] {
  return [...new Set(items.filter(item => item.trim() !== ''))]
}
