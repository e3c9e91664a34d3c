import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { viewerOf } from '../http/auth.js';
import { buildCalendarFeed, calendarFeedPath, createCalendarFeed, findFeedOwner } from './calendar-feed.service.js';

/** A secret as createCalendarFeed makes it: 32 random bytes, base64url. */
const feedFile = /^([A-Za-z0-9_-]{43})\.ics$/;

/**
 * The feed itself: no session and no token, the secret in the address is the key. Mounted before
 * the session middleware, so a calendar app polling it never creates a session.
 */
export function calendarFeedPages({ db, clock, config }: AppContext): Router {
  const router = Router();
  router.get('/calendar/:file', async (req, res) => {
    const secret = feedFile.exec(req.params.file)?.[1];
    const owner = secret ? await findFeedOwner(db, secret) : undefined;
    // Unknown, revoked and malformed addresses look the same.
    if (!owner) {
      res.status(404).type('text/plain').send('No such calendar. Make a new address in Buychain’s Settings.\n');
      return;
    }
    const calendar = await buildCalendarFeed(db, owner, { now: clock.now(), baseUrl: config.baseUrl });
    res.set('Cache-Control', 'private, no-cache').type('text/calendar; charset=utf-8').send(calendar.toString());
  });
  return router;
}

export function calendarFeedApi({ db, clock, config }: AppContext): Router {
  const router = Router();
  /** A new private address; the previous one stops working. */
  router.post('/me/calendar-feed', async (req, res) => {
    const secret = await createCalendarFeed(db, clock, viewerOf(req).id);
    res.status(201).json({ url: `${config.baseUrl}${calendarFeedPath(secret)}` });
  });
  return router;
}
