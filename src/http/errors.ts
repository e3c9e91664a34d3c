/** Domain errors: thrown by services and routes, turned into a status by the error handler. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
  }
}

export class NotFound extends HttpError {
  constructor(what = 'That') {
    super(404, 'not_found', `${what} was not found.`);
  }
}

export class Unauthorized extends HttpError {
  constructor(message = 'Sign in first.') {
    super(401, 'unauthorized', message);
  }
}

export class Forbidden extends HttpError {
  constructor(message = 'You are not allowed to do that.') {
    super(403, 'forbidden', message);
  }
}

export class ValidationFailed extends HttpError {
  constructor(fields: Record<string, string>, message = 'Some fields need attention.') {
    super(400, 'validation_failed', message, fields);
  }
}

/** Someone else changed the same fields since the form was opened. */
export class Conflict extends HttpError {
  constructor(message: string, fields?: Record<string, string>) {
    super(409, 'conflict', message, fields);
  }
}

/** A request body over its limit; the message says what to do instead. */
export class PayloadTooLarge extends HttpError {
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}
