// What a database error means for the request that met it. Two kinds are not bugs: a transaction
// PostgreSQL gave up to break a deadlock or keep an isolation promise (safe to run again), and a
// database that is busy, restarting or unreachable (the same request may work in a moment).

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** PostgreSQL's serialization_failure and deadlock_detected: nothing was written, running the transaction again is safe. */
export function isRetryableTransactionFailure(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40001' || code === '40P01';
}

// The pg client's own words when its connection is gone; they come without a code.
const lostConnectionMessages = [
  'Connection terminated',
  'connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];

/**
 * The database cannot answer right now: the server restarted or killed our connection (57P01…),
 * is starting up or out of connections, cannot be reached, a statement ran past the statement
 * timeout, SQLite's write lock stayed busy past its timeout, or a transaction lost to others
 * more often than we retry.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = codeOf(error) ?? '';
  if (isRetryableTransactionFailure(error)) return true;
  if (/^(08|57P|53)/.test(code) || code === '57014') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_')) return true;
  const message = error instanceof Error ? error.message : '';
  return lostConnectionMessages.some((words) => message.includes(words));
}
