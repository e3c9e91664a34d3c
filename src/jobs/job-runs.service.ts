import os from 'node:os';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';

const claimant = `${os.hostname()}#${process.pid}`;

/**
 * Claims one run of a scheduled job for a period: true for exactly one caller across every process
 * sharing the database (the (job, period) primary key decides), false for everyone else.
 * Call it first in the transaction that records the work: if that transaction rolls back, so does
 * the claim, and another process may take the period.
 */
export async function claimJobRun(db: DbOrTx, clock: Clock, job: string, period: string): Promise<boolean> {
  const claimed = await db
    .insertInto('job_runs')
    .values({ job, period, claimed_at: clock.now().toISOString(), claimed_by: claimant })
    .onConflict((conflict) => conflict.columns(['job', 'period']).doNothing())
    .returning('job')
    .executeTakeFirst();
  return claimed !== undefined;
}
