import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { contactToJson, getContactForUser, listContactsForAccount } from '../contacts/contacts.service.js';
import { contactRoles, departureNotices } from '../contacts/contacts.table.js';
import { viewerOf } from '../http/auth.js';
import { NotFound } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { parseInput } from '../http/validation.js';
import { departureSchema } from './playbook.schemas.js';
import { followLeaver, markHistoryPresented, recordDeparture } from './playbook.service.js';
import { formatDate } from '../views/helpers/dates.js';

function contactIdOf(req: Request): number {
  const id = parseIdParam(req.params.id);
  if (id === null) throw new NotFound('That contact');
  return id;
}

export function playbookPages({ db, clock }: AppContext): Router {
  const router = Router();

  const departurePage = async (req: Request, extra: object) => {
    const contact = await getContactForUser(db, viewerOf(req), contactIdOf(req));
    const colleagues = (await listContactsForAccount(db, contact.account_id)).filter((c) => c.id !== contact.id && c.status !== 'left');
    return {
      view: 'playbook/departure',
      data: {
        title: `Is ${contact.name} leaving, or gone?`,
        contact,
        colleagues,
        // Whom the leaver reports to: the successor is offered the same line.
        leaverManager: colleagues.find((colleague) => colleague.id === contact.reports_to_contact_id),
        notices: departureNotices,
        roles: contactRoles,
        ...extra,
      },
    };
  };

  router.get('/contacts/:id/departure', async (req, res) => {
    const page = await departurePage(req, {});
    const contact = (page.data as { contact: Awaited<ReturnType<typeof getContactForUser>> }).contact;
    res.render(page.view, {
      ...page.data,
      values: {
        // No default: the date decides between "leaving" and "left", so the rep chooses it.
        left_on: contact.status === 'left' ? contact.left_on : contact.leaving_on,
        notice: contact.departure_notice,
        destination: contact.departure_destination,
        replacement_contact_id: contact.replacement_contact_id,
        successor_takes_reporting_line: ['0', '1'],
      },
    });
  });

  router.post('/contacts/:id/departure', async (req, res) => {
    const viewer = viewerOf(req);
    const contact = await getContactForUser(db, viewer, contactIdOf(req));
    await handleForm(
      req,
      res,
      async () => {
        const input = parseInput(departureSchema, req.body);
        const updated = await db.transaction().execute((trx) => recordDeparture(trx, clock, viewer, contact.id, input));
        const when = updated.status === 'left' ? `left on ${formatDate(updated.left_on)}` : `leaving on ${formatDate(updated.leaving_on)}`;
        flash(req, `${updated.name} recorded as ${when}. The recovery playbook is on the account page.`);
        res.redirect(`/accounts/${contact.account_id}#playbook`);
      },
      () => departurePage(req, {}),
    );
  });

  /** "Presented to Ken Ito", from the report prepared for them: ticks "present the account history". */
  router.post('/contacts/:id/history-presented', async (req, res) => {
    const viewer = viewerOf(req);
    const successor = await getContactForUser(db, viewer, contactIdOf(req));
    const ticked = await db.transaction().execute((trx) => markHistoryPresented(trx, clock, viewer, successor.id));
    flash(req, ticked ? `Ticked in the recovery playbook: account history presented to ${successor.name}.` : `No recovery step was waiting for ${successor.name}'s account history.`);
    res.redirect(`/accounts/${successor.account_id}#playbook`);
  });

  router.post('/contacts/:id/follow', async (req, res) => {
    const viewer = viewerOf(req);
    const contactId = contactIdOf(req);
    await handleForm(
      req,
      res,
      async () => {
        const accountId = await db.transaction().execute((trx) => followLeaver(trx, clock, viewer, contactId));
        flash(req, 'A prospect account at their new company is open, with them as its first contact.');
        res.redirect(`/accounts/${accountId}`);
      },
      () => departurePage(req, {}),
    );
  });
  return router;
}

export function playbookApi({ db, clock }: AppContext): Router {
  const router = Router();
  router.post('/contacts/:id/departure', async (req, res) => {
    const viewer = viewerOf(req);
    const contact = await getContactForUser(db, viewer, contactIdOf(req));
    const input = parseInput(departureSchema, req.body);
    const updated = await db.transaction().execute((trx) => recordDeparture(trx, clock, viewer, contact.id, input));
    res.json(contactToJson(updated));
  });
  /** The account history was presented to this successor: ticks that step of their recovery. */
  router.post('/contacts/:id/history-presented', async (req, res) => {
    const viewer = viewerOf(req);
    const successor = await getContactForUser(db, viewer, contactIdOf(req));
    const ticked = await db.transaction().execute((trx) => markHistoryPresented(trx, clock, viewer, successor.id));
    res.json({ contact_id: successor.id, step_ticked: ticked });
  });
  return router;
}
