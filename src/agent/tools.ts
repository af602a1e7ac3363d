/**
 * Default tool rules per role, shared by every mode that starts that role (write, address, run,
 * shard): a mode's own `allowed-tools` replaces them.
 */

/** The writer's tools when `allowed-tools` is empty: files only, no shell. */
export const WRITER_TOOLS = ['Read', 'Edit', 'Write', 'Glob', 'Grep']

/**
 * The reviewer is offered these and nothing else (`--tools`): no shell, since a deny rule is
 * matched on the command text and quoting gets past any of them, and no tool that writes. What
 * it would have run git for (the diff, the commits) is in its prompt. Explore's planner and
 * comparing reviewer get the same.
 */
export const REVIEWER_TOOLS = ['Read', 'Grep', 'Glob']
