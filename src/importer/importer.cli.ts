import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { isPostgres } from '../db/dialect.js';
import { ValidationFailed } from '../http/errors.js';
import { type CurrentUser, findUserByEmail } from '../users/users.service.js';
import { buychainColumns } from './import-rows.js';
import { applyImport, type ImportSummary, previewImport } from './import-run.js';
import { discardUpload, stageImport } from './import-staging.js';
import { type ImportFileSource, readHeader, recogniseFile } from './vendor-files.js';
import { runVendorImport, type VendorImportReport } from './vendor-import.js';
import { type Vendor, vendors } from './vendors/vendor-table.js';

/** How many problems, accounts and contacts the preview prints (with a count of the rest). */
const previewRows = 50;

/**
 * This process's SQLite connection, for a bulk write: a bigger page cache (the indexes a big import
 * grows no longer fit the default 2 MB, and each miss is a read from the file) and a checkpoint every
 * 80 MB of WAL instead of every 4 MB (a checkpoint copies each page written since the last one into
 * the file: index pages written by every batch are copied once per checkpoint, not once per batch).
 * The server's connections keep their settings; the process ends after the import.
 */
async function tuneForBulkWrites(db: Db): Promise<void> {
  if (isPostgres(db)) return;
  await sql`pragma cache_size = -65536`.execute(db);
  await sql`pragma wal_autocheckpoint = 20000`.execute(db);
}

/** The first active admin, for imports run without --as. */
async function defaultImporter(db: Db): Promise<CurrentUser | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role', 'manager_id', 'time_zone'])
    .where('role', '=', 'admin')
    .where('active', '=', 1)
    .orderBy('id')
    .executeTakeFirst();
}

export function previewText(summary: ImportSummary): string {
  const lines = [
    `${summary.rows} rows: ${summary.newAccounts} new accounts, ${summary.newContacts} new contacts; ` +
      `${summary.existingAccounts} accounts and ${summary.existingContacts} contacts already there; ${summary.problemCount} rows with problems (skipped).`,
  ];
  if (summary.ignoredColumns.length > 0) lines.push(`Columns ignored: ${summary.ignoredColumns.join(', ')}`);
  const more = (shown: number, total: number) => (total > shown ? [`  … ${total - shown} more`] : []);
  for (const account of summary.accountsToCreate) lines.push(`  + account ${account.name} (owner ${account.owner_name})`);
  lines.push(...more(summary.accountsToCreate.length, summary.newAccounts));
  for (const contact of summary.contactsToCreate) lines.push(`  + contact ${contact.name} at ${contact.account_name}`);
  lines.push(...more(summary.contactsToCreate.length, summary.newContacts));
  for (const problem of summary.problems) lines.push(`  ! row ${problem.line}: ${problem.message}`);
  lines.push(...more(summary.problems.length, summary.problemCount));
  return lines.join('\n');
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The report of a vendor import as text: files and columns, translations, owners, counts, problems. */
export function vendorReportText(report: VendorImportReport): string {
  const lines: string[] = [];
  for (const file of report.files) {
    lines.push(`${file.name}: ${report.vendor} ${file.label}, ${plural(file.rows, 'row')}`);
    for (const column of file.columns) lines.push(`  ${column.header} → ${column.field ?? `ignored (${column.reason})`}`);
  }
  for (const translation of report.translations)
    lines.push(`  ${translation.field} "${translation.value}" → ${translation.becomes ?? 'not kept'} (${plural(translation.rows, 'row')})`);
  for (const owner of report.unmatchedOwners) lines.push(`  owner "${owner.owner}" is nobody you may import for: ${plural(owner.rows, 'row')} given to you`);
  const pair = (counts: { created: number; existing: number }, word: string) => `${plural(counts.created, `new ${word}`)} (${counts.existing} already here)`;
  lines.push(
    `${pair(report.accounts, 'account')}, ${pair(report.contacts, 'contact')}, ${pair(report.touchpoints, 'touchpoint')}; ` +
      `${plural(report.roles, 'role')} added, ${plural(report.reportsTo, 'reports-to line')}; ids resolved ${report.ids.resolved}, not found ${report.ids.unknown}; ` +
      `${plural(report.notHistory, 'planned activity or to-do')} skipped; ${plural(report.problemCount, 'row')} with problems (skipped).`,
  );
  for (const problem of report.problems) lines.push(`  ! ${problem.file} row ${problem.line}: ${problem.message}`);
  if (report.problemCount > report.problems.length) lines.push(`  … ${report.problemCount - report.problems.length} more`);
  return lines.join('\n');
}

const fileSource = (file: string): ImportFileSource => ({ name: path.basename(file), open: () => createReadStream(file) });

/** Whether a lone file is in our own columns (the CSV export's), rather than a vendor's. */
async function isBuychainFile(file: string, from: string | undefined): Promise<boolean> {
  if (from) return false;
  const header = await readHeader(createReadStream(file));
  return header !== undefined && !recogniseFile(header) && header.some((cell) => buychainColumns.columnOf(cell) === 'account');
}

/**
 * `import FILE… [--from hubspot|salesforce|pipedrive] [--as EMAIL] [--dry-run]`: a vendor's export
 * files (see vendor-import.ts), with a progress line on standard error; or one file in our own
 * columns, read as a stream, previewed, then imported in batches. Running it again creates nothing
 * twice. Runs with the rights of --as, or of the first admin.
 */
export async function importCsvCommand(db: Db, clock: Clock, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { as: { type: 'string' }, 'dry-run': { type: 'boolean' }, from: { type: 'string' } } });
  const from = values.from;
  if (from !== undefined && !(vendors as readonly string[]).includes(from)) throw new ValidationFailed({ from: `--from is one of ${vendors.join(', ')}` });
  const user = values.as ? await findUserByEmail(db, values.as) : await defaultImporter(db);
  if (!user) throw new ValidationFailed({ as: values.as ? `No user has the email ${values.as}` : 'Add an admin first, or name the importing user with --as EMAIL' });
  for (const file of positionals) {
    const handle = await open(file).catch((error: Error) => {
      throw new ValidationFailed({ file: `Cannot read ${file}: ${error.message}` });
    });
    await handle.close();
  }
  if (positionals.length === 1 && (await isBuychainFile(positionals[0]!, from))) return importOwnColumns(db, clock, user, positionals[0]!, values['dry-run'] ?? false);
  let shownAt = 0;
  await tuneForBulkWrites(db);
  const report = await runVendorImport(db, clock, user, positionals.map(fileSource), {
    from: from as Vendor | undefined,
    dryRun: values['dry-run'],
    onProgress: (progress) => {
      if (Date.now() - shownAt < 500) return;
      shownAt = Date.now();
      process.stderr.write(`\r${progress}…\u001b[K`);
    },
  });
  if (shownAt > 0) process.stderr.write('\n');
  console.log(vendorReportText(report));
  console.log(report.dryRun ? 'Dry run: nothing was written.' : `Imported as ${user.email}.`);
}

async function importOwnColumns(db: Db, clock: Clock, user: CurrentUser, file: string, dryRun: boolean): Promise<void> {
  const handle = await open(file);
  const uploadId = await stageImport(db, clock, user, handle.createReadStream(), { fileName: path.basename(file) }).finally(() => handle.close());
  try {
    console.log(previewText(await previewImport(db, user, uploadId, previewRows)));
    if (dryRun) {
      console.log('Dry run: nothing was written.');
      return;
    }
    const result = await applyImport(db, clock, user, uploadId);
    console.log(`Imported ${result.newAccounts} accounts and ${result.newContacts} contacts as ${user.email}.`);
  } finally {
    await discardUpload(db, uploadId);
  }
}
