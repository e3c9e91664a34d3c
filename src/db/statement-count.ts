import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import type { RequestHandler } from 'express';
import type { LogEvent } from 'kysely';

// For the benchmark (STATEMENT_LOG): how many statements a request sends to the database, since
// on a networked database each one is a round trip. Only requests that ask for it with the
// `x-count-statements` header are counted, so the load itself pays nothing.

const counted = new AsyncLocalStorage<{ statements: number }>();

/** Kysely's log hook: one more statement for the request it runs for, if that request is counted. */
export function countStatement(event: LogEvent): void {
  if (event.level === 'query' || event.level === 'error') {
    const request = counted.getStore();
    if (request) request.statements += 1;
  }
}

/** Appends `{"method","path","status","statements"}` to `file` for each request with the header. */
export function statementLog(file: string): RequestHandler {
  return (req, res, next) => {
    if (!req.headers['x-count-statements']) return next();
    const request = { statements: 0 };
    res.on('finish', () => fs.appendFileSync(file, `${JSON.stringify({ method: req.method, path: req.originalUrl, status: res.statusCode, statements: request.statements })}\n`));
    counted.run(request, next);
  };
}
