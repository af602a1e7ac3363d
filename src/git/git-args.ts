// Where a git command line's subcommand is, and which flags Tandem adds to it.

// Global options that take the next argument.
const OPTIONS_WITH_VALUE = new Set(['-c', '--config-env', '--namespace', '--super-prefix'])
// Global options that would point git at another repository than the one scanned.
const OTHER_REPOSITORY = /^(-C|--git-dir|--work-tree)(=|$)/

/** Index of the subcommand in `args` (after git's global options), or -1. */
export function subcommandIndex(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (OTHER_REPOSITORY.test(arg)) {
      throw new Error(`git(): pass the repository as cwd, not ${arg}`)
    }
    if (OPTIONS_WITH_VALUE.has(arg)) i++
    else if (!arg.startsWith('-')) return i
  }
  return -1
}

// Subcommands that never read the work tree, run a driver or talk to a remote: no config scan.
const NO_DRIVERS = new Set([
  'config',
  'rev-parse',
  'merge-base',
  'symbolic-ref',
  'update-ref',
  'for-each-ref',
  'show-ref',
  'rev-list',
  'ls-tree',
  'var',
  'version',
  'check-ref-format',
  'commit-tree',
  'write-tree'
])

export function needsScan(subcommand: string, rest: string[]): boolean {
  if (subcommand === 'cat-file') {
    return rest.some(arg => arg.startsWith('--filters') || arg.startsWith('--textconv'))
  }
  return !NO_DRIVERS.has(subcommand)
}

/** Flags that turn off what config cannot (see the facts above), put after the subcommand. */
export function injectedFlags(subcommand: string): string[] {
  switch (subcommand) {
    case 'diff':
    case 'log':
    case 'show':
    case 'whatchanged':
      return ['--no-ext-diff', '--no-textconv']
    case 'blame':
    case 'annotate':
      return ['--no-textconv']
    case 'fetch':
    case 'ls-remote':
    case 'pull':
      return ['--upload-pack=git-upload-pack']
    case 'push':
      return ['--receive-pack=git-receive-pack']
    default:
      return []
  }
}
