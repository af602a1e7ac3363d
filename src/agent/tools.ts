/**
 * Default tool rules per role, shared by every mode that starts that role (write, address, run,
 * shard): a mode's own `allowed-tools` replaces them.
 */

/** The writer's tools when `allowed-tools` is empty: files only, no shell. */
export const WRITER_TOOLS = ['Read', 'Edit', 'Write', 'Glob', 'Grep']
