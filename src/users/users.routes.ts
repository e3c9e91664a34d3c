import { type Request, type Response, Router } from 'express';
import type { AppContext } from '../app-context.js';
import { requireRole, viewerOf } from '../http/auth.js';
import { flash, handleForm } from '../http/forms.js';
import { parseIdParam } from '../http/fields.js';
import { NotFound } from '../http/errors.js';
import { pageInfo, parsePaging } from '../http/pagination.js';
import { sameSitePath } from '../http/redirects.js';
import { fieldErrors, parseInput } from '../http/validation.js';
import { createApiToken, listApiTokens, revokeApiToken, tokenLifetimes } from './tokens.js';
import { deleteUserSchema, loginSchema, newTokenSchema, newUserSchema, passwordChangeSchema, passwordResetSchema, settingsSchema, signOutEverywhereSchema } from './users.schemas.js';
import {
  assignManager,
  countUsers,
  createUser,
  listManagers,
  listActiveUsers,
  listUsers,
  setUserActive,
  updateSettings,
} from './users.service.js';
import { type SignInOutcome, attemptSignIn, wrongPasswordMessage } from './sign-in.service.js';
import {
  createResetLink,
  deleteUser,
  deletionFacts,
  emailResetLink,
  findUserByResetToken,
  resetPasswordWithToken,
  setPassword,
  signOutEverywhere,
} from './account-care.service.js';
import { userRoles } from './users.table.js';
import { sendTimeChoices } from '../digest/digest.schemas.js';
import { departureAlertSettings } from '../departure-alerts/departure-alerts.service.js';
import { calendarFeedPath, createCalendarFeed, findCalendarFeed, revokeCalendarFeed } from '../calendar-feed/calendar-feed.service.js';
import { z } from 'zod';
import { optionalEntityId } from '../http/fields.js';

const afterSignIn = '/accounts';

/** What the login page says after a flow that ended every session (no session is left to flash in). */
const loginNotices: Record<string, string> = {
  signed_out_everywhere: 'You are signed out everywhere. Sign in again here.',
  password_set: 'Your new password is set. Sign in with it.',
};

const sessionCall = (req: Request, method: 'regenerate' | 'destroy' | 'save') =>
  new Promise<void>((resolve, reject) => req.session[method]((error: unknown) => (error ? reject(error) : resolve())));

/** A new session id for the signed-in user, so a session fixed before is worthless. */
async function startSession(req: Request, userId: number): Promise<void> {
  await sessionCall(req, 'regenerate');
  req.session.userId = userId;
}

/** A refused attempt: 429 with Retry-After, on every page that checks a password. */
function refuse(res: Response, outcome: Extract<SignInOutcome, { status: 'refused' }>) {
  res.set('Retry-After', String(outcome.retryAfterSeconds)).status(429);
}

/** The client's address as TRUST_PROXY lets us see it. */
const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

export function loginPages(ctx: AppContext): Router {
  const { db, clock } = ctx;
  const router = Router();
  const loginPage = (extra: object) => ({ title: 'Sign in', bare: true, ...extra });

  router.get('/login', (req, res) => {
    if (req.user) return res.redirect(afterSignIn);
    const notice = typeof req.query.notice === 'string' ? loginNotices[req.query.notice] : undefined;
    res.render('users/login', loginPage({ next: sameSitePath(req.query.next, afterSignIn), notice }));
  });

  router.post('/login', async (req, res) => {
    const next = sameSitePath(req.body?.next, afterSignIn);
    const parsed = loginSchema.safeParse(req.body);
    const outcome: SignInOutcome = parsed.success
      ? await attemptSignIn(ctx, { ...parsed.data, address: clientAddress(req) })
      : { status: 'wrong', message: wrongPasswordMessage };
    if (outcome.status !== 'signed_in') {
      if (outcome.status === 'refused') refuse(res, outcome);
      else res.status(401);
      res.render('users/login', loginPage({ values: { email: req.body?.email }, next, formError: outcome.message }));
      return;
    }
    await startSession(req, outcome.user.id);
    res.redirect(next);
  });

  router.post('/logout', async (req, res) => {
    await sessionCall(req, 'destroy');
    res.clearCookie('buychain.sid');
    res.redirect('/login');
  });

  // A one-time link from an admin: works without signing in, once, within the hour.
  const resetPage = (token: string, extra: object = {}) => ({ title: 'Set a new password', bare: true, token, ...extra });
  const linkGone = (res: Response) =>
    res.status(404).render('error', { title: 'This link does not work any more', status: 404, bare: true, message: 'A password reset link works once, for an hour. Ask an admin to send you a new one.' });

  router.get('/reset-password', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const user = token ? await findUserByResetToken(db, clock, token) : undefined;
    if (!user) return linkGone(res);
    res.render('users/reset-password', resetPage(token, { email: user.email }));
  });

  router.post('/reset-password', async (req, res) => {
    const parsed = passwordResetSchema.safeParse(req.body);
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    if (!parsed.success) {
      const user = token ? await findUserByResetToken(db, clock, token) : undefined;
      if (!user) return linkGone(res);
      res.status(400).render('users/reset-password', resetPage(token, { email: user.email, errors: fieldErrors(parsed.error), formError: 'Some fields need attention.' }));
      return;
    }
    const user = await db.transaction().execute((trx) => resetPasswordWithToken(trx, clock, parsed.data.token, parsed.data.new_password));
    if (!user) return linkGone(res);
    ctx.logger.info({ userId: user.id }, 'password set with a reset link');
    res.redirect(`/login?notice=password_set`);
  });
  return router;
}

export function settingsPages(ctx: AppContext): Router {
  const { db, clock, config } = ctx;
  const router = Router();
  const settingsPage = async (userId: number, extra: object = {}) => {
    const [saved, tokens, departureAlerts, calendarFeed] = await Promise.all([
      db
        .selectFrom('users')
        .select(['digest_day', 'digest_hour', 'digest_opt_out', 'week_email_day', 'week_email_hour', 'week_email_opt_out'])
        .where('id', '=', userId)
        .executeTakeFirstOrThrow(),
      listApiTokens(db, clock, userId),
      departureAlertSettings(db, userId),
      findCalendarFeed(db, userId),
    ]);
    return {
      view: 'users/settings',
      data: {
        title: 'Settings',
        tokens,
        tokenLifetimes,
        digest: { saved, ...sendTimeChoices },
        weekEmail: { saved, ...sendTimeChoices },
        departureAlerts,
        calendarFeed,
        ...extra,
      },
    };
  };

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

  router.post('/settings/password', async (req, res) => {
    const viewer = viewerOf(req);
    const rerender = async (status: number, errors: Record<string, string>, formError: string) => {
      const page = await settingsPage(viewer.id, { values: viewer, errors, formError });
      res.status(status).render(page.view, page.data);
    };
    const parsed = passwordChangeSchema.safeParse(req.body);
    if (!parsed.success) return rerender(400, fieldErrors(parsed.error), 'Your password was not changed.');
    // The current password is checked like a sign-in: counted, and refused while locked.
    const check = await attemptSignIn(ctx, { email: viewer.email, password: parsed.data.current_password, address: clientAddress(req) });
    if (check.status === 'refused') {
      refuse(res, check);
      return rerender(429, { current_password: check.message }, 'Your password was not changed.');
    }
    if (check.status === 'wrong') return rerender(400, { current_password: 'That is not your current password' }, 'Your password was not changed.');
    await db.transaction().execute((trx) => setPassword(trx, clock, viewer, parsed.data.new_password));
    // Every other browser is signed out; this one carries on in a fresh session.
    await startSession(req, viewer.id);
    flash(req, 'Password changed. Every other browser signed in as you was signed out.');
    res.redirect('/settings');
  });

  router.post('/settings/sign-out-everywhere', async (req, res) => {
    const viewer = viewerOf(req);
    const { revoke_tokens } = parseInput(signOutEverywhereSchema, req.body);
    await db.transaction().execute((trx) => signOutEverywhere(trx, clock, viewer.id, { revokeTokens: revoke_tokens === '1' }));
    await sessionCall(req, 'destroy');
    res.clearCookie('buychain.sid');
    res.redirect('/login?notice=signed_out_everywhere');
  });

  router.post('/settings/tokens', async (req, res) => {
    const viewer = viewerOf(req);
    await handleForm(
      req,
      res,
      async () => {
        const { token_name, token_lifetime_days } = parseInput(newTokenSchema, req.body);
        const token = await createApiToken(db, clock, viewer.id, token_name, token_lifetime_days);
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

export function adminPages({ db, clock, config, mailer }: AppContext): Router {
  const router = Router();
  router.use('/admin', requireRole('admin'));

  const usersPage = async (query: unknown) => {
    const paging = parsePaging(query, 50);
    const [users, total, managers] = await Promise.all([listUsers(db, paging), countUsers(db), listManagers(db)]);
    return { view: 'users/admin', data: { title: 'Users and teams', users, managers, roles: userRoles, paging: pageInfo(paging, total) } };
  };
  const userIdOf = (req: Request) => {
    const userId = parseIdParam(req.params.id);
    if (userId === null) throw new NotFound('That user');
    return userId;
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
    const userId = userIdOf(req);
    const change = parseInput(userChangeSchema, req.body);
    await db.transaction().execute(async (trx) => {
      const exists = await trx.selectFrom('users').select('id').where('id', '=', userId).where('deleted_at', 'is', null).executeTakeFirst();
      if (!exists) throw new NotFound('That user');
      if ('manager_id' in req.body) await assignManager(trx, clock, userId, change.manager_id ?? null);
      if (change.active !== undefined) await setUserActive(trx, clock, userId, change.active === '1');
    });
    flash(req, 'User updated.');
    res.redirect('/admin/users');
  });

  router.post('/admin/users/:id/reset-link', async (req, res) => {
    const admin = viewerOf(req);
    const userId = userIdOf(req);
    const user = await db.selectFrom('users').select(['id', 'email', 'name', 'time_zone']).where('id', '=', userId).where('active', '=', 1).executeTakeFirst();
    if (!user) throw new NotFound('That active user');
    const link = await db.transaction().execute((trx) => createResetLink(trx, clock, config.baseUrl, user.id, admin.id));
    await emailResetLink(mailer, user, link, admin.name);
    flash(req, `Emailed ${user.name} a link to set a new password (it works once, for an hour).`);
    res.redirect('/admin/users');
  });

  // Deleting asks first, on a page of its own: who takes over the accounts, or why it cannot be done.
  const deletePage = async (req: Request, extra: object = {}) => {
    const facts = await deletionFacts(db, userIdOf(req), viewerOf(req).id);
    if (!facts) throw new NotFound('That user');
    const successors = (await listActiveUsers(db)).filter((user) => user.id !== facts.user.id);
    return { view: 'users/delete', data: { title: `Delete ${facts.user.name}`, facts, successors, ...extra } };
  };

  router.get('/admin/users/:id/delete', async (req, res) => {
    const page = await deletePage(req);
    res.render(page.view, page.data);
  });

  router.post('/admin/users/:id/delete', async (req, res) => {
    await handleForm(
      req,
      res,
      async () => {
        const { successor_id } = parseInput(deleteUserSchema, req.body);
        const done = await db.transaction().execute((trx) => deleteUser(trx, clock, userIdOf(req), successor_id, viewerOf(req).id));
        const moved = done.successorName ? ` ${done.accounts} account${done.accounts === 1 ? '' : 's'} and ${done.openPromises} open promise${done.openPromises === 1 ? '' : 's'} now belong to ${done.successorName}.` : '';
        flash(req, `Deleted ${done.user.name}.${moved}`);
        res.redirect('/admin/users');
      },
      () => deletePage(req),
    );
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
