import path from 'node:path';
import { pino } from 'pino';
import { createApp } from './app.js';
import { systemClock } from './clock.js';
import { parseConfig } from './config.js';
import { connectDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { demoLogins, demoPassword, hasAnyUser, seedDemo } from './demo/demo-seed.js';
import { createMailer } from './mail/mailer.js';
import { startDigestScheduler } from './digest/digest.scheduler.js';
import { startMailboxSync } from './mailbox/mailbox.sync.js';
import { closeSharedChromium } from './pdf/chromium.js';

const config = parseConfig(process.env);
const logger = pino({ level: config.logLevel });
const db = connectDatabase(config.databaseUrl);

const applied = await migrateToLatest(db);
if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
if (!(await hasAnyUser(db))) {
  try {
    await seedDemo(db, systemClock);
  } catch (error) {
    // Several processes started together on an empty database: one of them loads the demo.
    if (!(await hasAnyUser(db))) throw error;
  }
  logger.info(`Empty database: loaded the demo company. Sign in as ${demoLogins.map((login) => login.email).join(', ')} with password "${demoPassword}".`);
}

const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxFolder: path.resolve('data/outbox') });
const app = createApp({ db, clock: systemClock, mailer, config, logger });
const server = app.listen(config.port, () => logger.info(`Buychain is listening on ${config.baseUrl}`));
const digestScheduler = startDigestScheduler({ db, clock: systemClock, mailer, config, logger });
const mailboxSync = startMailboxSync({ db, clock: systemClock, logger, mailCredentialsKey: config.mailCredentialsKey });

async function shutDown(signal: string) {
  logger.info({ signal }, 'shutting down');
  digestScheduler.stop();
  mailboxSync.stop();
  server.close();
  await closeSharedChromium();
  await db.destroy();
  process.exit(0);
}
process.on('SIGTERM', () => void shutDown('SIGTERM'));
process.on('SIGINT', () => void shutDown('SIGINT'));
