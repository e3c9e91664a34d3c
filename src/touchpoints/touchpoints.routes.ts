import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { accountIdOf } from '../accounts/accounts.routes.js';
import { getAccountForUser } from '../accounts/accounts.service.js';
import { listContactsForAccount } from '../contacts/contacts.service.js';
import { contactRoles } from '../contacts/contacts.table.js';
import { viewerOf } from '../http/auth.js';
import { flash, handleForm } from '../http/forms.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { parseInput } from '../http/validation.js';
import { localDateTimeInput } from '../views/helpers/dates.js';
import { label } from '../views/helpers/labels.js';
import { touchpointSchema } from './touchpoints.schemas.js';
import { listTouchpoints, logTouchpoint, touchpointToJson } from './touchpoints.service.js';
import { touchpointKinds, touchpointLocations } from './touchpoints.table.js';

/** How many blank "someone new" rows the form offers; blank rows are ignored on save. */
const newContactRows = 2;

const isBlankRow = (row: unknown) =>
  !row || typeof row !== 'object' || Object.values(row as Record<string, unknown>).every((value) => value === '' || value === undefined);

/** Form posts: checkbox lists may be a lone string; unused "someone new" rows are dropped. */
function formBody(body: Record<string, unknown>) {
  const rows = Array.isArray(body.new_contacts) ? body.new_contacts : Object.values((body.new_contacts as object) ?? {});
  return { ...body, new_contacts: rows.filter((row) => !isBlankRow(row)), contact_updates: [] };
}

export function touchpointsPages({ db, clock }: AppContext): Router {
  const router = Router();

  const formPage = async (req: Request, accountId: number, extra: object) => {
    const account = await getAccountForUser(db, viewerOf(req), accountId);
    const contacts = (await listContactsForAccount(db, accountId)).filter((contact) => contact.status !== 'left');
    return {
      view: 'touchpoints/form',
      data: {
        title: `Log a touchpoint · ${account.name}`,
        account,
        contacts,
        kinds: touchpointKinds,
        locations: touchpointLocations,
        roles: contactRoles,
        newContactRows: Array.from({ length: newContactRows }, (_, index) => index),
        ...extra,
      },
    };
  };

  router.get('/accounts/:id/touchpoints/new', async (req, res) => {
    const viewer = viewerOf(req);
    const preselected = typeof req.query.contact === 'string' ? [req.query.contact] : [];
    const page = await formPage(req, accountIdOf(req), {
      values: {
        kind: 'meeting',
        location: 'customer_office',
        occurred_at: localDateTimeInput(clock.now().toISOString(), viewer.time_zone),
        contact_ids: preselected,
      },
    });
    res.render(page.view, page.data);
  });

  router.post('/accounts/:id/touchpoints', async (req, res) => {
    const viewer = viewerOf(req);
    const accountId = accountIdOf(req);
    await getAccountForUser(db, viewer, accountId);
    await handleForm(
      req,
      res,
      async () => {
        const input = parseInput(touchpointSchema(viewer.time_zone, clock.now()), formBody(req.body));
        const { touchpoint, created } = await db
          .transaction()
          .execute((trx) => logTouchpoint(trx, clock, viewer, accountId, input));
        const people = touchpoint.contacts.map((contact) => contact.name).join(', ');
        const added = created.map((contact) => `added ${contact.name}${contact.roles[0] ? ` (${label(contact.roles[0]).toLowerCase()})` : ''}`);
        flash(req, [`Logged ${label(touchpoint.kind).toLowerCase()}${people ? ` with ${people}` : ''}`, ...added].join(' · '));
        res.redirect(`/accounts/${accountId}`);
      },
      () => formPage(req, accountId, {}),
    );
  });
  return router;
}

export function touchpointsApi({ db, clock }: AppContext): Router {
  const router = Router();

  router.get('/accounts/:id/touchpoints', async (req, res) => {
    const account = await getAccountForUser(db, viewerOf(req), accountIdOf(req));
    const paging = parsePaging(req.query, 50);
    const { rows, total } = await listTouchpoints(db, account.id, paging);
    const { page, per_page, pages } = pageInfo(paging, total);
    res.json({ data: rows.map(touchpointToJson), page, per_page, total, pages });
  });

  router.post('/accounts/:id/touchpoints', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const input = parseInput(touchpointSchema(viewer.time_zone, clock.now()), req.body);
    const { touchpoint } = await db.transaction().execute((trx) => logTouchpoint(trx, clock, viewer, account.id, input));
    res.status(201).json(touchpointToJson(touchpoint));
  });
  return router;
}
