import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { accountIdOf } from '../accounts/accounts.routes.js';
import { getAccountForUser } from '../accounts/accounts.service.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { listContactsForAccount } from '../contacts/contacts.service.js';
import { viewerOf } from '../http/auth.js';
import { NotFound } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { parseInput } from '../http/validation.js';
import { localDateTimeInput } from '../views/helpers/dates.js';
import { label } from '../views/helpers/labels.js';
import { deleteTouchpoint, editTouchpoint, getTouchpointForUser, listDeletedTouchpoints, restoreTouchpoint } from './touchpoint-edits.service.js';
import { touchpointPatchSchema } from './touchpoints.schemas.js';
import { type Touchpoint, touchpointToJson } from './touchpoints.service.js';
import { restorableDays, touchpointKinds, touchpointLocations } from './touchpoints.table.js';

function touchpointIdOf(req: Request): number {
  const id = parseIdParam(req.params.id);
  if (id === null) throw new NotFound('That touchpoint');
  return id;
}

/** The edit form sends every field; no participant ticked sends nothing, which means "nobody". */
const formBody = (body: Record<string, unknown>) => ({ contact_ids: [], ...body });

const describe = (touchpoint: Pick<Touchpoint, 'kind'>) => label(touchpoint.kind).toLowerCase();

export function touchpointEditPages({ db, clock }: AppContext): Router {
  const router = Router();

  const editPage = async (req: Request, touchpoint: Touchpoint) => {
    const viewer = viewerOf(req);
    const [account, contacts, history] = await Promise.all([
      getAccountForUser(db, viewer, touchpoint.account_id).catch(() => ({ id: touchpoint.account_id, name: 'the account' })),
      listContactsForAccount(db, touchpoint.account_id, { includeArchived: true }),
      listAuditEvents(db, 'touchpoint', touchpoint.id),
    ]);
    // Who can be ticked: everyone still there, and whoever took part even if they have left or been archived since.
    const tookPart = (id: number) => touchpoint.contacts.some((taking) => taking.id === id);
    const participants = contacts.filter((contact) => (contact.status !== 'left' && !contact.archived) || tookPart(contact.id));
    return {
      view: 'touchpoints/edit',
      data: { title: `Edit ${describe(touchpoint)} · ${account.name}`, account, touchpoint, participants, history, kinds: touchpointKinds, locations: touchpointLocations },
    };
  };

  router.get('/touchpoints/:id/edit', async (req, res) => {
    const viewer = viewerOf(req);
    const touchpoint = await getTouchpointForUser(db, viewer, touchpointIdOf(req));
    const page = await editPage(req, touchpoint);
    res.render(page.view, {
      ...page.data,
      values: {
        ...touchpoint,
        occurred_at: localDateTimeInput(touchpoint.occurred_at, viewer.time_zone),
        contact_ids: touchpoint.contacts.map((contact) => String(contact.id)),
      },
    });
  });

  router.post('/touchpoints/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const touchpoint = await getTouchpointForUser(db, viewer, touchpointIdOf(req));
    await handleForm(
      req,
      res,
      async () => {
        const patch = parseInput(touchpointPatchSchema(viewer.time_zone), formBody(req.body));
        const saved = await db.transaction().execute((trx) => editTouchpoint(trx, clock, viewer, touchpoint.id, patch));
        flash(req, `Saved the ${describe(saved)}.`);
        res.redirect(`/accounts/${saved.account_id}`);
      },
      async () => editPage(req, touchpoint),
    );
  });

  router.get('/touchpoints/:id/delete', async (req, res) => {
    const touchpoint = await getTouchpointForUser(db, viewerOf(req), touchpointIdOf(req));
    res.render('touchpoints/delete', { title: `Delete ${describe(touchpoint)}`, touchpoint, restorableDays });
  });

  router.post('/touchpoints/:id/delete', async (req, res) => {
    const viewer = viewerOf(req);
    const deleted = await db.transaction().execute((trx) => deleteTouchpoint(trx, clock, viewer, touchpointIdOf(req)));
    flash(req, `Deleted the ${describe(deleted)}. You can restore it for ${restorableDays} days from "Deleted touchpoints".`);
    res.redirect(`/accounts/${deleted.account_id}`);
  });

  router.post('/touchpoints/:id/restore', async (req, res) => {
    const restored = await db.transaction().execute((trx) => restoreTouchpoint(trx, clock, viewerOf(req), touchpointIdOf(req)));
    flash(req, `Restored the ${describe(restored)}.`);
    res.redirect(`/accounts/${restored.account_id}`);
  });

  router.get('/accounts/:id/touchpoints/deleted', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const deleted = await listDeletedTouchpoints(db, clock, viewer, account.id);
    res.render('touchpoints/deleted', { title: `Deleted touchpoints · ${account.name}`, account, deleted, restorableDays });
  });
  return router;
}

export function touchpointEditsApi({ db, clock }: AppContext): Router {
  const router = Router();

  router.get('/touchpoints/:id', async (req, res) => {
    res.json(touchpointToJson(await getTouchpointForUser(db, viewerOf(req), touchpointIdOf(req))));
  });

  router.patch('/touchpoints/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const touchpoint = await getTouchpointForUser(db, viewer, touchpointIdOf(req));
    const patch = parseInput(touchpointPatchSchema(viewer.time_zone), req.body);
    res.json(touchpointToJson(await db.transaction().execute((trx) => editTouchpoint(trx, clock, viewer, touchpoint.id, patch))));
  });

  router.delete('/touchpoints/:id', async (req, res) => {
    await db.transaction().execute((trx) => deleteTouchpoint(trx, clock, viewerOf(req), touchpointIdOf(req)));
    res.status(204).end();
  });

  router.post('/touchpoints/:id/restore', async (req, res) => {
    res.json(touchpointToJson(await db.transaction().execute((trx) => restoreTouchpoint(trx, clock, viewerOf(req), touchpointIdOf(req)))));
  });

  router.get('/accounts/:id/touchpoints/deleted', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const deleted = await listDeletedTouchpoints(db, clock, viewer, account.id);
    res.json({
      data: deleted.map(({ touchpoint, deleted_at, deleted_by }) => ({
        id: touchpoint.id,
        kind: touchpoint.kind,
        occurred_at: touchpoint.occurred_at,
        summary: touchpoint.summary,
        deleted_at,
        deleted_by,
        restorable_until: new Date(new Date(deleted_at).getTime() + restorableDays * 86_400_000).toISOString(),
      })),
    });
  });
  return router;
}
