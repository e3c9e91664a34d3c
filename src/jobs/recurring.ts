import { Cron } from 'croner';
import type { Logger } from 'pino';

/**
 * Runs a job on a cron pattern and once at start, never two runs of it at once in this process
 * (the job's own claims in the database keep it to once across processes). Started by the server,
 * not by createApp, so tests call the job with their own clock instead.
 */
export function startRecurring(logger: Logger, name: string, pattern: string, run: () => Promise<unknown>): Cron {
  const job = new Cron(pattern, { protect: true, catch: (error) => logger.error({ err: error, job: name }, 'scheduled job failed') }, async () => {
    await run();
  });
  void job.trigger();
  return job;
}
