import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { localToday } from '../commitments/commitments.service.js';
import { viewerOf } from '../http/auth.js';
import { NotFound } from '../http/errors.js';
import { type ExportKind, exportCsv, exportKinds } from './csv-export.service.js';

const kindOf = (file: unknown): ExportKind => {
  const kind = exportKinds.find((candidate) => file === `${candidate}.csv`);
  if (!kind) throw new NotFound('That export');
  return kind;
};

export function csvExportPages({ db, clock }: AppContext): Router {
  const router = Router();

  // Import and export share one page (import first): the menu's "Import & export" opens it.
  router.get('/export', (_req, res) => res.redirect(301, '/import#export'));

  router.get('/export/:file', async (req, res) => {
    const viewer = viewerOf(req);
    const kind = kindOf(req.params.file);
    res.attachment(`buychain-${kind}-${localToday(clock, viewer).isoDate}.csv`);
    res.type('text/csv; charset=utf-8');
    await pipeline(exportCsv(db, viewer, kind), res);
  });
  return router;
}
