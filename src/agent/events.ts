// The stream-json events the Claude Code CLI prints, one JSON object per stdout line
// (measured with 2.1.197). Only the fields Tandem reads are typed; the rest pass through.

export interface TokenUsage {
  input_tokens?: number
  output_tokens?: number
  cache_read_input_tokens?: number
  cache_creation_input_tokens?: number
}

export interface ModelUsage {
  inputTokens?: number
  outputTokens?: number
  cacheReadInputTokens?: number
  cacheCreationInputTokens?: number
  costUSD?: number
}

export interface TextBlock {
  type: 'text'
  text: string
}

export interface ToolUseBlock {
  type: 'tool_use'
  id: string
  name: string
  input: Record<string, unknown>
}

export interface ToolResultBlock {
  type: 'tool_result'
  tool_use_id: string
  content?: unknown
  is_error?: boolean
}

export type ContentBlock = TextBlock | ToolUseBlock | ToolResultBlock | { type: string }

export interface SystemInitEvent {
  type: 'system'
  subtype: 'init'
  session_id: string
  model?: string
  tools?: string[]
  cwd?: string
  permissionMode?: string
  claude_code_version?: string
}

export interface SystemOtherEvent {
  type: 'system'
  subtype: string
  session_id?: string
  [key: string]: unknown
}

export interface AssistantEvent {
  type: 'assistant'
  session_id?: string
  parent_tool_use_id?: string | null
  message: { id?: string; model?: string; content: ContentBlock[]; usage?: TokenUsage }
}

export interface UserEvent {
  type: 'user'
  session_id?: string
  message: { content: ContentBlock[] | string }
}

export interface PermissionDenial {
  tool_name: string
  tool_use_id?: string
  tool_input?: Record<string, unknown>
}

export type ResultSubtype =
  | 'success'
  | 'error_max_turns'
  | 'error_max_budget_usd'
  | 'error_during_execution'
  | 'error_max_structured_output_retries'

export interface ResultEvent {
  type: 'result'
  subtype: ResultSubtype | string
  is_error: boolean
  duration_ms?: number
  duration_api_ms?: number
  num_turns?: number
  result?: string
  session_id?: string
  total_cost_usd?: number
  usage?: TokenUsage
  /** Per model, camelCase; complete even where `usage` is zeroed (a run stopped by its budget). */
  modelUsage?: Record<string, ModelUsage>
  permission_denials?: PermissionDenial[]
  structured_output?: unknown
  errors?: string[]
  api_error_status?: number | null
}

export type StreamEvent =
  | SystemInitEvent
  | SystemOtherEvent
  | AssistantEvent
  | UserEvent
  | ResultEvent
  | { type: string; [key: string]: unknown }

export function isResult(event: StreamEvent): event is ResultEvent {
  return event.type === 'result'
}

export function isAssistant(event: StreamEvent): event is AssistantEvent {
  return event.type === 'assistant' && typeof event.message === 'object' && event.message !== null
}

export function isSystemInit(event: StreamEvent): event is SystemInitEvent {
  return event.type === 'system' && (event as SystemOtherEvent).subtype === 'init'
}

export function isToolUse(block: ContentBlock): block is ToolUseBlock {
  return block.type === 'tool_use'
}

export function isText(block: ContentBlock): block is TextBlock {
  return block.type === 'text'
}
