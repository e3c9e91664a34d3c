import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { AppContext } from '../app-context.js';
import { requireRole, viewerOf } from '../http/auth.js';
import { flash, handleForm } from '../http/forms.js';
import { parseIdParam } from '../http/fields.js';
import { NotFound } from '../http/errors.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { parseInput } from '../http/validation.js';
import { createApiToken, listApiTokens, revokeApiToken } from './tokens.js';
import { loginSchema, newUserSchema, settingsSchema, tokenNameSchema } from './users.schemas.js';
import {
  assignManager,
  authenticate,
  countUsers,
  createUser,
  listManagers,
  listUsers,
  setUserActive,
  updateSettings,
} from './users.service.js';
import { userRoles } from './users.table.js';
import { digestSettingsChoices } from '../digest/digest.service.js';
import { weekEmailSettingsChoices } from '../rep-week/rep-week.service.js';
import { departureAlertSettings } from '../departure-alerts/departure-alerts.service.js';
import { calendarFeedPath, createCalendarFeed, findCalendarFeed, revokeCalendarFeed } from '../calendar-feed/calendar-feed.service.js';
import { z } from 'zod';
import { optionalEntityId } from '../http/fields.js';

/** Only same-site paths, so a crafted ?next= cannot send someone elsewhere after login. */
const safeNext = (value: unknown) => (typeof value === 'string' && /^\/(?!\/)/.test(value) ? value : '/accounts');

export function loginPages({ db }: AppContext): Router {
  const router = Router();
  const loginLimiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) =>
      res.status(429).render('users/login', {
        title: 'Sign in',
        formError: 'Too many attempts. Wait 15 minutes and try again.',
        bare: true,
      }),
  });

  router.get('/login', (req, res) => {
    if (req.user) return res.redirect('/accounts');
    res.render('users/login', { title: 'Sign in', bare: true, next: safeNext(req.query.next) });
  });

  router.post('/login', loginLimiter, async (req, res) => {
    const parsed = loginSchema.safeParse(req.body);
    const user = parsed.success ? await authenticate(db, parsed.data.email, parsed.data.password) : null;
    if (!user) {
      res.status(401).render('users/login', {
        title: 'Sign in',
        bare: true,
        values: { email: req.body?.email },
        next: safeNext(req.body?.next),
        formError: 'That email and password do not match an active account.',
      });
      return;
    }
    // A new session id at login, so a session fixed before sign-in is worthless.
    await new Promise<void>((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
    req.session.userId = user.id;
    res.redirect(safeNext(req.body?.next));
  });

  router.post('/logout', async (req, res) => {
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie('buychain.sid');
    res.redirect('/login');
  });
  return router;
}

export function settingsPages({ db, clock, config }: AppContext): Router {
  const router = Router();
  const settingsPage = async (userId: number, extra: object = {}) => ({
    view: 'users/settings',
    data: {
      title: 'Settings',
      tokens: await listApiTokens(db, userId),
      digest: await digestSettingsChoices(db, userId),
      weekEmail: await weekEmailSettingsChoices(db, userId),
      departureAlerts: await departureAlertSettings(db, userId),
      calendarFeed: await findCalendarFeed(db, userId),
      ...extra,
    },
  });

  router.get('/settings', async (req, res) => {
    const viewer = viewerOf(req);
    const page = await settingsPage(viewer.id, { values: viewer });
    res.render(page.view, page.data);
  });

  router.post('/settings', async (req, res) => {
    const viewer = viewerOf(req);
    await handleForm(
      req,
      res,
      async () => {
        await updateSettings(db, clock, viewer.id, parseInput(settingsSchema, req.body));
        flash(req, 'Settings saved.');
        res.redirect('/settings');
      },
      () => settingsPage(viewer.id),
    );
  });

  router.post('/settings/tokens', async (req, res) => {
    const viewer = viewerOf(req);
    await handleForm(
      req,
      res,
      async () => {
        const { token_name } = parseInput(tokenNameSchema, req.body);
        const token = await createApiToken(db, clock, viewer.id, token_name);
        // Shown once, never stored in plain text.
        const page = await settingsPage(viewer.id, { values: viewer, newToken: token });
        res.status(201).render(page.view, page.data);
      },
      () => settingsPage(viewer.id, { values: viewer }),
    );
  });

  /** A new private calendar address, shown once (only its hash is kept); the previous one stops working. */
  router.post('/settings/calendar-feed', async (req, res) => {
    const viewer = viewerOf(req);
    const secret = await createCalendarFeed(db, clock, viewer.id);
    const page = await settingsPage(viewer.id, { values: viewer, newCalendarUrl: `${config.baseUrl}${calendarFeedPath(secret)}` });
    res.status(201).render(page.view, page.data);
  });

  router.post('/settings/calendar-feed/revoke', async (req, res) => {
    await revokeCalendarFeed(db, viewerOf(req).id);
    flash(req, 'Calendar address removed: calendars subscribed to it no longer update.');
    res.redirect('/settings');
  });

  router.post('/settings/tokens/:id/revoke', async (req, res) => {
    const viewer = viewerOf(req);
    const tokenId = parseIdParam(req.params.id);
    if (tokenId === null || !(await revokeApiToken(db, clock, viewer.id, tokenId))) throw new NotFound('That token');
    flash(req, 'Token revoked.');
    res.redirect('/settings');
  });
  return router;
}

const userChangeSchema = z.object({
  manager_id: optionalEntityId,
  active: z.enum(['0', '1']).optional(),
});

export function adminPages({ db, clock }: AppContext): Router {
  const router = Router();
  router.use('/admin', requireRole('admin'));

  const usersPage = async (query: unknown) => {
    const paging = parsePaging(query, 50);
    const [users, total, managers] = await Promise.all([listUsers(db, paging), countUsers(db), listManagers(db)]);
    return { view: 'users/admin', data: { title: 'Users and teams', users, managers, roles: userRoles, paging: pageInfo(paging, total) } };
  };

  router.get('/admin/users', async (req, res) => {
    const page = await usersPage(req.query);
    res.render(page.view, { ...page.data, values: { time_zone: 'UTC', role: 'rep' } });
  });

  router.post('/admin/users', async (req, res) => {
    await handleForm(
      req,
      res,
      async () => {
        const input = parseInput(newUserSchema, req.body);
        await db.transaction().execute((trx) => createUser(trx, clock, input));
        flash(req, `${input.name} can now sign in as ${input.email}.`);
        res.redirect('/admin/users');
      },
      () => usersPage(req.query),
    );
  });

  router.post('/admin/users/:id', async (req, res) => {
    const userId = parseIdParam(req.params.id);
    if (userId === null) throw new NotFound('That user');
    const change = parseInput(userChangeSchema, req.body);
    await db.transaction().execute(async (trx) => {
      const exists = await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
      if (!exists) throw new NotFound('That user');
      if ('manager_id' in req.body) await assignManager(trx, clock, userId, change.manager_id ?? null);
      if (change.active !== undefined) await setUserActive(trx, clock, userId, change.active === '1');
    });
    flash(req, 'User updated.');
    res.redirect('/admin/users');
  });
  return router;
}

export function meApi(_ctx: AppContext): Router {
  const router = Router();
  router.get('/me', (req, res) => {
    const { id, email, name, role, manager_id, time_zone } = viewerOf(req);
    res.json({ id, email, name, role, manager_id, time_zone });
  });
  return router;
}
