import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { accountIdOf } from '../accounts/accounts.routes.js';
import { getAccountForUser } from '../accounts/accounts.service.js';
import { localToday } from '../commitments/commitments.service.js';
import { listContactsForAccount } from '../contacts/contacts.service.js';
import { requireRole, viewerOf } from '../http/auth.js';
import { NotFound } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { parseInput } from '../http/validation.js';
import { categoryChangeSchema, complaintPatchSchema, newCategorySchema, newComplaintSchema } from './complaints.schemas.js';
import {
  addCategory,
  complaintInsights,
  complaintToJson,
  createComplaint,
  followUpAfterDays,
  getComplaintForUser,
  listCategories,
  listComplaintsForAccount,
  setCategoryActive,
  updateComplaint,
} from './complaints.service.js';

function complaintIdOf(req: Request): number {
  const id = parseIdParam(req.params.id);
  if (id === null) throw new NotFound('That complaint');
  return id;
}

const stageMessages = {
  raised: 'Complaint saved.',
  acknowledged: 'Acknowledged. Next: fix it, fast.',
  resolved: 'Resolved. Follow up to check the customer is satisfied.',
  verified: 'Verified with the customer. Complaint closed.',
} as const;

export function complaintsPages({ db, clock }: AppContext): Router {
  const router = Router();

  const listPage = async (req: Request) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const paging = parsePaging(req.query, 20);
    const [complaints, contacts, categories] = await Promise.all([
      listComplaintsForAccount(db, clock, viewer, account.id, paging),
      listContactsForAccount(db, account.id),
      listCategories(db),
    ]);
    return {
      view: 'complaints/index',
      data: {
        title: `Complaints · ${account.name}`,
        account,
        complaints: complaints.rows,
        paging: pageInfo(paging, complaints.total),
        contacts: contacts.filter((contact) => contact.status !== 'left'),
        categories,
      },
    };
  };

  router.get('/accounts/:id/complaints', async (req, res) => {
    const page = await listPage(req);
    res.render(page.view, { ...page.data, values: { raised_on: localToday(clock, viewerOf(req)).isoDate } });
  });

  router.post('/accounts/:id/complaints', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    await handleForm(
      req,
      res,
      async () => {
        const input = parseInput(newComplaintSchema, req.body);
        const complaint = await db.transaction().execute((trx) => createComplaint(trx, clock, viewer, account.id, input));
        flash(req, 'Complaint logged. First step: hear them out and agree there is a problem.');
        res.redirect(`/complaints/${complaint.id}`);
      },
      () => listPage(req),
    );
  });

  router.get('/complaints/insights', requireRole('manager', 'admin'), async (req, res) => {
    const insights = await complaintInsights(db, clock, viewerOf(req));
    res.render('complaints/insights', { title: 'What complaints teach us', insights });
  });

  const categoriesPage = async () => ({
    view: 'complaints/categories',
    data: { title: 'Complaint categories', categories: await listCategories(db, { includeRetired: true }) },
  });

  router.get('/complaints/categories', requireRole('admin'), async (_req, res) => {
    const page = await categoriesPage();
    res.render(page.view, page.data);
  });

  router.post('/complaints/categories', requireRole('admin'), async (req, res) => {
    await handleForm(
      req,
      res,
      async () => {
        const { name } = parseInput(newCategorySchema, req.body);
        await db.transaction().execute((trx) => addCategory(trx, name));
        flash(req, `Category “${name}” added.`);
        res.redirect('/complaints/categories');
      },
      categoriesPage,
    );
  });

  router.post('/complaints/categories/:id', requireRole('admin'), async (req, res) => {
    const categoryId = parseIdParam(req.params.id);
    if (categoryId === null) throw new NotFound('That category');
    const { active } = parseInput(categoryChangeSchema, req.body);
    await setCategoryActive(db, categoryId, active === '1');
    flash(req, active === '1' ? 'Category restored.' : 'Category retired: old complaints keep it, new ones cannot use it.');
    res.redirect('/complaints/categories');
  });

  const complaintPage = async (req: Request) => {
    const viewer = viewerOf(req);
    const complaint = await getComplaintForUser(db, clock, viewer, complaintIdOf(req));
    return {
      view: 'complaints/show',
      data: { title: `Complaint · ${complaint.account_name}`, complaint, today: localToday(clock, viewer).isoDate, followUpAfterDays },
    };
  };

  router.get('/complaints/:id', async (req, res) => {
    const page = await complaintPage(req);
    res.render(page.view, page.data);
  });

  // Every step form posts here with its own fields; PATCH semantics, so a step leaves the others alone.
  router.post('/complaints/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const complaintId = complaintIdOf(req);
    await getComplaintForUser(db, clock, viewer, complaintId);
    await handleForm(
      req,
      res,
      async () => {
        const patch = parseInput(complaintPatchSchema, req.body);
        const updated = await db.transaction().execute((trx) => updateComplaint(trx, clock, viewer, complaintId, patch));
        flash(req, Object.keys(req.body).every((key) => key === '_csrf' || key === 'internal_notes') ? 'Internal notes saved.' : stageMessages[updated.stage]);
        res.redirect(`/complaints/${complaintId}`);
      },
      () => complaintPage(req),
    );
  });
  return router;
}

export function complaintsApi({ db, clock }: AppContext): Router {
  const router = Router();

  router.get('/accounts/:id/complaints', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const paging = parsePaging(req.query, 50);
    const { rows, total } = await listComplaintsForAccount(db, clock, viewer, account.id, paging);
    const { page, per_page, pages } = pageInfo(paging, total);
    res.json({ data: rows.map(complaintToJson), page, per_page, total, pages });
  });

  router.post('/accounts/:id/complaints', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const input = parseInput(newComplaintSchema, req.body);
    const complaint = await db.transaction().execute((trx) => createComplaint(trx, clock, viewer, account.id, input));
    res.status(201).json(complaintToJson(complaint));
  });

  router.get('/complaints/:id', async (req, res) => {
    res.json(complaintToJson(await getComplaintForUser(db, clock, viewerOf(req), complaintIdOf(req))));
  });

  router.patch('/complaints/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const complaintId = complaintIdOf(req);
    await getComplaintForUser(db, clock, viewer, complaintId);
    const patch = parseInput(complaintPatchSchema, req.body);
    const complaint = await db.transaction().execute((trx) => updateComplaint(trx, clock, viewer, complaintId, patch));
    res.json(complaintToJson(complaint));
  });
  return router;
}
