import { type Request, Router } from 'express';
import { DateTime } from 'luxon';
import type { AppContext } from '../app-context.js';
import { contactToJson, getContactForUser, listContactsForAccount } from '../contacts/contacts.service.js';
import { contactRoles, departureNotices } from '../contacts/contacts.table.js';
import { viewerOf } from '../http/auth.js';
import { NotFound } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { parseInput } from '../http/validation.js';
import { departureSchema } from './playbook.schemas.js';
import { followLeaver, recordDeparture } from './playbook.service.js';

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
        title: `${contact.name} is leaving`,
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
    const viewer = viewerOf(req);
    const page = await departurePage(req, {});
    const contact = (page.data as { contact: Awaited<ReturnType<typeof getContactForUser>> }).contact;
    res.render(page.view, {
      ...page.data,
      values: {
        left_on: contact.left_on ?? contact.leaving_on ?? DateTime.fromJSDate(clock.now()).setZone(viewer.time_zone).toISODate(),
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
        flash(req, `${updated.name} marked as ${updated.status}. The recovery playbook is on the account page.`);
        res.redirect(`/accounts/${contact.account_id}#playbook`);
      },
      () => departurePage(req, {}),
    );
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
  return router;
}
