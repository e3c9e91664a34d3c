import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDueMailbox, runMailboxSyncTick } from '../../src/mailbox/mailbox.sync.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type Dovecot, startDovecot } from '../support/dovecot.js';
import { type Session, sessionsAndClients } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// Against a real IMAP server: a throwaway Dovecot with its own users and mail folder.

const fixtures = path.join(import.meta.dirname, '..', 'mail-in', 'fixtures');
const fixture = (name: string) => readFileSync(path.join(fixtures, name));
const key = Buffer.alloc(32, 7).toString('base64');
const appPassword = 'app-password-Xy7!';

let dovecot: Dovecot;
let t: TestApp;
let riley: CurrentUser;
let harbor: { id: number };
let as: Record<'riley' | 'outsider', Session>;
const logLines: { msg: string; uid?: number }[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) });

async function deliver(folder: string, messages: { raw: Buffer; date?: Date }[]) {
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: 'riley@seller.test', pass: appPassword }, logger: false });
  await client.connect();
  for (const { raw, date } of messages)
    await client.append(folder, raw, [], date ?? new Date('2026-11-20T12:00:00Z')).catch((error) => {
      throw new Error(`APPEND to ${folder} failed: ${(error as { responseText?: string }).responseText ?? error}`);
    });
  await client.logout();
}

const context = () => ({ db: t.db, clock: t.clock, logger, mailCredentialsKey: key });
const mailbox = () => t.db.selectFrom('mailboxes').selectAll().where('user_id', '=', riley.id).executeTakeFirst();

beforeAll(async () => {
  dovecot = await startDovecot({ 'riley@seller.test': appPassword });
  t = await createTestApp({ env: { MAIL_CREDENTIALS_KEY: key } });
  riley = await t.make.user({ name: 'Riley Morgan', email: 'riley@seller.test', time_zone: 'America/Chicago' });
  const outsider = await t.make.user({ name: 'Olga Other', email: 'olga@seller.test' });
  harbor = await t.make.account(riley, { name: 'Harbor Dental Group' });
  const fjord = await t.make.account(riley, { name: 'Blue Fjord' });
  await t.make.contact(riley, harbor.id, { name: 'Maria Lopez', email: 'maria.lopez@harbordental.test', roles: ['decision_maker'] });
  await t.make.contact(riley, harbor.id, { name: 'Tom Baker', email: 'tom.baker@harbordental.test', roles: ['user'] });
  await t.make.contact(riley, fjord.id, { name: 'Anna Berg', email: 'anna.berg@bluefjord.test', roles: ['decision_maker'] });
  ({ as } = await sessionsAndClients(t, { riley, outsider }));
  await deliver('INBOX', [
    { raw: fixture('email-from-contact.eml') },
    { raw: fixture('unrelated-newsletter.eml') },
    { raw: fixture('corpus/departure-postfix-bounce-5.1.1.eml') },
    { raw: Buffer.from('this is not a message at all\n') },
    // Older than 90 days: the first sync does not go back that far.
    { raw: fixture('forward-attached-outlook.eml'), date: new Date('2026-07-01T12:00:00Z') },
  ]);
  await deliver('Sent', [{ raw: fixture('email-sent-html-only.eml') }, { raw: fixture('email-from-contact.eml') }]);
});
afterAll(async () => {
  await t?.close();
  await dovecot?.stop();
});

describe('Settings → Connect your mailbox', () => {
  it('stores the app password encrypted, never shows it again, and shows nothing to another user', async () => {
    const response = await as.riley.submit('/settings/mailbox', '/settings/mailbox', { host: dovecot.host, port: String(dovecot.port), username: 'riley@seller.test', password: appPassword });
    expect(response.status).toBe(302);
    const row = (await mailbox())!;
    expect(row).toMatchObject({ host: '127.0.0.1', port: dovecot.port, tls: 0, username: 'riley@seller.test', status: 'waiting' });
    expect(row.secret).not.toContain(appPassword);
    expect(Buffer.from(row.secret.slice(3), 'base64').toString('latin1')).not.toContain(appPassword);
    const page = await as.riley.agent.get('/settings/mailbox').expect(200);
    expect(page.text).toContain('not synced yet');
    expect(page.text).not.toContain(appPassword);
    const other = await as.outsider.agent.get('/settings/mailbox').expect(200);
    expect(other.text).not.toContain('riley@seller.test');
    expect(other.text).not.toContain('Disconnect');
  });

  it('a failed form keeps what was typed except the password, with the error beside its field', async () => {
    const response = await as.riley.submit('/settings/mailbox', '/settings/mailbox', { host: 'not a host!', port: '993', username: 'riley@seller.test', password: 'secret-typed' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('A host name like imap.gmail.com');
    expect(response.text).toContain('value="not a host!"');
    expect(response.text).not.toContain('secret-typed');
  });

  it('refuses to store credentials when MAIL_CREDENTIALS_KEY is unset', async () => {
    const keyless = await createTestApp();
    try {
      const user = await keyless.make.user({ email: 'keyless@seller.test' });
      const { as: sessions } = await sessionsAndClients(keyless, { user });
      const response = await sessions.user.submit('/settings/mailbox', '/settings/mailbox', { host: 'imap.example.com', port: '993', tls: 'on', username: 'keyless@seller.test', password: 'whatever-123' });
      expect(response.status).toBe(400);
      expect(response.text).toContain('MAIL_CREDENTIALS_KEY');
      expect(await keyless.db.selectFrom('mailboxes').selectAll().execute()).toEqual([]);
    } finally {
      await keyless.close();
    }
  });
});

describe('the background sync', () => {
  it('is claimed in the database: a second process finds nothing to sync while the first holds it', async () => {
    const claimed = await claimDueMailbox(t.db, t.clock);
    expect(claimed?.user_id).toBe(riley.id);
    expect(await claimDueMailbox(t.reconnect(), t.clock)).toBeUndefined();
    await t.db.updateTable('mailboxes').set({ claimed_by: null, claimed_until: null, status: 'waiting' }).execute();
  });

  it('syncs INBOX and Sent through the one mail path: 90 days back, each message once, refused ones logged and skipped', async () => {
    expect(await runMailboxSyncTick(context())).toBe(1);
    expect(await mailbox()).toMatchObject({ status: 'ok', last_error: null, claimed_by: null, last_synced_at: t.clock.now().toISOString() });
    const touchpoints = await t.db.selectFrom('touchpoints').select(['summary', 'message_id', 'source']).orderBy('summary').execute();
    expect(touchpoints).toEqual([
      { summary: 'Re: Toner contract renewal', message_id: 'CAF7x9=renewal-1@mail.harbordental.test', source: 'email' },
      { summary: 'Usage review next week', message_id: 'DM6PR11MB4000.namprd11.prod.outlook.com@seller.test', source: 'email' },
    ]);
    expect(await t.db.selectFrom('departure_signals').select(['kind']).execute()).toEqual([{ kind: 'bounce' }]);
    expect(logLines.some((line) => line.msg === 'mail refused: not an RFC 5322 message (no header lines)')).toBe(true);
    expect(JSON.stringify(logLines)).not.toContain(appPassword);
    const bookmarks = await t.db.selectFrom('mailbox_folders').select(['folder', 'last_uid']).orderBy('folder').execute();
    expect(bookmarks).toEqual([
      { folder: 'INBOX', last_uid: 5 },
      { folder: 'Sent', last_uid: 2 },
    ]);
  });

  it('reads only what is new on the next run, after its interval', async () => {
    await deliver('INBOX', [{ raw: fixture('corpus/departure-exchange-online-en.eml') }]);
    expect(await runMailboxSyncTick(context())).toBe(0);
    t.clock.set(new Date(t.clock.now().getTime() + 6 * 60_000));
    expect(await runMailboxSyncTick(context())).toBe(1);
    expect(await t.db.selectFrom('departure_signals').select(['kind']).orderBy('kind').execute()).toEqual([{ kind: 'auto_reply' }, { kind: 'bounce' }]);
    expect(await t.db.selectFrom('touchpoints').select('id').execute()).toHaveLength(2);
  });

  it('shows a clear status and last error (without the password) when the server refuses the login', async () => {
    await as.riley.submit('/settings/mailbox', '/settings/mailbox', { host: dovecot.host, port: String(dovecot.port), username: 'riley@seller.test', password: 'wrong-password' });
    await runMailboxSyncTick(context());
    const row = (await mailbox())!;
    expect(row.status).toBe('error');
    expect(row.last_error).toMatch(/auth/i);
    const page = await as.riley.agent.get('/settings/mailbox').expect(200);
    expect(page.text).toContain('Last error');
    expect(page.text).not.toContain('wrong-password');
  });

  it('Disconnect deletes the credentials', async () => {
    expect((await as.riley.submit('/settings/mailbox', '/settings/mailbox/disconnect', {})).status).toBe(302);
    expect(await mailbox()).toBeUndefined();
    expect(await t.db.selectFrom('mailbox_folders').selectAll().execute()).toEqual([]);
  });
});
