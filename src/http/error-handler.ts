import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import { HttpError, NotFound, PayloadTooLarge } from './errors.js';

/** Express matches paths in any letter case, so /API/V1/… reaches the API: it answers JSON too. */
const isApi = (url: string) => /^\/api(\/|\?|$)/i.test(url);

const kilobytes = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

/** What to do about a body over the parser's limit: pages and the API are told differently. */
function tooLarge(limit: number, api: boolean): PayloadTooLarge {
  return new PayloadTooLarge(
    api
      ? `The request body is larger than ${kilobytes(limit)}. Send less in one request (split a big list into several).`
      : `What you sent is larger than this form takes (${kilobytes(limit)}). Go back, shorten it and send it again; to bring in a big spreadsheet use Import, which takes files up to 20 MB.`,
  );
}

/** Errors thrown by body parsers and CSRF protection, mapped to our own. */
function normalize(error: unknown, api: boolean): HttpError | null {
  if (error instanceof HttpError) return error;
  const err = error as { type?: string; code?: string; status?: number; limit?: number };
  if (err?.type === 'entity.too.large') return tooLarge(err.limit ?? 0, api);
  if (err?.type === 'entity.parse.failed') return new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
  if (err?.code === 'EBADCSRFTOKEN')
    return new HttpError(403, 'invalid_csrf_token', 'This form expired. Go back, reload the page and try again.');
  if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
    return new HttpError(err.status, 'bad_request', 'The request could not be read.');
  if (isDatabaseUnavailable(error)) return new DatabaseUnavailable();
  return null;
}

/** The database restarted, dropped our connection or stayed busy: not a bug, and the same request may work in a moment. */
class DatabaseUnavailable extends HttpError {
  constructor() {
    super(503, 'database_unavailable', 'The database did not answer just now. Please try again in a few seconds.');
  }
}

/** How many seconds a client is asked to wait before trying again after a 503. */
const retryAfterSeconds = 5;

export const notFoundHandler: RequestHandler = () => {
  throw new NotFound('This page');
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = normalize(error, isApi(req.path));
    if (!known) logger.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    if (known instanceof DatabaseUnavailable) logger.warn({ err: error, method: req.method, url: req.originalUrl }, 'database unavailable');
    const status = known?.status ?? 500;
    const code = known?.code ?? 'internal_error';
    const message = known?.message ?? 'Something went wrong on our side. Nothing you typed was saved; please try again.';
    if (res.headersSent) return;
    if (status === 503) res.set('Retry-After', String(retryAfterSeconds));
    if (isApi(req.originalUrl)) {
      res.status(status).json({ error: { code, message, ...(known?.fields ? { fields: known.fields } : {}), ...known?.details } });
      return;
    }
    res.status(status).render('error', { title: status === 404 ? 'Not found' : status === 503 ? 'Try again in a moment' : 'Something went wrong', status, message });
  };
}
