import { type Request, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { findDelivery } from '../digest/digest.delivery.js';
import { digestWeek } from '../digest/digest.service.js';
import { sendMomentOf } from '../digest/iso-week.js';
import { viewerOf } from '../http/auth.js';
import { handleForm } from '../http/forms.js';
import { parseInput } from '../http/validation.js';
import { renderRepWeekEmail } from './rep-week.email.js';
import { repWeekHelpers } from './rep-week.helpers.js';
import { repWeekQuerySchema } from './rep-week.schemas.js';
import { buildRepWeek, findRepWeekRecipient } from './rep-week.service.js';

// Only ever the viewer's own week: there is no id to ask for someone else's.

export function repWeekPages(ctx: AppContext): Router {
  const { db, clock, config } = ctx;
  const router = Router();

  const previewPage = async (req: Request, weekValue: unknown) => {
    const recipient = await findRepWeekRecipient(db, viewerOf(req).id);
    const week = digestWeek(recipient, parseInput(repWeekQuerySchema, { week: weekValue }).week, clock.now());
    const { repWeek } = await buildRepWeek(db, recipient, { week: week.id, now: clock.now(), baseUrl: config.baseUrl });
    const [email, delivery] = await Promise.all([renderRepWeekEmail(repWeek), findDelivery(db, recipient.id, week.id, 'rep_week')]);
    return {
      view: 'rep-week/preview',
      data: {
        title: 'Your week',
        helpers: repWeekHelpers,
        repWeek,
        email,
        delivery,
        recipient,
        sendsAt: sendMomentOf(week, { day: recipient.week_email_day, hour: recipient.week_email_hour }).toUTC().toISO(),
        values: { week: week.id },
      },
    };
  };

  router.get('/week', async (req, res) => {
    await handleForm(
      req,
      res,
      async () => {
        const page = await previewPage(req, req.query.week);
        res.render(page.view, page.data);
      },
      // A bad week shows this week with the error beside the week field.
      () => previewPage(req, undefined),
    );
  });
  return router;
}

export function repWeekApi(ctx: AppContext): Router {
  const { db, clock, config } = ctx;
  const router = Router();

  /** The viewer's week as data: ?week=2026-W48, by default the current week in their zone. */
  router.get('/me/week', async (req, res) => {
    const { week } = parseInput(repWeekQuerySchema, req.query);
    const recipient = await findRepWeekRecipient(db, viewerOf(req).id);
    const { repWeek } = await buildRepWeek(db, recipient, { week, now: clock.now(), baseUrl: config.baseUrl });
    res.json({
      week: repWeek.week.id,
      starts_on: repWeek.week.starts_on,
      ends_on: repWeek.week.ends_on,
      as_of: repWeek.as_of,
      is_quiet: repWeek.is_quiet,
      sections: repWeek.sections,
    });
  });
  return router;
}
