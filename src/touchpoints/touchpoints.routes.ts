import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { accountIdOf } from '../accounts/accounts.routes.js';
import { getAccountForUser } from '../accounts/accounts.service.js';
import { listContactsForAccount } from '../contacts/contacts.service.js';
import { contactRoles, departureNotices } from '../contacts/contacts.table.js';
import { viewerOf } from '../http/auth.js';
import { flash, handleForm } from '../http/forms.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { parseInput } from '../http/validation.js';
import { localDateTimeInput } from '../views/helpers/dates.js';
import { label } from '../views/helpers/labels.js';
import { defaultNextStepDueOn, touchpointSchema } from './touchpoints.schemas.js';
import { listTouchpoints, logTouchpoint, touchpointToJson } from './touchpoints.service.js';
import { touchpointKinds, touchpointLocations } from './touchpoints.table.js';
import { errorsBesideRows, participantRows, translateTouchpointForm } from './touchpoint-form.js';
import { openGapPrompts } from './gap-prompts.js';
import { assessOneAccount, riskClockFor } from '../risk/risk.service.js';
import type { AccountRisk } from '../risk/risk.rules.js';
import { ValidationFailed } from '../http/errors.js';
import { lockAccounts } from '../db/row-locks.js';

/** How many blank "someone new" rows the form offers; blank rows are ignored on save. */
const newContactRows = 2;

export function touchpointsPages({ db, clock }: AppContext): Router {
  const router = Router();

  const formPage = async (req: Request, accountId: number, posted?: { values: unknown; errors: Record<string, string> }) => {
    const viewer = viewerOf(req);
    const account = await getAccountForUser(db, viewer, accountId);
    const [contacts, risk] = await Promise.all([
      listContactsForAccount(db, accountId),
      assessOneAccount(db, accountId, riskClockFor(clock, viewer)),
    ]);
    const present = contacts.filter((contact) => contact.status !== 'left');
    return {
      view: 'touchpoints/form',
      data: {
        title: `Log a touchpoint · ${account.name}`,
        account,
        participants: participantRows(present, posted?.values as Record<string, unknown> | undefined, posted?.errors),
        contacts: present,
        gapPrompts: openGapPrompts(risk, contacts),
        kinds: touchpointKinds,
        locations: touchpointLocations,
        roles: contactRoles,
        notices: departureNotices,
        newContactRows: Array.from({ length: newContactRows }, (_, index) => index),
        nextStepDefaultDueOn: defaultNextStepDueOn(viewer.time_zone, clock.now()),
      },
    };
  };

  router.get('/accounts/:id/touchpoints/new', async (req, res) => {
    const viewer = viewerOf(req);
    const preselected = typeof req.query.contact === 'string' ? [req.query.contact] : [];
    const page = await formPage(req, accountIdOf(req));
    res.render(page.view, {
      ...page.data,
      values: {
        kind: 'meeting',
        location: 'customer_office',
        occurred_at: localDateTimeInput(clock.now().toISOString(), viewer.time_zone),
        next_step_due_on: page.data.nextStepDefaultDueOn,
        contact_ids: preselected,
      },
    });
  });

  router.post('/accounts/:id/touchpoints', async (req, res) => {
    const viewer = viewerOf(req);
    const accountId = accountIdOf(req);
    await getAccountForUser(db, viewer, accountId);
    const contacts = await listContactsForAccount(db, accountId);
    await handleForm(
      req,
      res,
      async () => {
        const form = translateTouchpointForm(req.body, contacts);
        const riskClock = riskClockFor(clock, viewer);
        const outcome = await db.transaction().execute(async (trx) => {
          try {
            const input = parseInput(touchpointSchema(viewer.time_zone, clock.now()), form.body);
            // The account first (row-locks.ts): assessing risk writes the account's remembered risk.
            await lockAccounts(trx, [accountId]);
            const before = await assessOneAccount(trx, accountId, riskClock);
            const logged = await logTouchpoint(trx, clock, viewer, accountId, input);
            return { ...logged, before, after: await assessOneAccount(trx, accountId, riskClock) };
          } catch (error) {
            throw error instanceof ValidationFailed ? errorsBesideRows(error, form.rowKeys) : error;
          }
        });
        flash(req, describeOutcome(outcome));
        res.redirect(`/accounts/${accountId}`);
      },
      async (posted) => formPage(req, accountId, posted),
    );
  });
  return router;
}

/** "Logged coffee with Maria Lopez · added Ken Ito (boss) · risk 62 → 38". */
function describeOutcome({ touchpoint, created, updated, before, after }: Awaited<ReturnType<typeof logTouchpoint>> & { before: AccountRisk; after: AccountRisk }) {
  const people = touchpoint.contacts.map((contact) => contact.name).join(', ');
  return [
    `Logged ${label(touchpoint.kind).toLowerCase()}${people ? ` with ${people}` : ''}`,
    ...created.map((contact) => `added ${contact.name}${contact.roles[0] ? ` (${label(contact.roles[0]).toLowerCase()})` : ''}`),
    ...updated.map((contact) => `updated ${contact.name}`),
    before.score === after.score ? `risk ${after.score}` : `risk ${before.score} → ${after.score}`,
  ].join(' · ');
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
