import { z } from 'zod';
import { HttpError, ValidationFailed } from './errors.js';

/** Field name (dotted path for nested input, e.g. "new_contacts.0.name") → first message. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '_';
    fields[key] ??= issue.message;
  }
  return fields;
}

/** Parses input or throws ValidationFailed naming every bad field. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationFailed(fieldErrors(result.error));
  return result.data;
}

/**
 * Runs one part of a larger submission (a row of a form) so that its field errors name the row
 * ("new_contacts.1.name"); a part that points at something not found is a field error too.
 */
export async function inPart<T>(prefix: string, work: () => Promise<T>, notFoundMessage = 'Not a contact at this account'): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ValidationFailed && error.fields)
      throw error.withFields(Object.fromEntries(Object.entries(error.fields).map(([key, message]) => [`${prefix}.${key}`, message])));
    if (error instanceof HttpError && error.status === 404) throw new ValidationFailed({ [prefix]: notFoundMessage });
    throw error;
  }
}
