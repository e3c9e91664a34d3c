import type { NextFunction, Request, Response } from 'express';
import { ValidationFailed } from './errors.js';

// Text people type never holds control characters other than tab and line breaks. NUL in
// particular is refused by PostgreSQL (an error deep in a write) while SQLite stores it, so the
// same input behaved differently on the two databases. Every form and API body (and query
// string) is checked once here, before any route sees it.

const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const deepestNesting = 20;

/** The dotted name of the first string value holding a control character, if any. */
export function fieldWithControlCharacter(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string') return controlCharacter.test(value) ? path.join('.') || '_' : undefined;
  if (value === null || typeof value !== 'object' || path.length > deepestNesting) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = fieldWithControlCharacter(child, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function refuseControlCharacters(req: Request, _res: Response, next: NextFunction): void {
  const field = fieldWithControlCharacter(req.body) ?? fieldWithControlCharacter(req.query);
  if (field === undefined) return next();
  throw new ValidationFailed(
    { [field]: 'Remove the control character (such as NUL) from this field' },
    `The field “${field}” contains a control character (such as NUL), which is not allowed; remove it and try again.`,
  );
}
