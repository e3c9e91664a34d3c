import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HttpError, NotFound } from './errors.js';

const isApi = (path: string) => path.startsWith('/api/');

/** Errors thrown by body parsers and CSRF protection, mapped to our own. */
function normalize(error: unknown): HttpError | null {
  if (error instanceof HttpError) return error;
  const err = error as { type?: string; code?: string; status?: number };
  if (err?.type === 'entity.too.large') return new HttpError(413, 'payload_too_large', 'The request body is too large.');
  if (err?.type === 'entity.parse.failed') return new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
  if (err?.code === 'EBADCSRFTOKEN')
    return new HttpError(403, 'invalid_csrf_token', 'This form expired. Go back, reload the page and try again.');
  if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
    return new HttpError(err.status, 'bad_request', 'The request could not be read.');
  return null;
}

export const notFoundHandler: RequestHandler = () => {
  throw new NotFound('This page');
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = normalize(error);
    if (!known) logger.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    const status = known?.status ?? 500;
    const code = known?.code ?? 'internal_error';
    const message = known?.message ?? 'Something went wrong on our side. Nothing you typed was saved; please try again.';
    if (res.headersSent) return;
    if (isApi(req.path)) {
      res.status(status).json({ error: { code, message, ...(known?.fields ? { fields: known.fields } : {}), ...known?.details } });
      return;
    }
    res.status(status).render('error', { title: status === 404 ? 'Not found' : 'Something went wrong', status, message });
  };
}
