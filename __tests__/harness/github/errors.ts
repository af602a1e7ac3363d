// Error answers in GitHub's shapes. The server adds `documentation_url` (the operation's own
// docs link, as GitHub does) and `status` when a body leaves them out.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {}
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`)
  }
}

export interface FieldProblem {
  resource: string
  code: string
  field?: string
  message?: string
  value?: unknown
}

export function notFound(): ApiError {
  return new ApiError(404, { message: 'Not Found' })
}

export function forbidden(message = 'Resource not accessible by integration'): ApiError {
  return new ApiError(403, { message })
}

/** The structured form (`validation-failed`): one object per problem. */
export function validationFailed(...errors: FieldProblem[]): ApiError {
  return new ApiError(422, { message: 'Validation Failed', errors })
}

/** The plain-strings form (`validation-failed-simple`) that the review endpoints answer. */
export function unprocessable(...errors: string[]): ApiError {
  return new ApiError(422, { message: 'Unprocessable Entity', errors })
}

export const BODY_LIMIT = 65536

/** GitHub counts characters, not UTF-16 units. */
export function tooLong(body: string | null | undefined): boolean {
  if (!body || body.length <= BODY_LIMIT) return false
  return [...body].length > BODY_LIMIT
}

export function bodyTooLong(resource: string): ApiError {
  return validationFailed({
    resource,
    code: 'custom',
    field: 'body',
    message: `body is too long (maximum is ${BODY_LIMIT} characters)`
  })
}
