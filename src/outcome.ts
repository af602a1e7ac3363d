/** What a mode hands back to main: outputs to set, and why the step fails, if it does. */
export interface ModeOutcome {
  outputs: Record<string, string>
  failure?: string
}
