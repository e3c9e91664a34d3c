import { type Request, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { viewerOf } from '../http/auth.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import type { CurrentUser } from '../users/users.service.js';
import { receiveCsv } from './csv-upload.js';
import { importPage } from './importer.routes.js';
import { discardUpload, findUpload } from './import-staging.js';
import { type ColumnPlan, headerHash, type MappingChoice } from './vendor-files.js';
import { planFiles, runVendorImport } from './vendor-import.js';
import { newVendorUpload, saveMapping, savedMappings, storedFiles, storeFile } from './vendor-upload.js';
import { type Vendor, type VendorField, vendorFields, vendors } from './vendors/vendor-table.js';

// The import page's second form: several files of one vendor's export at once. Posting them keeps
// the files (import_file_chunks) and shows the mapping step: every column and what it becomes (a
// select to re-map or ignore it), the translations of roles, statuses and activity types, the ids
// resolved, the owners not matched, the counts and every problem row, all from a dry run: nothing
// is written. "Check again" runs the dry run with the columns as chosen (and saves the choice for
// that header); "Import" imports. Only the uploader can see or import an upload.

/** How many files one upload takes. */
const maxFiles = 12;
/** How many problem rows the page lists (with the count of all). */
const listedProblems = 500;

const fromSchema = z.object({ from: z.preprocess((value) => (value === '' ? undefined : value), z.enum(vendors, { error: `Choose ${vendors.join(', ')} or let us tell` }).optional()) });
const choiceSchema = z.enum(['', ...vendorFields] as const, { error: 'Choose one of the fields, or ignore the column' });
const stepSchema = z.object({ action: z.enum(['check', 'import'], { error: 'Check again, or import' }), from: fromSchema.shape.from });

/** What each column may become, for its select. */
const fieldOptions = (chosen: VendorField | null) => [
  { value: '', label: 'ignore this column', selected: chosen === null },
  ...vendorFields.map((field) => ({ value: field, label: field.replaceAll('_', ' '), selected: field === chosen })),
];

/**
 * The columns as chosen on the form (`map_<file>_<column>`), per file: header → field or "", and an
 * error per select whose value is not one of its options (that column is left out of the choice).
 */
function chosenMappings(body: Record<string, unknown>, files: { source: { name: string }; columns: ColumnPlan[] }[]) {
  const errors: Record<string, string> = {};
  const mappings = files.map(({ source: file, columns }, fileIndex) => {
    const choice: MappingChoice = {};
    columns.forEach((column, columnIndex) => {
      const name = `map_${fileIndex}_${columnIndex}`;
      if (!(name in body)) return;
      const parsed = choiceSchema.safeParse(body[name]);
      if (parsed.success) choice[column.header] = parsed.data;
      else errors[name] = `${file.name}, ${column.header}: ${parsed.error.issues[0]!.message}`;
    });
    return choice;
  });
  return { mappings, errors };
}

export function vendorImportPages({ db, clock }: AppContext): Router {
  const router = Router();
  const preview = async (viewer: CurrentUser, uploadId: number, from: Vendor | undefined, mappings: MappingChoice[]) => {
    const report = await runVendorImport(db, clock, viewer, await storedFiles(db, uploadId), { from, dryRun: true, mappings, sampleSize: listedProblems });
    return {
      title: 'Check the import',
      uploadId,
      from,
      report,
      files: report.files.map((file, fileIndex) => ({
        ...file,
        columns: file.columns.map((column, columnIndex) => ({ ...column, name: `map_${fileIndex}_${columnIndex}`, options: fieldOptions(column.field) })),
      })),
      moreProblems: report.problemCount - report.problems.length,
      hasWork: report.accounts.created + report.contacts.created + report.touchpoints.created + report.roles + report.reportsTo > 0,
    };
  };

  router.post('/import/vendor', async (req, res) => {
    const viewer = viewerOf(req);
    let uploadId: number | undefined;
    let fields: Record<string, string> = {};
    await handleForm(
      req,
      res,
      async () => {
        uploadId = await newVendorUpload(db, clock, viewer);
        const id = uploadId;
        const received = await receiveCsv(req, (fileName, source, index) => storeFile(db, id, index, fileName, source), maxFiles);
        fields = received.fields;
        const chosen = fromSchema.safeParse({ from: received.fields.from });
        if (!chosen.success) throw new ValidationFailed({ from: chosen.error.issues[0]!.message });
        const { from } = chosen.data;
        if (received.stagedAll.length === 0) throw new ValidationFailed({ files: 'Choose the files of your export (companies, contacts, activities…)' });
        const files = await storedFiles(db, id);
        res.render('importer/vendor-preview', await preview(viewer, id, from, await savedMappings(db, viewer, files)));
      },
      async () => {
        if (uploadId !== undefined) await discardUpload(db, uploadId);
        return { view: importPage.view, data: { ...importPage.data, values: { from: fields.from } } };
      },
    );
  });

  router.post('/import/vendor/:id', async (req: Request, res) => {
    const viewer = viewerOf(req);
    const uploadId = parseIdParam(req.params.id);
    if (uploadId === null) throw new NotFound('That import');
    await findUpload(db, viewer, uploadId);
    const body = (req.body ?? {}) as Record<string, unknown>;
    let shown: Awaited<ReturnType<typeof preview>> | undefined;
    await handleForm(
      req,
      res,
      async () => {
        const step = stepSchema.safeParse(body);
        const from = fromSchema.safeParse(body).data?.from;
        const files = await storedFiles(db, uploadId);
        const saved = await savedMappings(db, viewer, files);
        // The columns as the page showed them, then as the person chose them.
        const planned = await planFiles(files, from, saved);
        const { mappings, errors } = chosenMappings(body, planned);
        for (const issue of step.error?.issues ?? []) errors[String(issue.path[0] ?? 'action')] ??= issue.message;
        if (Object.keys(errors).length > 0) {
          // Shown again as the person left it: their choices over what the page showed (a refused
          // select keeps what it showed), each error beside its select; nothing is saved.
          shown = await preview(viewer, uploadId, from, mappings.map((choice, index) => ({ ...saved[index], ...choice })));
          throw new ValidationFailed(errors);
        }
        const { action } = step.data!;
        for (const [index, file] of planned.entries())
          if (Object.keys(mappings[index]!).length > 0) await saveMapping(db, clock, viewer, headerHash(file.columns.map((column) => column.header)), mappings[index]!);
        if (action === 'check') {
          res.render('importer/vendor-preview', await preview(viewer, uploadId, from, mappings));
          return;
        }
        const report = await runVendorImport(db, clock, viewer, files, { from, mappings });
        await discardUpload(db, uploadId);
        flash(
          req,
          `Imported from ${report.vendor}: ${report.accounts.created} new accounts, ${report.contacts.created} new contacts, ${report.touchpoints.created} touchpoints` +
            (report.problemCount > 0 ? `; skipped ${report.problemCount} rows with problems.` : '.'),
        );
        res.redirect('/accounts');
      },
      async () => {
        shown ??= await preview(viewer, uploadId, undefined, await savedMappings(db, viewer, await storedFiles(db, uploadId)));
        return { view: 'importer/vendor-preview', data: shown };
      },
    );
  });
  return router;
}
