import { type Request, Router } from 'express';
import type { CsvSource } from './csv-records.js';
import type { AppContext } from '../app-context.js';
import { viewerOf } from '../http/auth.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { maxUploadBytes, receiveCsv } from './csv-upload.js';
import { importColumns } from './import-rows.js';
import { applyImport, previewImport } from './import-run.js';
import { stageImport } from './import-staging.js';
import { exportKinds } from '../csv-export/csv-export.service.js';
import { vendors } from './vendors/vendor-table.js';

/** How many problems, accounts and contacts the preview lists (with a count of the rest). */
const previewRows = 100;

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

// Anyone signed in may import: rows become accounts owned by the importer, or by an owner_email
// they may act for (a manager their team, an admin anyone), exactly as on the account form.
// Posting the form reads the file into staging and shows the preview; confirming imports the
// staged rows (POST /import/:id), so the file is sent once, whatever its size.
/** The menu's "Import & export": the import forms first, the export files below them. */
export const importPage = {
  view: 'importer/import',
  data: { title: 'Import and export', columns: importColumns, maxUploadMegabytes: maxUploadBytes / 1024 / 1024, exportKinds, vendors },
};

export function importerPages({ db, clock }: AppContext): Router {
  const router = Router();
  const formPage = importPage;

  router.get('/import', (_req, res) => res.render(formPage.view, formPage.data));

  router.post('/import', async (req, res) => {
    const viewer = viewerOf(req);
    let pasted: string | undefined;
    await handleForm(
      req,
      res,
      async () => {
        const stage = (fileName: string, source: CsvSource) => stageImport(db, clock, viewer, source, { fileName });
        // The page posts multipart; a small urlencoded form (200 KB at most, parsed like any other) is read too.
        const received = req.is('multipart/form-data')
          ? await receiveCsv(req, stage)
          : { pasted: (req.body as { csv?: string } | undefined)?.csv, staged: undefined as number | undefined, stagedAll: [], fields: {} };
        pasted = received.pasted;
        const uploadId = received.staged ?? (pasted?.trim() ? await stage('pasted text', [pasted]) : undefined);
        if (uploadId === undefined) throw new ValidationFailed({ csv: 'Choose a CSV file or paste the CSV' });
        const summary = await previewImport(db, viewer, uploadId, previewRows);
        res.render(formPage.view, {
          ...formPage.data,
          title: 'Check the import',
          summary,
          moreProblems: summary.problemCount - summary.problems.length,
          moreAccounts: summary.newAccounts - summary.accountsToCreate.length,
          moreContacts: summary.newContacts - summary.contactsToCreate.length,
          hasWork: summary.newAccounts + summary.newContacts > 0,
        });
      },
      async () => ({ view: formPage.view, data: { ...formPage.data, values: { csv: pasted } } }),
    );
  });

  router.post('/import/:id', async (req: Request, res) => {
    const uploadId = parseIdParam(req.params.id);
    if (uploadId === null) throw new NotFound('That import');
    const result = await applyImport(db, clock, viewerOf(req), uploadId);
    flash(
      req,
      `Imported ${plural(result.newAccounts, 'account')} and ${plural(result.newContacts, 'contact')}` +
        (result.rowsSkipped > 0 ? `; skipped ${plural(result.rowsSkipped, 'row')} with problems.` : '.'),
    );
    res.redirect('/accounts');
  });
  return router;
}
