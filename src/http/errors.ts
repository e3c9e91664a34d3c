/** Domain errors: thrown by services and routes, turned into a status by the error handler. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
    /** More members of the JSON error beside code, message and fields (e.g. existing_contact_id). */
    readonly details?: Record<string, unknown>,
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
  constructor(fields: Record<string, string>, message = 'Some fields need attention.', kind: { status: number; code: string; details?: Record<string, unknown> } = { status: 400, code: 'validation_failed' }) {
    super(kind.status, kind.code, message, fields, kind.details);
  }

  /** The same error about other field names (a part of a larger form), keeping its status and details. */
  withFields(fields: Record<string, string>): ValidationFailed {
    return new ValidationFailed(fields, this.message, { status: this.status, code: this.code, details: this.details });
  }
}

/**
 * What was typed may be someone already there ("Is this Tom Reed (influencer, added today)?"): a
 * form asks, beside the field; the API answers 409 with `existing_contact_id`.
 */
export class PossibleDuplicate extends ValidationFailed {
  constructor(field: string, question: string, existingContactId: number) {
    super({ [field]: question }, question, { status: 409, code: 'possible_duplicate', details: { existing_contact_id: existingContactId } });
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
