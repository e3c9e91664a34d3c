import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { ValidationFailed } from '../http/errors.js';
import { type CurrentUser, findUserByEmail } from '../users/users.service.js';
import { applyImport, type ImportPlan, planImport } from './csv-import.js';

/** How many planned rows the preview prints per kind; every problem row is always printed. */
const previewRows = 20;

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

export function previewText(plan: ImportPlan): string {
  const lines = [
    `${plan.rows} rows: ${plan.newAccounts.length} new accounts, ${plan.newContacts.length} new contacts; ` +
      `${plan.existingAccountIds.size} accounts and ${plan.existingContacts} contacts already there; ${plan.problems.length} rows with problems (skipped).`,
  ];
  if (plan.unknownColumns.length > 0) lines.push(`Columns ignored: ${plan.unknownColumns.join(', ')}`);
  const more = (shown: number, total: number) => (total > shown ? [`  … ${total - shown} more`] : []);
  for (const account of plan.newAccounts.slice(0, previewRows)) lines.push(`  + account ${account.name} (owner ${account.owner_name})`);
  lines.push(...more(previewRows, plan.newAccounts.length));
  for (const contact of plan.newContacts.slice(0, previewRows)) lines.push(`  + contact ${contact.input.name} at ${contact.account_name} (row ${contact.row})`);
  lines.push(...more(previewRows, plan.newContacts.length));
  for (const problem of plan.problems) lines.push(`  ! row ${problem.row}: ${problem.messages.join('; ')}`);
  return lines.join('\n');
}

/**
 * `import FILE.csv [--as EMAIL] [--dry-run]`: prints the preview, then imports (in one
 * transaction) unless --dry-run. Runs with the rights of --as, or of the first admin.
 */
export async function importCsvCommand(db: Db, clock: Clock, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { as: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
  const file = positionals[0]!;
  const user = values.as ? await findUserByEmail(db, values.as) : await defaultImporter(db);
  if (!user) throw new ValidationFailed({ as: values.as ? `No user has the email ${values.as}` : 'Add an admin first, or name the importing user with --as EMAIL' });
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new ValidationFailed({ file: `Cannot read ${file}: ${error.message}` });
  });
  if (values['dry-run']) {
    console.log(previewText(await planImport(db, user, text)));
    console.log('Dry run: nothing was written.');
    return;
  }
  const result = await db.transaction().execute(async (trx) => {
    const plan = await planImport(trx, user, text);
    console.log(previewText(plan));
    return applyImport(trx, clock, user, plan);
  });
  console.log(`Imported ${result.accountsCreated} accounts and ${result.contactsCreated} contacts as ${user.email}.`);
}
