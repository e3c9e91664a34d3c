import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { ValidationFailed } from '../http/errors.js';
import { createMailer } from '../mail/mailer.js';
import { createResetLink, deleteUser, emailResetLink, signOutEverywhere } from './account-care.service.js';
import { findUserByEmail } from './users.service.js';

// Account care from the command line: `user reset-link`, `user sign-out-everywhere`, `user delete`.
// A refusal is a ValidationFailed naming the option, which the CLI prints as one line (exit 2).

async function userByEmail(db: Db, email: string | undefined, option = 'email') {
  if (!email) throw new ValidationFailed({ [option]: `--${option} is required` });
  const user = await findUserByEmail(db, email);
  if (!user) throw new ValidationFailed({ [option]: `No user has the email ${email}` });
  return user;
}

export async function userCareCommand(db: Db, clock: Clock, config: Config, action: string | undefined, args: string[]): Promise<void> {
  if (action === 'reset-link') {
    const { values } = parseArgs({ args, options: { email: { type: 'string' }, print: { type: 'boolean' } } });
    const user = await userByEmail(db, values.email);
    const link = await db.transaction().execute((trx) => createResetLink(trx, clock, config.baseUrl, user.id, null));
    const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxFolder: path.resolve('data/outbox') });
    await emailResetLink(mailer, user, link, 'Your Buychain admin');
    console.log(`Emailed ${user.email} a link to set a new password; it works once, until ${link.expiresAt}.`);
    if (values.print) console.log(link.url);
    return;
  }
  if (action === 'sign-out-everywhere') {
    const { values } = parseArgs({ args, options: { email: { type: 'string' }, 'revoke-tokens': { type: 'boolean' } } });
    const user = await userByEmail(db, values.email);
    const { revokedTokens } = await db.transaction().execute((trx) => signOutEverywhere(trx, clock, user.id, { revokeTokens: values['revoke-tokens'] === true }));
    console.log(`Signed ${user.email} out everywhere${values['revoke-tokens'] ? ` and revoked ${revokedTokens} API token${revokedTokens === 1 ? '' : 's'}` : ''}.`);
    return;
  }
  if (action === 'delete') {
    const { values } = parseArgs({ args, options: { email: { type: 'string' }, 'accounts-to': { type: 'string' } } });
    const user = await userByEmail(db, values.email);
    const successor = values['accounts-to'] ? await userByEmail(db, values['accounts-to'], 'accounts-to') : undefined;
    const done = await db.transaction().execute((trx) => deleteUser(trx, clock, user.id, successor?.id, null));
    console.log(`Deleted ${done.user.name}${done.successorName ? `; ${done.accounts} accounts and ${done.openPromises} open promises now belong to ${done.successorName}` : ''}.`);
    return;
  }
  throw new ValidationFailed({ _: 'user takes: add, reset-link, sign-out-everywhere, delete' });
}
