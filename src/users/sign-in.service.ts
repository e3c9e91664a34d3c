import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { Mailer } from '../mail/mailer.js';
import { accountPolicy, addressPolicy, forgetFailures, giveBackAttempt, pruneThrottles, reserveAttempt, throttleKey, waitAfter } from './login-throttle.js';
import { type CurrentUser, authenticate, findActiveUserByEmail } from './users.service.js';

export interface SignInDependencies {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  logger: Logger;
}

export type SignInOutcome =
  | { status: 'signed_in'; user: CurrentUser }
  /** Not checked at all: an earlier failure's wait is still running for this account or address. */
  | { status: 'refused'; retryAfterSeconds: number; message: string }
  | { status: 'wrong'; message: string };

/** "2 minutes", "45 seconds": how long, in words a person reads at a glance. */
export function inWords(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} minutes`;
  return `${Math.ceil(minutes / 60)} hours`;
}

export const wrongPasswordMessage = 'That email and password do not match an active account.';

/**
 * One sign-in attempt (also used when someone confirms their current password): counted against
 * the account and the client address before any password hash is spent, refused while a wait
 * runs, and the owner is emailed when their account becomes locked.
 */
export async function attemptSignIn(
  deps: SignInDependencies,
  { email, password, address }: { email: string; password: string; address: string },
): Promise<SignInOutcome> {
  const { db, clock } = deps;
  const normalizedEmail = email.trim().toLowerCase();
  const addressKey = throttleKey('address', address);
  const accountKey = throttleKey('account', normalizedEmail);

  const fromAddress = await reserveAttempt(db, clock, addressKey, addressPolicy);
  if (!fromAddress.allowed)
    return { status: 'refused', retryAfterSeconds: fromAddress.retryAfterSeconds, message: `Too many failed sign-ins from your network. Try again in ${inWords(fromAddress.retryAfterSeconds)}.` };
  const forAccount = await reserveAttempt(db, clock, accountKey, accountPolicy);
  if (!forAccount.allowed) {
    await giveBackAttempt(db, addressKey);
    const locked = forAccount.failures >= accountPolicy.lockAfter;
    return {
      status: 'refused',
      retryAfterSeconds: forAccount.retryAfterSeconds,
      message: locked
        ? `This account is locked for ${inWords(forAccount.retryAfterSeconds)} after too many failed sign-ins; its owner has been emailed. Forgotten your password? Ask an admin for a reset link.`
        : `Too many failed sign-ins for this account. Try again in ${inWords(forAccount.retryAfterSeconds)}.`,
    };
  }

  const user = await authenticate(db, normalizedEmail, password);
  if (user) {
    await forgetFailures(db, accountKey);
    await giveBackAttempt(db, addressKey);
    await pruneThrottles(db, clock);
    return { status: 'signed_in', user };
  }

  const wait = waitAfter(accountPolicy, forAccount.failures);
  if (forAccount.failures === accountPolicy.lockAfter) await emailLockNotice(deps, normalizedEmail, address, wait);
  const message =
    forAccount.failures >= accountPolicy.lockAfter
      ? `${wrongPasswordMessage} After too many failed sign-ins this account is locked for ${inWords(wait)}; its owner has been emailed.`
      : wait > 0
        ? `${wrongPasswordMessage} Wait ${inWords(wait)} before trying again.`
        : wrongPasswordMessage;
  return { status: 'wrong', message };
}

/** Tells the account's owner it was locked, and what to do; an unknown email gets nothing. */
async function emailLockNotice({ db, clock, mailer, logger }: SignInDependencies, email: string, address: string, lockSeconds: number): Promise<void> {
  const owner = await findActiveUserByEmail(db, email);
  if (!owner) return;
  const until = DateTime.fromJSDate(new Date(clock.now().getTime() + lockSeconds * 1000)).setZone(owner.time_zone).toFormat('ccc d LLL yyyy, HH:mm ZZZZ');
  const lines = [
    `Hello ${owner.name},`,
    '',
    `Someone tried to sign in to your Buychain account (${owner.email}) with a wrong password ${accountPolicy.lockAfter} times, most recently from the address ${address}.`,
    `Signing in is locked until ${until}; even the right password is refused until then.`,
    '',
    'If it was you: wait, then try again, or ask an admin for a password reset link.',
    'If it was not you: your password held. Tell your admin, and change your password in Settings once you are signed in.',
  ];
  try {
    await mailer.send({
      to: owner.email,
      subject: 'Your Buychain account was locked after failed sign-ins',
      text: lines.join('\n'),
      html: lines.map((line) => (line ? `<p>${escapeHtml(line)}</p>` : '')).join(''),
    });
  } catch (error) {
    logger.error({ err: error, userId: owner.id }, 'could not email the account-locked notice');
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
