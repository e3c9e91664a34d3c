// Test hook, run as its own process by upload-memory.test.ts with a limited heap: the app on
// DATABASE_URL and PORT. Prints "listening"; on "peak" (stdin) prints the highest heapUsed seen,
// sampled every 10 ms from the moment it listens.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config.js';
import { connectDatabase } from '../../src/db/connect.js';
import { createMailer } from '../../src/mail/mailer.js';

const config = parseConfig({ DATABASE_URL: process.env.DATABASE_URL, PORT: process.env.PORT, BASE_URL: `http://127.0.0.1:${process.env.PORT}`, LOG_LEVEL: 'silent' });
const db = connectDatabase(config.databaseUrl);
const mailer = createMailer({ from: 'test@buychain.test', outboxFolder: mkdtempSync(path.join(os.tmpdir(), 'buychain-outbox-')) });
const app = createApp({ db, clock: systemClock, mailer, config, logger: pino({ level: 'silent' }) });
let peak = 0;
setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10).unref();
app.listen(config.port, '127.0.0.1', () => console.log('listening'));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'peak') console.log(JSON.stringify({ peak }));
});
