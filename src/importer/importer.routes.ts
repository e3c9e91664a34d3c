import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { viewerOf } from '../http/auth.js';
import { flash, handleForm } from '../http/forms.js';
import { parseInput } from '../http/validation.js';
import { applyImport, importColumns, planImport } from './csv-import.js';
import { exportKinds } from '../csv-export/csv-export.service.js';

/** How many planned rows the preview lists; every problem row is always listed. */
const previewRows = 100;

const importFormSchema = z.object({
  csv: z.string({ error: 'Paste the CSV or choose a file' }).trim().min(1, 'Paste the CSV or choose a file'),
  confirm: z.literal('1').optional(),
});

// Anyone signed in may import: rows become accounts owned by the importer, or by an owner_email
// they may act for (a manager their team, an admin anyone), exactly as on the account form.
export function importerPages({ db, clock }: AppContext): Router {
  const router = Router();
  // The menu's "Import & export": the import form first, the export files below it.
  const formPage = async () => ({ view: 'importer/import', data: { title: 'Import and export', columns: importColumns, exportKinds } });

  router.get('/import', async (_req, res) => {
    const page = await formPage();
    res.render(page.view, page.data);
  });

  router.post('/import', async (req, res) => {
    const viewer = viewerOf(req);
    await handleForm(
      req,
      res,
      async () => {
        const { csv, confirm } = parseInput(importFormSchema, req.body);
        if (!confirm) {
          const plan = await planImport(db, viewer, csv);
          const page = await formPage();
          res.render(page.view, {
            ...page.data,
            title: 'Check the import',
            values: { csv },
            plan,
            existingAccounts: plan.existingAccountIds.size,
            shownAccounts: plan.newAccounts.slice(0, previewRows),
            shownContacts: plan.newContacts.slice(0, previewRows),
            hasWork: plan.newAccounts.length + plan.newContacts.length > 0,
          });
          return;
        }
        // The whole import in one transaction, planned again inside it so it matches the database it writes to.
        const result = await db.transaction().execute(async (trx) => applyImport(trx, clock, viewer, await planImport(trx, viewer, csv)));
        flash(
          req,
          `Imported ${result.accountsCreated} account${result.accountsCreated === 1 ? '' : 's'} and ${result.contactsCreated} contact${result.contactsCreated === 1 ? '' : 's'}` +
            (result.rowsSkipped > 0 ? `; skipped ${result.rowsSkipped} row${result.rowsSkipped === 1 ? '' : 's'} with problems.` : '.'),
        );
        res.redirect('/accounts');
      },
      formPage,
    );
  });
  return router;
}
