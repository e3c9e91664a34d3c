import type { NextFunction, Request, Response } from 'express';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { type CurrentUser, findActiveUser, findUserByApiToken } from '../users/users.service.js';
import type { UserRole } from '../users/users.table.js';
import { Forbidden, Unauthorized } from './errors.js';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    flash?: string;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: CurrentUser;
    }
  }
}

/** Loads the signed-in user from the session for pages. */
export function sessionUser(db: Db) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const userId = req.session?.userId;
    if (userId !== undefined) {
      req.user = await findActiveUser(db, userId);
      if (!req.user) delete req.session.userId;
    }
    res.locals.viewer = req.user;
    next();
  };
}

export function requirePageUser(req: Request, res: Response, next: NextFunction) {
  if (req.user) return next();
  const nextPath = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
  res.redirect(`/login${nextPath}`);
}

/** Authenticates API calls with `Authorization: Bearer <token>`. */
export function bearerUser(db: Db, clock: Clock) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new Unauthorized('Send a personal API token as "Authorization: Bearer <token>".');
    const user = await findUserByApiToken(db, clock, match[1]!);
    if (!user) throw new Unauthorized('That API token is not valid.');
    req.user = user;
    next();
  };
}

export function requireRole(...roles: UserRole[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.user) throw new Unauthorized();
    if (!roles.includes(req.user.role)) throw new Forbidden();
    next();
  };
}

/** The authenticated user; routes behind an auth middleware always have one. */
export function viewerOf(req: Request): CurrentUser {
  if (!req.user) throw new Unauthorized();
  return req.user;
}
