import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { visibleOwners } from '../accounts/account-access.js';
import { requireRole, viewerOf } from '../http/auth.js';
import { parseIdParam } from '../http/fields.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { riskLevels, riskRules } from '../risk/risk.rules.js';
import { riskClockFor } from '../risk/risk.service.js';
import { dashboardFiltersSchema, riskDashboard } from './dashboard.service.js';
import { promisesDue } from '../commitments/commitments.service.js';
import { upcomingKeyDates } from '../contacts/key-dates.service.js';

const filterQuery = (values: Record<string, unknown>) =>
  new URLSearchParams(Object.entries(values).filter(([, value]) => value !== undefined && value !== '') as [string, string][]).toString();

export function dashboardPages({ db, clock }: AppContext): Router {
  const router = Router();
  const filterChoices = { levels: riskLevels, flagChoices: riskRules.map((rule) => ({ code: rule.code, label: rule.label })) };

  /** "My accounts": the viewer's own accounts, riskiest first. */
  router.get('/accounts', async (req, res) => {
    const viewer = viewerOf(req);
    const filters = dashboardFiltersSchema.parse(req.query);
    const paging = parsePaging(req.query, 50);
    const [dashboard, promises, keyDates] = await Promise.all([
      riskDashboard(db, { visibleTo: viewer, ownerId: viewer.id }, filters, paging, riskClockFor(clock, viewer), { withMeetingsDueSoon: true }),
      promisesDue(db, clock, viewer),
      upcomingKeyDates(db, clock, viewer),
    ]);
    res.render('dashboard/my-accounts', {
      title: 'My accounts',
      ...dashboard,
      promises,
      keyDates,
      ...filterChoices,
      filters,
      filterQuery: filterQuery(filters),
      paging: pageInfo(paging, dashboard.total),
    });
  });

  /** The team view: every account of the manager's reps and their own (all accounts for an admin). */
  router.get('/team', requireRole('manager', 'admin'), async (req: Request, res) => {
    const viewer = viewerOf(req);
    const filters = dashboardFiltersSchema.parse(req.query);
    const ownerId = parseIdParam(typeof req.query.owner === 'string' ? req.query.owner : undefined) ?? undefined;
    const paging = parsePaging(req.query, 50);
    const [dashboard, owners] = await Promise.all([
      riskDashboard(db, { visibleTo: viewer, ownerId }, filters, paging, riskClockFor(clock, viewer)),
      visibleOwners(db, viewer),
    ]);
    res.render('dashboard/team', {
      title: 'Team accounts',
      ...dashboard,
      ...filterChoices,
      owners,
      filters: { ...filters, owner: ownerId },
      filterQuery: filterQuery({ ...filters, owner: ownerId }),
      paging: pageInfo(paging, dashboard.total),
    });
  });
  return router;
}
