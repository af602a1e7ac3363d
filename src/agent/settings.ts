/** What one changed file the checkout's guard put back was (git/guard.ts reports these). */
export interface FileChange {
  path: string
  kind: 'added' | 'changed' | 'removed'
}

/** Puts back the files it guards and says which of them had changed. */
export interface FileGuard {
  restore(): Promise<FileChange[]>
}

/**
 * How the checkout is kept from agent code while it runs. The agent room does not know git: the
 * mode composes these from git/ (stored credentials, guarded configuration).
 */
export interface CheckoutKeeper {
  /**
   * Runs `held` with the checkout's stored credentials taken out and its configuration guarded;
   * then puts the configuration back, tells `restored` what had changed, and puts the
   * credentials back — also when `held` throws.
   */
  hold(
    cwd: string,
    held: () => Promise<void>,
    restored: (changes: FileChange[]) => void
  ): Promise<void>
  /** Guards files outside the checkout that agent code must not change (its home's config). */
  guardFiles(paths: string[]): Promise<FileGuard>
}

/** What prepareAgent needs from the run's inputs, as plain values. */
export interface AgentSettings {
  /** A path or a bare command name looked up on PATH; undefined: install `claudeVersion`. */
  claudePath: string | undefined
  claudeVersion: string
  anthropicApiKey: string | undefined
  /** The checkout: where sessions run unless told otherwise. */
  workingDirectory: string
  model: string | undefined
  maxTurns: number
  maxBudgetUsd: number | undefined
  timeoutMinutes: number
  claudeArgs: string[]
  disallowedTools: string[]
  /** Values the agent's environment must never carry. */
  secrets: string[]
  checkout: CheckoutKeeper
}
