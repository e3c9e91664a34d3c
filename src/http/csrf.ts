import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { csrfSync } from 'csrf-sync';
import type { Config } from '../config.js';

// A multipart upload's body is read only after the CSRF check, so its form carries the token in its address.
const tokenFromRequest = (req: Request) =>
  (req.body as Record<string, string> | undefined)?._csrf ??
  req.get('x-csrf-token') ??
  (req.is('multipart/form-data') ? (req.query as Record<string, string | undefined>)._csrf : undefined);

/**
 * CSRF tokens for every form. A signed-in person's token lives in their session (csrf-sync, the
 * synchroniser pattern). Someone not signed in has no session, and gets none just for opening
 * the login page: their forms (sign in, set a new password) carry a signed double-submit token
 * instead, an HMAC of a random value kept in a cookie of its own, which a cross-site form cannot
 * read or set. Over https the cookie has the __Host- prefix, so no subdomain can plant one.
 */
export function csrfProtection(config: Config) {
  const cookieName = config.secureCookies ? '__Host-buychain.csrf' : 'buychain.csrf';
  const signed = (nonce: string) => createHmac('sha256', config.sessionSecret).update(`csrf:${nonce}`).digest('base64url');
  const session = csrfSync({ getTokenFromRequest: tokenFromRequest });
  const signedIn = (req: Request) => req.session?.userId !== undefined;

  const nonceIn = (req: Request): string | undefined => {
    for (const part of (req.get('cookie') ?? '').split(';')) {
      const [name, value] = part.trim().split('=');
      if (name === cookieName && value && /^[A-Za-z0-9_-]{43}$/.test(value)) return value;
    }
    return undefined;
  };

  const anonymousToken = (req: Request, res: Response): string => {
    let nonce = nonceIn(req);
    if (!nonce) {
      nonce = randomBytes(32).toString('base64url');
      res.cookie(cookieName, nonce, { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/' });
    }
    return signed(nonce);
  };

  const anonymousRequestValid = (req: Request): boolean => {
    const nonce = nonceIn(req);
    const received = tokenFromRequest(req);
    if (!nonce || typeof received !== 'string') return false;
    const expected = Buffer.from(signed(nonce));
    const given = Buffer.from(received);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  return {
    /** Refuses a state-changing request without the right token. */
    protect(req: Request, res: Response, next: NextFunction) {
      if (signedIn(req)) return session.csrfSynchronisedProtection(req, res, next);
      if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || anonymousRequestValid(req)) return next();
      next(session.invalidCsrfTokenError);
    },
    /** The token to put in this response's forms. */
    tokenFor(req: Request, res: Response): string {
      return signedIn(req) ? session.generateToken(req) : anonymousToken(req, res);
    },
  };
}

