/** What the writer says it did; it becomes the commit message and the pull request's body. */
export interface WriterReport {
  summary: string
  changes: { path: string; why: string }[]
}

/** The writer's `--json-schema`. Descriptions are part of what the model reads. */
export const WRITER_REPORT_SCHEMA = {
  type: 'object',
  required: ['summary', 'changes'],
  properties: {
    summary: {
      type: 'string',
      description:
        'What you changed and why, in one or two sentences. The first line becomes the title of ' +
        'the pull request: keep it short and imperative, such as "Fix the off-by-one in paginate".'
    },
    changes: {
      type: 'array',
      description: 'One entry per file you changed, created or deleted.',
      items: {
        type: 'object',
        required: ['path', 'why'],
        properties: {
          path: { type: 'string', description: 'Relative to the repository root.' },
          why: { type: 'string', description: 'One line.' }
        }
      }
    }
  }
}

/**
 * The report from the session's structured output, or undefined when there is none worth using.
 * The report only describes the change (the diff is the truth), so a malformed entry is dropped
 * rather than failing a run whose edits are fine.
 */
export function parseWriterReport(value: unknown): WriterReport | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  const summary = typeof record.summary === 'string' ? record.summary.trim() : ''
  if (summary === '') return undefined
  const changes: WriterReport['changes'] = []
  for (const item of Array.isArray(record.changes) ? record.changes : []) {
    if (typeof item !== 'object' || item === null) continue
    const { path, why } = item as Record<string, unknown>
    if (typeof path === 'string' && path.trim() !== '') {
      changes.push({
        path: path.trim().replace(/^\.\//, ''),
        why: typeof why === 'string' ? why : ''
      })
    }
  }
  return { summary, changes }
}

/** The writer's prompt: the workflow author's task, and how the session must end. */
export function buildWriterPrompt(
  task: string,
  options: { allowWorkflowChanges: boolean }
): string {
  const parts = [
    'You are working in a git checkout of a repository, in CI, with nobody to answer questions. ' +
      'Do the task below by changing the files in your working directory.',
    '',
    '<task>',
    task.trim(),
    '</task>',
    '',
    'Rules:',
    '- Change only what the task needs. Do not run git: do not commit, push or create branches. ' +
      'Tandem commits your changes, pushes them and opens the pull request.',
    options.allowWorkflowChanges
      ? '- Change files under .github/workflows only when the task asks for it.'
      : '- Do not change anything under .github/workflows: such changes are refused and nothing ' +
        'would be pushed.',
    '- Never copy credentials, tokens or keys into a file.',
    '- If the task needs no change, change nothing and say so in the report.',
    '',
    'When you have finished editing — and only then — call the StructuredOutput tool once with ' +
      'your report: `summary` (its first line becomes the pull request title) and `changes` (each ' +
      'file you changed, with why). Calling StructuredOutput ends the session at once: edits you ' +
      'have not made by then are lost.'
  ]
  return parts.join('\n')
}
