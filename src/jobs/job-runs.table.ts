export interface JobRunsTable {
  /** What runs, e.g. "weekly-digest". */
  job: string;
  /** The period it runs for, e.g. an ISO week "2026-W48". */
  period: string;
  claimed_at: string;
  /** host#pid of the process that claimed it, for whoever investigates a run. */
  claimed_by: string;
}
