// Test hook, run as its own process by concurrent-imports.test.ts: connects to DATABASE_URL, stages
// FILE for the user AS, says "ready", waits for "go" on stdin so every importer writes at the same
// moment, imports, and prints what it created as JSON.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { systemClock } from '../../src/clock.js';
import { connectDatabase } from '../../src/db/connect.js';
import { applyImport } from '../../src/importer/import-run.js';
import { stageImport } from '../../src/importer/import-staging.js';
import { findUserByEmail } from '../../src/users/users.service.js';

const db = connectDatabase(process.env.DATABASE_URL!);
const user = (await findUserByEmail(db, process.env.AS!))!;
const uploadId = await stageImport(db, systemClock, user, createReadStream(process.env.FILE!), { fileName: 'race.csv' });
console.log('ready');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
console.log(JSON.stringify(await applyImport(db, systemClock, user, uploadId)));
await db.destroy();
process.exit(0);
