import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { viewerOf } from '../http/auth.js';
import { NotFound } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { parseInput } from '../http/validation.js';
import { listContactsForAccount } from '../contacts/contacts.service.js';
import { buildOrgChartSvg } from '../contacts/org-chart.js';
import { listTouchpoints } from '../touchpoints/touchpoints.service.js';
import { listPlaybooks } from '../playbook/playbook.service.js';
import { mailFindingsForAccount } from '../mail-in/mail-findings.service.js';
import { assessOneAccount, riskClockFor } from '../risk/risk.service.js';
import { visibleOwners } from './account-access.js';
import { accountPatchSchema, newAccountSchema } from './accounts.schemas.js';
import {
  accountToJson,
  createAccount,
  getAccountForUser,
  listAccountsForUser,
  updateAccount,
} from './accounts.service.js';
import { accountStatuses } from './accounts.table.js';

export function accountIdOf(req: Request): number {
  const id = parseIdParam(req.params.id);
  if (id === null) throw new NotFound('That account');
  return id;
}

export function accountsPages({ db, clock }: AppContext): Router {
  const router = Router();

  const formPage = async (req: Request, extra: object) => ({
    view: 'accounts/form',
    data: { statuses: accountStatuses, owners: await visibleOwners(db, viewerOf(req)), ...extra },
  });

  router.get('/accounts/new', async (req, res) => {
    const page = await formPage(req, { title: 'New account', values: { status: 'prospect', meeting_cadence_days: 30, owner_id: viewerOf(req).id } });
    res.render(page.view, page.data);
  });

  router.post('/accounts', async (req, res) => {
    const viewer = viewerOf(req);
    await handleForm(
      req,
      res,
      async () => {
        const input = parseInput(newAccountSchema, req.body);
        const account = await db.transaction().execute((trx) => createAccount(trx, clock, viewer, input));
        flash(req, `${account.name} added. Now map its buying chain.`);
        res.redirect(`/accounts/${account.id}`);
      },
      () => formPage(req, { title: 'New account' }),
    );
  });

  router.get('/accounts/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const paging = parsePaging(req.query, 20);
    const [contacts, timeline, risk, playbooks, mailFindings] = await Promise.all([
      listContactsForAccount(db, account.id),
      listTouchpoints(db, account.id, paging),
      assessOneAccount(db, account.id, riskClockFor(clock, viewer)),
      listPlaybooks(db, account.id),
      mailFindingsForAccount(db, clock, account.id),
    ]);
    const contactNames = new Map(contacts.map((contact) => [contact.id, contact.name]));
    res.render('accounts/show', {
      title: account.name,
      account,
      contacts: contacts.map((contact) => ({
        ...contact,
        reports_to_name: contact.reports_to_contact_id ? contactNames.get(contact.reports_to_contact_id) : undefined,
      })),
      orgChart: buildOrgChartSvg(contacts, clock.now(), viewer.time_zone),
      orgChartList: buildOrgChartSvg(contacts, clock.now(), viewer.time_zone, 'list'),
      timeline: timeline.rows,
      risk,
      openPlaybooks: playbooks.filter((playbook) => !playbook.complete),
      mailFindings,
      paging: pageInfo(paging, timeline.total),
    });
  });

  router.get('/accounts/:id/edit', async (req, res) => {
    const account = await getAccountForUser(db, viewerOf(req), accountIdOf(req));
    const page = await formPage(req, { title: `Edit ${account.name}`, account, values: account });
    res.render(page.view, page.data);
  });

  router.post('/accounts/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const accountId = accountIdOf(req);
    const account = await getAccountForUser(db, viewer, accountId);
    await handleForm(
      req,
      res,
      async () => {
        const patch = parseInput(accountPatchSchema, { notes: '', ...req.body });
        await db.transaction().execute((trx) => updateAccount(trx, clock, viewer, accountId, patch));
        flash(req, 'Account saved.');
        res.redirect(`/accounts/${accountId}`);
      },
      () => formPage(req, { title: `Edit ${account.name}`, account }),
    );
  });

  router.post('/accounts/:id/archive', async (req, res) => {
    const viewer = viewerOf(req);
    const archived = req.body?.archived !== '0';
    const account = await db.transaction().execute((trx) => updateAccount(trx, clock, viewer, accountIdOf(req), { archived }));
    flash(req, archived ? `${account.name} archived.` : `${account.name} restored.`);
    res.redirect(archived ? '/accounts' : `/accounts/${account.id}`);
  });
  return router;
}

export function accountsApi({ db, clock }: AppContext): Router {
  const router = Router();

  router.get('/accounts', async (req, res) => {
    const paging = parsePaging(req.query, 50);
    const search = typeof req.query.q === 'string' ? req.query.q.trim() : undefined;
    const { rows, total } = await listAccountsForUser(db, viewerOf(req), {
      paging,
      search,
      includeArchived: req.query.archived === 'true',
    });
    const { page, per_page, pages } = pageInfo(paging, total);
    res.json({ data: rows.map(accountToJson), page, per_page, total, pages });
  });

  router.post('/accounts', async (req, res) => {
    const input = parseInput(newAccountSchema, req.body);
    const account = await db.transaction().execute((trx) => createAccount(trx, clock, viewerOf(req), input));
    res.status(201).json(accountToJson(account));
  });

  router.get('/accounts/:id', async (req, res) => {
    res.json(accountToJson(await getAccountForUser(db, viewerOf(req), accountIdOf(req))));
  });

  router.patch('/accounts/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const accountId = accountIdOf(req);
    await getAccountForUser(db, viewer, accountId);
    const patch = parseInput(accountPatchSchema, req.body);
    const account = await db.transaction().execute((trx) => updateAccount(trx, clock, viewer, accountId, patch));
    res.json(accountToJson(account));
  });
  return router;
}
