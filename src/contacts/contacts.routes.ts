import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { accountIdOf } from '../accounts/accounts.routes.js';
import { getAccountForUser } from '../accounts/accounts.service.js';
import { listAuditEvents } from '../audit/audit.service.js';
import { readableChanges } from '../audit/readable-changes.js';
import { EditConflict } from '../audit/concurrent-edits.js';
import { viewerOf } from '../http/auth.js';
import { openSignalsForContact } from '../mail-in/departure-signals.service.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { parseInput } from '../http/validation.js';
import { label } from '../views/helpers/labels.js';
import { type ContactPatch, contactEditSchema, newContactRequestSchema } from './contacts.schemas.js';
import { addContact } from './duplicates.js';
import { startLeavingPlaybook } from '../playbook/playbook.service.js';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import type { CurrentUser } from '../users/users.service.js';
import {
  contactToJson,
  getContactForUser,
  listContactsForAccount,
  setContactArchived,
  updateContact,
} from './contacts.service.js';
import { contactRoles, preferredChannels } from './contacts.table.js';
import { findFollowedAccount } from './report-card.service.js';
import { reportingOffers, reportsSchema } from './reporting-lines.js';

/** An edit from the form or the API; a key contact newly marked leaving starts the "leaving" playbook. */
async function saveContactEdit(db: DbOrTx, clock: Clock, viewer: CurrentUser, contactId: number, patch: ContactPatch, baseVersion?: number) {
  const updated = await updateContact(db, clock, viewer, contactId, patch, { baseVersion });
  if (patch.status === 'leaving') await startLeavingPlaybook(db, clock, viewer, contactId);
  return updated;
}

function contactIdOf(req: Request): number {
  const id = parseIdParam(req.params.id);
  if (id === null) throw new NotFound('That contact');
  return id;
}

/** The edit form sends every field; unticked role boxes send nothing, which means "no roles". */
const formBody = (body: Record<string, unknown>) => ({ roles: [], ...body });

export function contactsPages({ db, clock }: AppContext): Router {
  const router = Router();

  const formPage = async (accountId: number, req: Request, extra: object) => {
    const account = await getAccountForUser(db, viewerOf(req), accountId);
    const colleagues = await listContactsForAccount(db, accountId);
    return {
      view: 'contacts/form',
      data: { account, colleagues, roles: contactRoles, channels: preferredChannels, ...extra },
    };
  };

  router.get('/accounts/:id/contacts/new', async (req, res) => {
    const page = await formPage(accountIdOf(req), req, { title: 'New contact', values: { roles: [] } });
    res.render(page.view, page.data);
  });

  router.post('/accounts/:id/contacts', async (req, res) => {
    const viewer = viewerOf(req);
    const accountId = accountIdOf(req);
    await getAccountForUser(db, viewer, accountId);
    await handleForm(
      req,
      res,
      async () => {
        const input = parseInput(newContactRequestSchema, req.body);
        const contact = await db.transaction().execute((trx) => addContact(trx, clock, viewer, accountId, input));
        flash(req, `${contact.name} added to the buying chain.`);
        // A new boss: their page offers to link the decision-makers to them (pre-ticked).
        const offers = contact.roles.includes('boss') ? reportingOffers(contact, await listContactsForAccount(db, accountId)) : [];
        res.redirect(offers.length > 0 ? `/contacts/${contact.id}#reporting-lines` : `/accounts/${accountId}`);
      },
      () => formPage(accountId, req, { title: 'New contact' }),
    );
  });

  router.get('/contacts/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const contact = await getContactForUser(db, viewer, contactIdOf(req));
    const [account, audit, colleagues, followedTo, departureSignals] = await Promise.all([
      getAccountForUser(db, viewer, contact.account_id),
      listAuditEvents(db, 'contact', contact.id),
      listContactsForAccount(db, contact.account_id, { includeArchived: true }),
      findFollowedAccount(db, viewer, contact.id),
      openSignalsForContact(db, contact.account_id, contact.id),
    ]);
    const nameOf = (id: number | null) => colleagues.find((colleague) => colleague.id === id)?.name;
    res.render('contacts/show', {
      title: contact.name,
      contact,
      account,
      reportsTo: nameOf(contact.reports_to_contact_id),
      replacement: nameOf(contact.replacement_contact_id),
      followedTo,
      departureSignals,
      audit: audit.map((event) => ({ ...event, changes: readableChanges(event.changes, nameOf) })),
      reportingOffers: reportingOffers(contact, colleagues),
    });
  });

  /** "Maria Lopez reports to Paul Whitman": the ticked decision-makers get the boss as their reports-to line. */
  router.post('/contacts/:id/reports', async (req, res) => {
    const viewer = viewerOf(req);
    const boss = await getContactForUser(db, viewer, contactIdOf(req));
    const { report_ids } = parseInput(reportsSchema, req.body);
    await db.transaction().execute(async (trx) => {
      for (const reportId of report_ids) {
        const report = await getContactForUser(trx, viewer, reportId).catch(() => undefined);
        if (!report || report.account_id !== boss.account_id) throw new ValidationFailed({ report_ids: 'Choose people at this account' });
        await updateContact(trx, clock, viewer, report.id, { reports_to_contact_id: boss.id });
      }
    });
    flash(req, report_ids.length > 0 ? `The org chart now shows who reports to ${boss.name}.` : 'Nothing changed.');
    res.redirect(`/accounts/${boss.account_id}`);
  });

  router.get('/contacts/:id/edit', async (req, res) => {
    const contact = await getContactForUser(db, viewerOf(req), contactIdOf(req));
    const page = await formPage(contact.account_id, req, { title: `Edit ${contact.name}`, contact, values: contact });
    res.render(page.view, page.data);
  });

  router.post('/contacts/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const contact = await getContactForUser(db, viewer, contactIdOf(req));
    await handleForm(
      req,
      res,
      async () => {
        const { version, ...patch } = parseInput(contactEditSchema, formBody(req.body));
        try {
          const updated = await db.transaction().execute((trx) => saveContactEdit(trx, clock, viewer, contact.id, patch, version));
          flash(req, `${updated.name} saved.`);
          res.redirect(`/contacts/${contact.id}`);
        } catch (error) {
          if (!(error instanceof EditConflict)) throw error;
          // The form again at the new version: what others saved, with what this user changed on top,
          // so saving again keeps their other changes and applies this user's values.
          const mine = Object.fromEntries(error.edited.map((field) => [field, (patch as Record<string, unknown>)[field]]));
          const page = await formPage(contact.account_id, req, {
            title: `Edit ${contact.name}`,
            contact: error.current,
            values: { ...error.current, ...mine },
            errors: error.fields,
            formError: error.message,
            conflict: true,
          });
          res.status(409).render(page.view, page.data);
        }
      },
      () => formPage(contact.account_id, req, { title: `Edit ${contact.name}`, contact }),
    );
  });

  router.post('/contacts/:id/archive', async (req, res) => {
    const viewer = viewerOf(req);
    const archived = req.body?.archived !== '0';
    const contact = await db.transaction().execute((trx) => setContactArchived(trx, clock, viewer, contactIdOf(req), archived));
    flash(req, archived ? `${contact.name} archived: hidden from the buying chain.` : `${contact.name} restored.`);
    res.redirect(`/contacts/${contact.id}`);
  });
  return router;
}

export function contactsApi({ db, clock }: AppContext): Router {
  const router = Router();

  router.get('/accounts/:id/contacts', async (req, res) => {
    const account = await getAccountForUser(db, viewerOf(req), accountIdOf(req));
    const contacts = await listContactsForAccount(db, account.id, { includeArchived: req.query.archived === 'true' });
    res.json({ data: contacts.map(contactToJson) });
  });

  router.post('/accounts/:id/contacts', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const input = parseInput(newContactRequestSchema, req.body);
    const contact = await db.transaction().execute((trx) => addContact(trx, clock, viewer, account.id, input));
    res.status(201).json(contactToJson(contact));
  });

  router.get('/contacts/:id', async (req, res) => {
    res.json(contactToJson(await getContactForUser(db, viewerOf(req), contactIdOf(req))));
  });

  router.patch('/contacts/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const contact = await getContactForUser(db, viewer, contactIdOf(req));
    const { version, ...patch } = parseInput(contactEditSchema, req.body);
    const updated = await db.transaction().execute((trx) => saveContactEdit(trx, clock, viewer, contact.id, patch, version));
    res.json(contactToJson(updated));
  });
  return router;
}
