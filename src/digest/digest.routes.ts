import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { requireRole, viewerOf } from '../http/auth.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import { parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { parseInput } from '../http/validation.js';
import type { CurrentUser } from '../users/users.service.js';
import { type DeliveryOutcome, deliverDigest, findDelivery, listDeliveries } from './digest.delivery.js';
import { digestIssuer, renderDigestEmail } from './digest.email.js';
import { getCompanyBranding } from '../company/company.service.js';
import { digestHelpers } from './digest.helpers.js';
import { digestQuerySchema } from './digest.schemas.js';
import { type DigestRecipient, buildDigest, digestWeek, findDigestRecipient, listDigestRecipients } from './digest.service.js';
import { isoWeekOf, sendMomentOf } from './iso-week.js';

/** The manager asked for: the viewer themselves by default; an admin names one (the page picks the first). */
async function managerFor(ctx: AppContext, viewer: CurrentUser, value: unknown, fallback?: () => Promise<number | undefined>): Promise<DigestRecipient> {
  const managerId = value === undefined || value === '' ? (viewer.role === 'manager' ? viewer.id : await fallback?.()) : parseIdParam(String(value));
  if (managerId === undefined) throw new ValidationFailed({ manager_id: 'Choose a manager' });
  if (managerId === null) throw new NotFound('That manager');
  return findDigestRecipient(ctx.db, viewer, managerId);
}

const outcomeMessages: Record<string, string> = {
  already_sent: 'This week’s digest was already sent.',
  in_progress: 'This week’s digest is being sent right now.',
};

function describeOutcome(outcome: DeliveryOutcome, email: string): string {
  if (outcome.status === 'sent') return `Digest sent to ${email}.`;
  if (outcome.status === 'failed') return `Sending failed: ${outcome.error}. It will be retried.`;
  return outcomeMessages[outcome.reason] ?? 'The digest is waiting to be retried.';
}

export function digestPages(ctx: AppContext): Router {
  const { db, clock, config } = ctx;
  const router = Router();
  router.use('/digest', requireRole('manager', 'admin'));

  const previewPage = async (req: Request, source: Record<string, unknown>) => {
    const viewer = viewerOf(req);
    const managers = viewer.role === 'admin' ? await listDigestRecipients(db) : [];
    const manager = await managerFor(ctx, viewer, source.manager_id, async () => managers[0]?.id);
    const week = digestWeek(manager, parseInput(digestQuerySchema, { week: source.week }).week, clock.now());
    const { digest } = await buildDigest(db, manager, { week: week.id, now: clock.now(), baseUrl: config.baseUrl });
    const branding = await getCompanyBranding(db);
    const [email, delivery] = await Promise.all([renderDigestEmail(digest, branding), findDelivery(db, manager.id, week.id)]);
    const isCurrentWeek = week.id === isoWeekOf(clock.now(), manager.time_zone).id;
    return {
      view: 'digest/preview',
      data: {
        title: 'Weekly digest',
        helpers: digestHelpers,
        digest,
        issuer: digestIssuer(branding, branding.logo ? `/company/logo?v=${encodeURIComponent(branding.logo.version)}` : undefined),
        email,
        delivery,
        manager,
        managers,
        sendsAt: sendMomentOf(week, { day: manager.digest_day, hour: manager.digest_hour }).toUTC().toISO(),
        canSend: isCurrentWeek && (!delivery || delivery.status === 'failed'),
        values: { manager_id: manager.id, week: digest.week.id },
      },
    };
  };

  router.get('/digest', async (req, res) => {
    await handleForm(
      req,
      res,
      async () => {
        const page = await previewPage(req, req.query);
        res.render(page.view, page.data);
      },
      // A bad week shows this week's digest with the error beside the week field.
      () => previewPage(req, { manager_id: req.query.manager_id }),
    );
  });

  /** "Send now": this week's digest, still at most once a week; a failed one is retried at once. */
  router.post('/digest/send', async (req, res) => {
    const viewer = viewerOf(req);
    await handleForm(
      req,
      res,
      async () => {
        const manager = await managerFor(ctx, viewer, req.body?.manager_id);
        const { week } = parseInput(digestQuerySchema, { week: req.body?.week });
        const current = isoWeekOf(clock.now(), manager.time_zone).id;
        if (week !== current) throw new ValidationFailed({ week: `Only this week’s digest (${current}) can be sent now` });
        const outcome = await deliverDigest(ctx, manager, current, 'now');
        flash(req, describeOutcome(outcome, manager.email));
        res.redirect(`/digest?${new URLSearchParams({ manager_id: String(manager.id), week: current })}`);
      },
      () => previewPage(req, { manager_id: req.body?.manager_id }),
    );
  });

  router.get('/admin/digests', requireRole('admin'), async (req, res) => {
    const paging = parsePaging(req.query, 50);
    const { problems, rows, total } = await listDeliveries(db, paging);
    res.render('digest/admin', { title: 'Digest deliveries', problems, rows, paging: pageInfo(paging, total) });
  });
  return router;
}

export function digestApi(ctx: AppContext): Router {
  const { db, clock, config } = ctx;
  const router = Router();

  /** The digest as data: ?manager_id= (managers: only themselves) and ?week= (default: the manager's current week). */
  router.get('/digest/preview', requireRole('manager', 'admin'), async (req, res) => {
    const viewer = viewerOf(req);
    const manager = await managerFor(ctx, viewer, req.query.manager_id);
    const { week } = parseInput(digestQuerySchema, req.query);
    const { digest } = await buildDigest(db, manager, { week, now: clock.now(), baseUrl: config.baseUrl });
    const delivery = await findDelivery(db, manager.id, digest.week.id);
    res.json({ ...digest, delivery: delivery ?? null });
  });
  return router;
}
