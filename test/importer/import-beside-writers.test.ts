import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import type { Db } from '../../src/db/database.js';
import { isPostgres } from '../../src/db/dialect.js';
import { touchpointSchema } from '../../src/touchpoints/touchpoints.schemas.js';
import { logTouchpoint } from '../../src/touchpoints/touchpoints.service.js';
import { factories } from '../support/factories.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { testNow } from '../support/test-app.js';

// A big import (the command line, its own process) while a rep logs touchpoints through another
// connection: the import commits in short batches, so the rep's writes wait a moment at most and
// never fail with "database is locked". The writer waits at most 2 seconds for the lock (SQLite's
// busy timeout); before, one transaction held it for the whole file.

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = `${projectRoot}node_modules/.bin/tsx`;

let database: TestDatabase;
let writer: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  writer = database.reconnect();
  if (!isPostgres(writer)) await sql`pragma busy_timeout = 2000`.execute(writer);
});
afterAll(async () => {
  await writer.destroy();
  await database.drop();
});

it(
  'a 20,000-row import beside a writer: every write lands',
  async () => {
    const clock = fixedClock(testNow);
    const make = factories(database.db, clock);
    const rep = await make.user({ email: 'busy-rep@example.com' });
    const account = await make.account(rep);
    const contact = await make.contact(rep, account.id);
    const rows = Array.from({ length: 20_000 }, (_, index) => `Bulk Account ${Math.floor(index / 10)},customer,Person ${index},Buyer,person${index}@bulk.test,user`);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'buychain-bulk-')), 'bulk.csv');
    writeFileSync(file, ['account,status,name,title,email,roles', ...rows].join('\n'));

    const importer = spawn(tsx, ['src/cli.ts', 'import', file, '--as', rep.email], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: database.url, BASE_URL: 'http://127.0.0.1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    importer.stdout!.on('data', (chunk) => (output += chunk));
    let running = true;
    const exited = new Promise<number | null>((resolve) => importer.once('exit', (code) => ((running = false), resolve(code))));

    const input = touchpointSchema(rep.time_zone, clock.now()).parse({ kind: 'call', location: 'phone', contact_ids: [contact.id], occurred_at: '2026-11-23T10:00:00Z', summary: 'Checked in' });
    const failures: string[] = [];
    let written = 0;
    while (running) {
      try {
        await writer.transaction().execute((trx) => logTouchpoint(trx, clock, rep, account.id, input));
        written += 1;
      } catch (error) {
        failures.push((error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await exited).toBe(0);
    expect(output).toContain('Imported 2000 accounts and 20000 contacts as busy-rep@example.com.');
    expect(failures).toEqual([]);
    expect(written).toBeGreaterThan(0);
  },
  300_000,
);
