/** What a mode hands back to main: outputs to set, and why the step fails, if it does. */
export interface ModeOutcome {
  outputs: Record<string, string>
  failure?: string
}

/** What a thrown value says, for a failure message: an Error's message, else the value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
