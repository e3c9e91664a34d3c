import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { accountIdOf } from '../accounts/accounts.routes.js';
import { getAccountForUser } from '../accounts/accounts.service.js';
import { viewerOf } from '../http/auth.js';
import { parseIdParam } from '../http/fields.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { dashboardFiltersSchema, riskDashboard } from '../dashboard/dashboard.service.js';
import { assessOneAccount, riskClockFor, riskToJson } from './risk.service.js';

export function riskApi({ db, clock }: AppContext): Router {
  const router = Router();

  router.get('/accounts/:id/risk', async (req, res) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountIdOf(req));
    res.json(riskToJson(await assessOneAccount(db, account.id, riskClockFor(clock, viewer))));
  });

  /** Every account the caller may see, riskiest first; ?level=, ?flag=, ?owner_id= filter. */
  router.get('/risk', async (req, res) => {
    const viewer = viewerOf(req);
    const ownerId = parseIdParam(typeof req.query.owner_id === 'string' ? req.query.owner_id : undefined) ?? undefined;
    const paging = parsePaging(req.query, 200);
    const { rows, total } = await riskDashboard(
      db,
      { visibleTo: viewer, ownerId },
      dashboardFiltersSchema.parse(req.query),
      paging,
      riskClockFor(clock, viewer),
    );
    const { page, per_page, pages } = pageInfo(paging, total);
    res.json({
      data: rows.map((row) => ({
        account_id: row.id,
        account_name: row.name,
        owner_id: row.owner_id,
        score: row.score,
        level: row.level,
        flags: row.flagCodes,
      })),
      page,
      per_page,
      total,
      pages,
    });
  });
  return router;
}
