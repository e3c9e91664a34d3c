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
import { departureSignalStatuses, meetingStatuses } from './mail-in.table.js';
import { answerOutsideOffice, holdPastMeetings, listMeetings, meetingToJson } from './meetings.service.js';
import { accountIdOf } from '../accounts/accounts.routes.js';
import { getAccountForUser } from '../accounts/accounts.service.js';

const idOf = (what: string) => (req: Request) => {
  const id = parseIdParam(req.params.id);
  if (id === null) throw new NotFound(what);
  return id;
};
const signalIdOf = idOf('That departure signal');
const suggestionIdOf = idOf('That suggestion');
const meetingIdOf = idOf('That meeting');

const outsideOfficeBody = z.object({ outside_office: z.enum(['1', '0', 'true', 'false'], { error: 'Say whether it was outside the office' }) });
const meetingsQuery = z.object({ status: z.enum(meetingStatuses, { error: 'Use planned, cancelled or held' }).optional() });

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

  router.post('/meetings/:id/outside-office', async (req, res) => {
    const viewer = viewerOf(req);
    const meetingId = meetingIdOf(req);
    const { outside_office } = parseInput(outsideOfficeBody, req.body);
    const outside = outside_office === '1' || outside_office === 'true';
    const meeting = await db.transaction().execute((trx) => answerOutsideOffice(trx, clock, viewer, meetingId, outside));
    flash(req, outside ? `“${meeting.title}” counts as a meeting outside the office.` : `“${meeting.title}” noted as not outside the office.`);
    res.redirect(`/accounts/${meeting.account_id}#planned-meetings`);
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

  router.get('/accounts/:id/meetings', async (req, res) => {
    const account = await getAccountForUser(db, viewerOf(req), accountIdOf(req));
    const { status } = parseInput(meetingsQuery, req.query);
    const paging = parsePaging(req.query);
    await db.transaction().execute((trx) => holdPastMeetings(trx, clock, { accountId: account.id }));
    const { rows, total } = await listMeetings(db, account.id, paging, { status });
    const { page, per_page, pages } = pageInfo(paging, total);
    res.json({ data: rows.map(meetingToJson), page, per_page, total, pages });
  });

  router.post('/departure-signals/:id/dismiss', async (req, res) => {
    const signal = await db.transaction().execute((trx) => dismissDepartureSignal(trx, clock, viewerOf(req), signalIdOf(req)));
    res.json(departureSignalToJson(signal));
  });
  return router;
}
