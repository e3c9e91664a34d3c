import type { Request, Response } from 'express';
import { ValidationFailed } from './errors.js';

/**
 * Runs a form submission; when it fails validation, re-renders the same page with status 400,
 * the user's input kept and each error beside its field.
 */
export async function handleForm(
  req: Request,
  res: Response,
  work: () => Promise<void>,
  rerender: (state: { values: unknown; errors: Record<string, string> }) => Promise<{ view: string; data: object }>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof ValidationFailed)) throw error;
    const { view, data } = await rerender({ values: req.body, errors: error.fields ?? {} });
    // What the user typed wins over what the page would show; other forms on the page keep their values.
    const values = { ...((data as { values?: object }).values ?? {}), ...req.body };
    res.status(error.status).render(view, { ...data, values, errors: error.fields ?? {}, formError: error.message, details: error.details });
  }
}

export function flash(req: Request, message: string): void {
  if (req.session) req.session.flash = message;
}
