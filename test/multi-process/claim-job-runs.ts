// Test hook, run as its own process by two-processes.test.ts: connects to DATABASE_URL, says "ready",
// waits for "go" on stdin so every claimant starts together, tries to claim job "race" for periods
// 1..PERIODS, and prints the periods it won as JSON.
import { createInterface } from 'node:readline';
import { systemClock } from '../../src/clock.js';
import { connectDatabase } from '../../src/db/connect.js';
import { claimJobRun } from '../../src/jobs/job-runs.service.js';

const db = connectDatabase(process.env.DATABASE_URL!);
const periods = Array.from({ length: Number(process.env.PERIODS) }, (_, index) => String(index + 1));
await db.selectFrom('job_runs').select('job').limit(1).execute(); // connected and ready to race
console.log('ready');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const won: string[] = [];
for (const period of periods) if (await claimJobRun(db, systemClock, 'race', period)) won.push(period);
console.log(JSON.stringify(won));
await db.destroy();
process.exit(0);
