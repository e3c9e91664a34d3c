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

export interface ImportTiming extends Measured {
  rows: number;
  file_mb: number;
}

/** One contact per row, ten per account, accounts new to the company. */
function writeCsv(file: string, rows: number) {
  const lines = ['account,status,name,title,email,phone,roles'];
  for (let row = 0; row < rows; row++)
    lines.push(`Imported Account ${Math.floor(row / 10)},customer,Person ${row},Purchasing lead,person${row}@imported-${Math.floor(row / 10)}.example,+1 555 0100 ${row % 10000},user`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** A Salesforce Data Export of `contacts` people (ten per account, a manager each) and `activities` completed calls and emails, in its exact shape. */
export function writeSalesforceExport(folder: string, contacts: number, activities: number, owner: string): string[] {
  const quoted = (cells: (string | number)[]) => cells.map((cell) => `"${String(cell)}"`).join(',');
  const id = (prefix: string, n: number) => `${prefix}${String(n).padStart(15, '0')}`;
  const write = (name: string, header: string[], rows: number, row: (n: number) => (string | number)[]) => {
    const file = path.join(folder, name);
    const out = fs.openSync(file, 'w');
    let buffer = `${quoted(header)}\r\n`;
    for (let n = 0; n < rows; n++) {
      buffer += `${quoted(row(n))}\r\n`;
      if (buffer.length > 1 << 20) {
        fs.writeSync(out, buffer);
        buffer = '';
      }
    }
    fs.writeSync(out, buffer);
    fs.closeSync(out);
    return file;
  };
  const accounts = Math.ceil(contacts / 10);
  const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + (n % 300) * 86_400_000 + (n % 9) * 3_600_000).toISOString().replace('Z', '+0000');
  return [
    write('User.csv', ['Id', 'Username', 'LastName', 'FirstName', 'Name', 'Email', 'IsActive'], 1, () => [id('005', 1), `${owner}.sf`, 'Admin', 'Scale', 'Scale Admin', owner, 'true']),
    write('Account.csv', ['Id', 'IsDeleted', 'Name', 'Type', 'BillingCity', 'OwnerId', 'CreatedDate'], accounts, (n) => [id('001', n), 'false', `Vendor Account ${n}`, n % 3 === 0 ? 'Prospect' : 'Customer - Direct', 'Springfield', id('005', 1), day(n)]),
    write('Contact.csv', ['Id', 'IsDeleted', 'AccountId', 'LastName', 'FirstName', 'Phone', 'MobilePhone', 'ReportsToId', 'Email', 'Title', 'Birthdate', 'OwnerId'], contacts, (n) => [
      id('003', n),
      'false',
      id('001', Math.floor(n / 10)),
      `Person${n}`,
      'Vendor',
      `+1 555 01${String(n % 100).padStart(2, '0')}`,
      '',
      n % 10 === 0 ? '' : id('003', n - (n % 10)),
      `person${n}@vendor-${Math.floor(n / 10)}.example`,
      n % 10 === 0 ? 'CEO' : 'Buyer',
      '',
      id('005', 1),
    ]),
    write('AccountContactRelation.csv', ['Id', 'AccountId', 'ContactId', 'Roles', 'IsDirect', 'IsActive'], accounts, (n) => [id('07k', n), id('001', n), id('003', n * 10), 'Decision Maker;Economic Buyer', 'true', 'true']),
    write('Task.csv', ['Id', 'WhoId', 'WhatId', 'Subject', 'ActivityDate', 'Status', 'OwnerId', 'Description', 'IsDeleted', 'AccountId', 'TaskSubtype', 'Type', 'CompletedDateTime'], activities, (n) => {
      const contact = (n * 7919) % contacts;
      return [id('00T', n), id('003', contact), id('001', Math.floor(contact / 10)), n % 2 ? 'Call' : 'Email', day(n).slice(0, 10), 'Completed', id('005', 1), '', 'false', id('001', Math.floor(contact / 10)), n % 2 ? 'Call' : 'Email', n % 2 ? 'Call' : 'Email', day(n)];
    }),
  ];
}

interface Writer {
  user: CurrentUser;
  accountId: number;
  contactId: number;
}

interface Measured {
  seconds: number;
  cpu_seconds: number;
  peak_rss_mb: number;
  output: string;
  writes_beside: number;
  failed_writes_beside: number;
  longest_write_wait_ms: number;
}

/** Runs `cli.js import …args` as deployed, sampling its CPU and memory, while a rep logs touchpoints beside it. */
async function measureImport(args: string[], databaseUrl: string, writerAs: Writer): Promise<Measured> {
  const { nodeOptions } = npmStartCommand();
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, path.join(root, 'dist/src/cli.js'), 'import', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
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

  const writer = connectDatabase(databaseUrl);
  await sql`pragma busy_timeout = 2000`.execute(writer);
  const input = touchpointSchema('UTC', new Date()).parse({ kind: 'call', location: 'phone', contact_ids: [writerAs.contactId], occurred_at: new Date().toISOString(), summary: 'Written beside the import' });
  let writes = 0;
  let failures = 0;
  let longestMs = 0;
  while (running) {
    const writeStarted = performance.now();
    try {
      await writer.transaction().execute((trx) => logTouchpoint(trx, systemClock, writerAs.user, writerAs.accountId, input));
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
    seconds: Math.round((performance.now() - started) / 10) / 100,
    cpu_seconds: Math.round(cpuSeconds * 100) / 100,
    peak_rss_mb: peakRssMb,
    output: output.trim(),
    writes_beside: writes,
    failed_writes_beside: failures,
    longest_write_wait_ms: Math.round(longestMs),
  };
}

export async function timeImport(options: { folder: string; databaseUrl: string; rows: number; importer: string; writer: Writer }): Promise<ImportTiming> {
  const file = path.join(options.folder, 'import.csv');
  writeCsv(file, options.rows);
  const measured = await measureImport([file, '--as', options.importer], options.databaseUrl, options.writer);
  return { rows: options.rows, file_mb: Math.round(fs.statSync(file).size / 1024 / 102.4) / 10, ...measured, output: measured.output.split('\n').at(-1) ?? '' };
}

export interface VendorImportTiming extends Measured {
  contacts: number;
  activities: number;
  files_mb: number;
}

/** A Salesforce Data Export of `contacts` people and `activities` calls and emails, imported with `--from salesforce`. */
export async function timeVendorImport(options: { folder: string; databaseUrl: string; contacts: number; activities: number; importer: string; writer: Writer }): Promise<VendorImportTiming> {
  const folder = path.join(options.folder, 'salesforce-export');
  fs.mkdirSync(folder, { recursive: true });
  const files = writeSalesforceExport(folder, options.contacts, options.activities, options.importer);
  const measured = await measureImport([...files, '--from', 'salesforce', '--as', options.importer], options.databaseUrl, options.writer);
  const bytes = files.reduce((sum, file) => sum + fs.statSync(file).size, 0);
  // The line with the counts, not the mapping above it.
  const counts = measured.output.split('\n').find((line) => / new accounts? /.test(line)) ?? '';
  return { contacts: options.contacts, activities: options.activities, files_mb: Math.round(bytes / 1024 / 102.4) / 10, ...measured, output: counts };
}
