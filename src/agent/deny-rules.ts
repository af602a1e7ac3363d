import path from 'node:path'

/** The agent's settings and git config files, which no tool of the agent may edit. */
export function agentHomeRules(home: string): string[] {
  return agentConfigFiles(home).map(file => `Edit(/${file})`)
}

export function agentConfigFiles(home: string): string[] {
  return [
    path.join(home, '.claude', 'settings.json'),
    path.join(home, '.claude', 'settings.local.json'),
    path.join(home, '.gitconfig'),
    path.join(home, '.config', 'git', 'config')
  ]
}

/**
 * Deny rules every session gets, a second layer under the agent user (and the only one where no
 * second user can be made): `/proc` and `/sys` hold other processes' environments, the action's
 * included; the runner's temp folder holds actions/checkout v6's credentials file, the runner's
 * command files and Tandem's scratch space; the tool cache holds the CLI that later sessions
 * run; the runner's own folder (found from the node that runs this action,
 * `<runner>/externals/nodeNN/bin/node`) holds its credentials. Claude Code's absolute-path rules
 * start with `//`; a rule also stops a read through a symlink that points there.
 */
export function agentDenyRules(
  env: NodeJS.ProcessEnv,
  execPath: string = process.execPath
): string[] {
  const rules = ['Read(//proc/**)', 'Edit(//proc/**)', 'Read(//sys/**)', 'Edit(//sys/**)']
  const runnerRoot = /^(\/.+)\/externals\/node\d+\/bin\/node$/.exec(execPath)?.[1]
  const dirs = [env.RUNNER_TEMP, env.RUNNER_TOOL_CACHE, runnerRoot]
  for (const dir of dirs.map(d => d?.trim())) {
    if (!dir || !path.isAbsolute(dir) || dir === '/') continue
    const rule = `/${dir.replace(/\/+$/, '')}/**`
    rules.push(`Read(${rule})`, `Edit(${rule})`)
  }
  return [...new Set(rules)]
}
