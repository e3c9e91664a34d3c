import path from 'node:path';
import { pino } from 'pino';
import { createApp } from './app.js';
import { systemClock } from './clock.js';
import { parseConfigOrExit } from './config.js';
import { DatabaseRefused, connectDatabase } from './db/connect.js';
import { countStatement } from './db/statement-count.js';
import { migrateToLatest } from './db/migrate.js';
import { prepareEmptyDatabase } from './demo/first-start.js';
import { createMailer } from './mail/mailer.js';
import { startDigestScheduler } from './digest/digest.scheduler.js';
import { startRecurring } from './jobs/recurring.js';
import { runRepWeekTick } from './rep-week/rep-week.delivery.js';
import { runDepartureAlertTick } from './departure-alerts/departure-alerts.service.js';
import { startMailboxSync } from './mailbox/mailbox.sync.js';
import { runCaptureMailboxTick } from './mailbox/capture-mailbox.sync.js';
import { closeSharedChromium } from './pdf/chromium.js';
import { recordServerBaseUrl } from './company/company.service.js';

const config = parseConfigOrExit(process.env, 'server');
const logger = pino({ level: config.logLevel });

/** A problem a person must fix before the server can start, said in one sentence instead of a stack trace. */
function refuseToStart(reason: string): never {
  logger.fatal(reason);
  process.exit(1);
}

const db = (() => {
  try {
    return connectDatabase(config.databaseUrl, { log: config.statementLog ? countStatement : undefined });
  } catch (error) {
    if (error instanceof DatabaseRefused) refuseToStart(error.message);
    throw error;
  }
})();

const applied = await migrateToLatest(db);
if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
await prepareEmptyDatabase(db, systemClock, { production: config.production, logger });

// The command line builds mail links from the same address when BASE_URL is not set (config.ts: linkBaseUrl).
await recordServerBaseUrl(db, systemClock, config.baseUrl);

const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxFolder: path.resolve('data/outbox') });
const app = createApp({ db, clock: systemClock, mailer, config, logger });
let digestScheduler: ReturnType<typeof startDigestScheduler> | undefined;
let mailboxSync: ReturnType<typeof startMailboxSync> | undefined;
let recurringJobs: ReturnType<typeof startRecurring>[] = [];
const server = app.listen(config.port, (error?: Error) => {
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE')
    refuseToStart(`Port ${config.port} is already in use (is Buychain already running?): stop what listens there, or set PORT to a free port.`);
  if (error) refuseToStart(`Cannot listen on port ${config.port}: ${error.message}`);
  logger.info(`Buychain is listening on ${config.baseUrl}`);
  // Only a process that serves sends mail and reads mailboxes.
  const jobContext = { db, clock: systemClock, mailer, config, logger };
  digestScheduler = startDigestScheduler(jobContext);
  mailboxSync = startMailboxSync({ db, clock: systemClock, logger, mailCredentialsKey: config.mailCredentialsKey });
  recurringJobs = [
    startRecurring(logger, "rep's week", '*/5 * * * *', () => runRepWeekTick(jobContext)),
    // Every minute, so a departure alert leaves within five.
    startRecurring(logger, 'departure alerts', '* * * * *', () => runDepartureAlertTick(jobContext)),
  ];
  const { mailCaptureAddress, mailCaptureImap } = config;
  if (mailCaptureAddress && mailCaptureImap)
    recurringJobs.push(
      startRecurring(logger, 'capture mailbox', '* * * * *', () => runCaptureMailboxTick({ db, clock: systemClock, logger, captureAddress: mailCaptureAddress, imap: mailCaptureImap })),
    );
});

async function shutDown(signal: string) {
  logger.info({ signal }, 'shutting down');
  digestScheduler?.stop();
  mailboxSync?.stop();
  for (const job of recurringJobs) job.stop();
  server.close();
  await closeSharedChromium();
  await db.destroy();
  process.exit(0);
}
process.on('SIGTERM', () => void shutDown('SIGTERM'));
process.on('SIGINT', () => void shutDown('SIGINT'));
