export const THREAD_STATUSES = ['fixed', 'wont_fix', 'question'] as const
export type ThreadStatus = (typeof THREAD_STATUSES)[number]

export interface ThreadAnswer {
  id: string
  status: ThreadStatus
  reply: string
}

/** The writer's `--json-schema`. Descriptions are part of what the model reads. */
export const ADDRESS_ANSWER_SCHEMA = {
  type: 'object',
  required: ['threads'],
  properties: {
    threads: {
      type: 'array',
      description: 'One entry per review thread you were given, by its id.',
      items: {
        type: 'object',
        required: ['id', 'status', 'reply'],
        properties: {
          id: { type: 'string', description: 'The thread id, exactly as given.' },
          status: {
            enum: [...THREAD_STATUSES],
            description:
              'fixed: the code no longer has the problem; wont_fix: you disagree; question: you need an answer first.'
          },
          reply: {
            type: 'string',
            description: 'One to three sentences to the reviewer: what you changed, or why not.'
          }
        }
      }
    }
  }
} as const

export interface AnswerCheck {
  /** Answers to threads that were asked, by thread id. */
  answers: Map<string, ThreadAnswer>
  /** Threads that were asked and got no usable answer: reported, and addressed again next run. */
  missing: string[]
  /** What was wrong with the answer: unknown ids, repeats, malformed entries. */
  problems: string[]
}

/**
 * Checks the writer's structured output against the threads it was asked about. The CLI enforces
 * the schema, but an answer posted in public must hold up on its own: an entry for a thread that
 * was not asked is never posted (it could name any thread of the PR), and a thread left without
 * an answer is reported rather than dropped.
 */
export function checkAnswers(value: unknown, askedIds: readonly string[]): AnswerCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('the writer returned no structured answer object')
  }
  const threads = (value as Record<string, unknown>).threads
  if (!Array.isArray(threads)) throw new Error('the writer\'s answer: "threads" must be an array')
  const asked = new Set(askedIds)
  const answers = new Map<string, ThreadAnswer>()
  const problems: string[] = []
  threads.forEach((item, index) => {
    const where = `threads[${index}]`
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(`${where} is not an object`)
      return
    }
    const { id, status, reply } = item as Record<string, unknown>
    if (typeof id !== 'string') {
      problems.push(`${where}.id is not a string`)
      return
    }
    if (!asked.has(id)) {
      problems.push(`${where} answers thread ${JSON.stringify(id)}, which was not asked`)
      return
    }
    if (!THREAD_STATUSES.includes(status as ThreadStatus)) {
      problems.push(`${where} (${id}) has status ${JSON.stringify(status)}`)
      return
    }
    if (typeof reply !== 'string' || reply.trim() === '') {
      problems.push(`${where} (${id}) has no reply text`)
      return
    }
    if (answers.has(id)) {
      problems.push(`${where} answers thread ${id} a second time; the first answer stands`)
      return
    }
    answers.set(id, { id, status: status as ThreadStatus, reply: reply.trim() })
  })
  const missing = askedIds.filter(id => !answers.has(id))
  return { answers, missing, problems }
}

/**
 * The answer when the writer changed files but gave no per-thread answer: the changes answer
 * every thread, in the writer's own closing words, rather than being thrown away.
 */
export function answerEveryThread(
  threadIds: readonly string[],
  result: string | undefined
): { threads: ThreadAnswer[] } {
  const reply = result?.trim() ? result.trim().slice(0, 2000) : 'Addressed.'
  return { threads: threadIds.map(id => ({ id, status: 'fixed', reply })) }
}
