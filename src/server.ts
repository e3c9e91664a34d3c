import path from 'node:path';
import { pino } from 'pino';
import { createApp } from './app.js';
import { systemClock } from './clock.js';
import { parseConfigOrExit } from './config.js';
import { connectDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { prepareEmptyDatabase } from './demo/first-start.js';
import { createMailer } from './mail/mailer.js';
import { startDigestScheduler } from './digest/digest.scheduler.js';
import { closeSharedChromium } from './pdf/chromium.js';

const config = parseConfigOrExit(process.env, 'server');
const logger = pino({ level: config.logLevel });
const db = connectDatabase(config.databaseUrl);

const applied = await migrateToLatest(db);
if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
await prepareEmptyDatabase(db, systemClock, { production: config.production, logger });

const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxFolder: path.resolve('data/outbox') });
const app = createApp({ db, clock: systemClock, mailer, config, logger });
const server = app.listen(config.port, () => logger.info(`Buychain is listening on ${config.baseUrl}`));
const digestScheduler = startDigestScheduler({ db, clock: systemClock, mailer, config, logger });

async function shutDown(signal: string) {
  logger.info({ signal }, 'shutting down');
  digestScheduler.stop();
  server.close();
  await closeSharedChromium();
  await db.destroy();
  process.exit(0);
}
process.on('SIGTERM', () => void shutDown('SIGTERM'));
process.on('SIGINT', () => void shutDown('SIGINT'));
