import { open } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { ValidationFailed } from '../http/errors.js';
import { type CurrentUser, findUserByEmail } from '../users/users.service.js';
import { applyImport, type ImportSummary, previewImport } from './import-run.js';
import { discardUpload, stageImport } from './import-staging.js';

/** How many problems, accounts and contacts the preview prints (with a count of the rest). */
const previewRows = 50;

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

/**
 * `import FILE.csv [--as EMAIL] [--dry-run]`: reads the file as a stream, prints the preview, then
 * imports (in batches; running it again creates nothing twice) unless --dry-run. Runs with the
 * rights of --as, or of the first admin.
 */
export async function importCsvCommand(db: Db, clock: Clock, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { as: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
  const file = positionals[0]!;
  const user = values.as ? await findUserByEmail(db, values.as) : await defaultImporter(db);
  if (!user) throw new ValidationFailed({ as: values.as ? `No user has the email ${values.as}` : 'Add an admin first, or name the importing user with --as EMAIL' });
  const handle = await open(file).catch((error: Error) => {
    throw new ValidationFailed({ file: `Cannot read ${file}: ${error.message}` });
  });
  const uploadId = await stageImport(db, clock, user, handle.createReadStream(), { fileName: path.basename(file) }).finally(() => handle.close());
  try {
    console.log(previewText(await previewImport(db, user, uploadId, previewRows)));
    if (values['dry-run']) {
      console.log('Dry run: nothing was written.');
      return;
    }
    const result = await applyImport(db, clock, user, uploadId);
    console.log(`Imported ${result.newAccounts} accounts and ${result.newContacts} contacts as ${user.email}.`);
  } finally {
    await discardUpload(db, uploadId);
  }
}
