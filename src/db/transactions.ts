import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely, type TransactionBuilder } from 'kysely';
import { isRetryableTransactionFailure } from './database-errors.js';

// Every write is a transaction, and every transaction of the app (db.transaction().execute(…)) goes
// through here: a deadlock or serialization failure PostgreSQL reports is run again, from the start,
// a few times before it becomes a "try again" answer (never a 500). The lock order in row-locks.ts
// keeps such failures rare; this is what makes the rare one invisible. Nothing outside the database
// may happen inside a transaction's callback, since it can run more than once.

/** How many times one transaction is tried in all before its failure is reported. */
export const transactionAttempts = 5;

/** Runs `work` again after a deadlock or serialization failure, after a short random pause that grows. */
export async function retryingTransientFailures<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= transactionAttempts || !isRetryableTransactionFailure(error)) throw error;
      // Random, so two transactions that just deadlocked do not meet again at the same moment.
      await sleep(Math.random() * 20 * attempt);
    }
  }
}

/** Kysely whose transactions retry their transient failures (see above); everything else is Kysely's own. */
export class RetryingKysely<DB> extends Kysely<DB> {
  override transaction(): TransactionBuilder<DB> {
    const builder = super.transaction();
    const executeOnce = builder.execute.bind(builder);
    return Object.assign(builder, {
      execute: <T>(callback: Parameters<typeof executeOnce<T>>[0]) => retryingTransientFailures(() => executeOnce(callback)),
    });
  }
}
