import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { viewerOf } from '../http/auth.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash } from '../http/forms.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { parseInput } from '../http/validation.js';
import { confirmSuggestion, dismissSuggestion } from './contact-suggestions.service.js';
import {
  confirmDepartureSignal,
  departureSignalToJson,
  dismissDepartureSignal,
  getDepartureSignal,
  listDepartureSignals,
} from './departure-signals.service.js';
import { departureSignalStatuses } from './mail-in.table.js';

const idOf = (what: string) => (req: Request) => {
  const id = parseIdParam(req.params.id);
  if (id === null) throw new NotFound(what);
  return id;
};
const signalIdOf = idOf('That departure signal');
const suggestionIdOf = idOf('That suggestion');

const statusQuery = z.object({ status: z.enum(departureSignalStatuses, { error: 'Use open, confirmed or dismissed' }).default('open') });
/** Confirming takes the departure's fields, all optional: what is not given is pre-filled from the signal. */
const confirmBody = z.record(z.string(), z.unknown()).default({});

/** A one-tap form whose only failure is "already settled": said in a flash, back on the page. */
async function oneTap(req: Request, res: Response, backTo: string, work: () => Promise<string>) {
  try {
    flash(req, await work());
  } catch (error) {
    if (!(error instanceof ValidationFailed)) throw error;
    flash(req, Object.values(error.fields ?? {})[0] ?? error.message);
  }
  res.redirect(backTo);
}

export function mailInPages({ db, clock }: AppContext): Router {
  const router = Router();

  router.post('/departure-signals/:id/confirm', async (req, res) => {
    const viewer = viewerOf(req);
    const signal = await getDepartureSignal(db, viewer, signalIdOf(req));
    await oneTap(req, res, `/accounts/${signal.account_id}#playbook`, async () => {
      const { contact } = await db.transaction().execute((trx) => confirmDepartureSignal(trx, clock, viewer, signal.id, {}));
      return `${contact.name} marked as ${contact.status}. The recovery playbook is on the account page.`;
    });
  });

  router.post('/departure-signals/:id/dismiss', async (req, res) => {
    const viewer = viewerOf(req);
    const signal = await getDepartureSignal(db, viewer, signalIdOf(req));
    await oneTap(req, res, `/accounts/${signal.account_id}`, async () => {
      await db.transaction().execute((trx) => dismissDepartureSignal(trx, clock, viewer, signal.id));
      return `Dismissed: ${signal.contact_name} is still there.`;
    });
  });

  router.post('/contact-suggestions/:id/confirm', async (req, res) => {
    const viewer = viewerOf(req);
    const contact = await db.transaction().execute((trx) => confirmSuggestion(trx, clock, viewer, suggestionIdOf(req)));
    flash(req, `${contact.name} added to the buying chain. Add their roles when you know them.`);
    res.redirect(`/accounts/${contact.account_id}`);
  });

  router.post('/contact-suggestions/:id/dismiss', async (req, res) => {
    const viewer = viewerOf(req);
    const suggestion = await db.transaction().execute((trx) => dismissSuggestion(trx, clock, viewer, suggestionIdOf(req)));
    flash(req, `${suggestion.email} will not be suggested again.`);
    res.redirect(`/accounts/${suggestion.account_id}`);
  });
  return router;
}

export function mailInApi({ db, clock }: AppContext): Router {
  const router = Router();

  router.get('/departure-signals', async (req, res) => {
    const { status } = parseInput(statusQuery, req.query);
    const paging = parsePaging(req.query);
    const { rows, total } = await listDepartureSignals(db, viewerOf(req), status, paging);
    const { page, per_page, pages } = pageInfo(paging, total);
    res.json({ data: rows.map(departureSignalToJson), page, per_page, total, pages });
  });

  router.post('/departure-signals/:id/confirm', async (req, res) => {
    const viewer = viewerOf(req);
    const overrides = parseInput(confirmBody, req.body ?? {});
    const { signal } = await db.transaction().execute((trx) => confirmDepartureSignal(trx, clock, viewer, signalIdOf(req), overrides));
    res.json(departureSignalToJson(signal));
  });

  router.post('/departure-signals/:id/dismiss', async (req, res) => {
    const signal = await db.transaction().execute((trx) => dismissDepartureSignal(trx, clock, viewerOf(req), signalIdOf(req)));
    res.json(departureSignalToJson(signal));
  });
  return router;
}
