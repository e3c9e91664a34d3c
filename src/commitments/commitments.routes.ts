import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { accountIdOf } from '../accounts/accounts.routes.js';
import { getAccountForUser } from '../accounts/accounts.service.js';
import { listContactsForAccount } from '../contacts/contacts.service.js';
import { viewerOf } from '../http/auth.js';
import { NotFound } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { parseInput } from '../http/validation.js';
import { commitmentPatchSchema, newCommitmentSchema } from './commitments.schemas.js';
import {
  type CommitmentStatus,
  commitmentToJson,
  createCommitment,
  getCommitmentForUser,
  listCommitmentsForAccount,
  localToday,
  setCommitmentDone,
} from './commitments.service.js';
import { sameSitePath } from '../http/redirects.js';

function commitmentIdOf(req: Request): number {
  const id = parseIdParam(req.params.id);
  if (id === null) throw new NotFound('That commitment');
  return id;
}

const statusOf = (value: unknown): CommitmentStatus | undefined => (value === 'open' || value === 'done' ? value : undefined);


export function commitmentsPages({ db, clock }: AppContext): Router {
  const router = Router();

  const listPage = async (req: Request, extra: object = {}) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const status = statusOf(req.query.show) ?? 'open';
    const paging = parsePaging(req.query, 50);
    const [commitments, contacts] = await Promise.all([
      listCommitmentsForAccount(db, viewer, account.id, { status, paging, today: localToday(clock, viewer).isoDate }),
      listContactsForAccount(db, account.id),
    ]);
    return {
      view: 'commitments/index',
      data: {
        title: `Promises · ${account.name}`,
        account,
        status,
        commitments: commitments.rows,
        contacts: contacts.filter((contact) => contact.status !== 'left'),
        paging: pageInfo(paging, commitments.total),
        query: `show=${status}`,
        returnTo: req.originalUrl,
        ...extra,
      },
    };
  };

  router.get('/accounts/:id/commitments', async (req, res) => {
    const page = await listPage(req);
    res.render(page.view, page.data);
  });

  router.post('/accounts/:id/commitments', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    await handleForm(
      req,
      res,
      async () => {
        const input = parseInput(newCommitmentSchema, req.body);
        await db.transaction().execute((trx) => createCommitment(trx, clock, viewer, account.id, input));
        flash(req, `Promise recorded: ${input.description}.`);
        res.redirect(`/accounts/${account.id}/commitments`);
      },
      () => listPage(req),
    );
  });

  // The one-click "done" (and "reopen") button: a plain form, no JavaScript needed.
  router.post('/commitments/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const { done } = parseInput(commitmentPatchSchema, req.body);
    const commitment = await db.transaction().execute((trx) => setCommitmentDone(trx, clock, viewer, commitmentIdOf(req), done));
    flash(req, done ? `Done: ${commitment.description}.` : `Reopened: ${commitment.description}.`);
    res.redirect(sameSitePath(req.body?.return_to, `/accounts/${commitment.account_id}/commitments`));
  });
  return router;
}

export function commitmentsApi({ db, clock }: AppContext): Router {
  const router = Router();

  router.get('/accounts/:id/commitments', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const paging = parsePaging(req.query, 50);
    const { rows, total } = await listCommitmentsForAccount(db, viewer, account.id, {
      status: statusOf(req.query.status),
      paging,
      today: localToday(clock, viewer).isoDate,
    });
    const { page, per_page, pages } = pageInfo(paging, total);
    res.json({ data: rows.map(commitmentToJson), page, per_page, total, pages });
  });

  router.post('/accounts/:id/commitments', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    const input = parseInput(newCommitmentSchema, req.body);
    const commitment = await db.transaction().execute((trx) => createCommitment(trx, clock, viewer, account.id, input));
    res.status(201).json(commitmentToJson(commitment));
  });

  router.get('/commitments/:id', async (req, res) => {
    res.json(commitmentToJson(await getCommitmentForUser(db, viewerOf(req), commitmentIdOf(req))));
  });

  router.patch('/commitments/:id', async (req, res) => {
    const viewer = viewerOf(req);
    const commitmentId = commitmentIdOf(req);
    await getCommitmentForUser(db, viewer, commitmentId);
    const { done } = parseInput(commitmentPatchSchema, req.body);
    const commitment = await db.transaction().execute((trx) => setCommitmentDone(trx, clock, viewer, commitmentId, done));
    res.json(commitmentToJson(commitment));
  });
  return router;
}
