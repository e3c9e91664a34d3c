import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { systemClock } from '../src/clock.js';
import { connectDatabase } from '../src/db/connect.js';
import { touchpointSchema } from '../src/touchpoints/touchpoints.schemas.js';
import { logTouchpoint } from '../src/touchpoints/touchpoints.service.js';
import type { CurrentUser } from '../src/users/users.service.js';
import { npmStartCommand, sampleProcess } from './processes.js';

// The import of a big CSV file with the command line, as deployed (`dist/src/cli.js` with the Node
// options of `npm start`, so the same 192 MB heap), on the run's copy of the company, while a rep
// keeps logging touchpoints through another connection that waits at most 2 s for the write lock.
// Measures wall time, CPU seconds and peak memory of the import process, and the writes beside it.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ImportTiming {
  rows: number;
  file_mb: number;
  seconds: number;
  cpu_seconds: number;
  peak_rss_mb: number;
  output: string;
  writes_beside: number;
  failed_writes_beside: number;
  longest_write_wait_ms: number;
}

/** One contact per row, ten per account, accounts new to the company. */
function writeCsv(file: string, rows: number) {
  const lines = ['account,status,name,title,email,phone,roles'];
  for (let row = 0; row < rows; row++)
    lines.push(`Imported Account ${Math.floor(row / 10)},customer,Person ${row},Purchasing lead,person${row}@imported-${Math.floor(row / 10)}.example,+1 555 0100 ${row % 10000},user`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

export async function timeImport(options: { folder: string; databaseUrl: string; rows: number; importer: string; writer: { user: CurrentUser; accountId: number; contactId: number } }): Promise<ImportTiming> {
  const file = path.join(options.folder, 'import.csv');
  writeCsv(file, options.rows);
  const { nodeOptions } = npmStartCommand();
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, path.join(root, 'dist/src/cli.js'), 'import', file, '--as', options.importer], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: options.databaseUrl, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const sampler = sampleProcess(child.pid!);
  let running = true;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running = false;
      resolve(code);
    }),
  );

  const writer = connectDatabase(options.databaseUrl);
  await sql`pragma busy_timeout = 2000`.execute(writer);
  const input = touchpointSchema('UTC', new Date()).parse({ kind: 'call', location: 'phone', contact_ids: [options.writer.contactId], occurred_at: new Date().toISOString(), summary: 'Written beside the import' });
  let writes = 0;
  let failures = 0;
  let longestMs = 0;
  while (running) {
    const writeStarted = performance.now();
    try {
      await writer.transaction().execute((trx) => logTouchpoint(trx, systemClock, options.writer.user, options.writer.accountId, input));
      writes += 1;
    } catch {
      failures += 1;
    }
    longestMs = Math.max(longestMs, performance.now() - writeStarted);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await writer.destroy();
  const code = await exited;
  const { cpuSeconds, peakRssMb } = sampler.stop();
  if (code !== 0) throw new Error(`The import exited with ${code}:\n${output.slice(-2000)}`);
  return {
    rows: options.rows,
    file_mb: Math.round(fs.statSync(file).size / 1024 / 102.4) / 10,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    cpu_seconds: Math.round(cpuSeconds * 100) / 100,
    peak_rss_mb: peakRssMb,
    output: output.trim().split('\n').at(-1) ?? '',
    writes_beside: writes,
    failed_writes_beside: failures,
    longest_write_wait_ms: Math.round(longestMs),
  };
}
