import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { captureAddressesIn, createCaptureAddress } from '../../src/mailbox/capture-address.js';
import { claimCaptureMailbox, runCaptureMailboxTick } from '../../src/mailbox/capture-mailbox.sync.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type Dovecot, startDovecot } from '../support/dovecot.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// The shared capture mailbox, read over IMAP from a throwaway Dovecot: each message goes to the
// user whose secret address is among its recipients, only when its From is that user's own.

const captureAddress = 'log@capture.buychain.test';
const capturePassword = 'capture-password-Qz9!';
const imap = () => ({ host: dovecot.host, port: dovecot.port, tls: false, username: captureAddress, password: capturePassword });

let dovecot: Dovecot;
let t: TestApp;
let riley: CurrentUser;
let rileyAddress: string;
let olgaAddress: string;
const logLines: { msg: string; error?: string }[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
const context = (overrides: object = {}) => ({ db: t.db, clock: t.clock, logger, captureAddress, imap: imap(), ...overrides });

/** A message as a mail server delivers it, with the delivery headers first. */
function mail(id: string, { from, to, subject, delivery = [] }: { from: string; to: string; subject: string; delivery?: string[] }) {
  return Buffer.from(
    [...delivery, `From: ${from}`, `To: ${to}`, `Subject: ${subject}`, 'Date: Fri, 20 Nov 2026 10:00:00 -0600', `Message-ID: <${id}@seller.test>`, 'Content-Type: text/plain; charset=utf-8', '', `${subject}: the body.`, ''].join('\r\n'),
  );
}

async function deliver(messages: Buffer[]) {
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: captureAddress, pass: capturePassword }, logger: false });
  await client.connect();
  for (const raw of messages) await client.append('INBOX', raw, [], new Date('2026-11-20T16:00:00Z'));
  await client.logout();
}

const summaries = async () => (await t.db.selectFrom('touchpoints').select('summary').orderBy('summary').execute()).map((row) => row.summary);
const row = () => t.db.selectFrom('capture_mailbox').selectAll().executeTakeFirstOrThrow();

beforeAll(async () => {
  dovecot = await startDovecot({ [captureAddress]: capturePassword });
  t = await createTestApp({ env: { MAIL_CAPTURE_ADDRESS: captureAddress } });
  riley = await t.make.user({ name: 'Riley Morgan', email: 'riley@seller.test' });
  const olga = await t.make.user({ name: 'Olga Other', email: 'olga@seller.test' });
  const fjord = await t.make.account(riley, { name: 'Blue Fjord' });
  await t.make.contact(riley, fjord.id, { name: 'Anna Berg', email: 'anna.berg@bluefjord.test', roles: ['decision_maker'] });
  rileyAddress = await createCaptureAddress(t.db, t.clock, riley.id, captureAddress);
  olgaAddress = await createCaptureAddress(t.db, t.clock, olga.id, captureAddress);
  await deliver([
    // BCC: only the delivery header names the secret address.
    mail('bcc-1', { from: 'Riley Morgan <riley@seller.test>', to: 'Anna Berg <anna.berg@bluefjord.test>', subject: 'Pricing for 2027', delivery: [`Delivered-To: ${rileyAddress}`] }),
    mail('x-original-to-1', { from: 'riley@seller.test', to: 'anna.berg@bluefjord.test', subject: 'Samples sent', delivery: [`X-Original-To: ${rileyAddress.toUpperCase().replace('LOG+', 'log+')}`] }),
    mail('envelope-1', { from: 'riley@seller.test', to: `anna.berg@bluefjord.test,\r\n ${rileyAddress}`, subject: 'Folded To header' }),
    // Spoofed: the secret address is Riley's, the From is not.
    mail('spoofed-1', { from: 'Anna Berg <anna.berg@bluefjord.test>', to: rileyAddress, subject: 'Spoofed into the log' }),
    // Olga's address on Riley's mail.
    mail('other-user-1', { from: 'riley@seller.test', to: 'anna.berg@bluefjord.test', subject: 'Into the wrong log', delivery: [`Envelope-To: ${olgaAddress}`] }),
    // No secret address among the recipients (only in the subject).
    mail('no-token-1', { from: 'riley@seller.test', to: 'anna.berg@bluefjord.test', subject: `Note to ${rileyAddress}` }),
    mail('unknown-token-1', { from: 'riley@seller.test', to: 'log+0123456789abcdef01234567@capture.buychain.test', subject: 'Unknown token' }),
  ]);
});
afterAll(async () => {
  await t?.close();
  await dovecot?.stop();
});

describe('configuration', () => {
  it('reads the capture mailbox settings, and refuses a host without the address, user or password', () => {
    const env = { MAIL_CAPTURE_ADDRESS: captureAddress, MAIL_CAPTURE_IMAP_HOST: 'imap.example.com', MAIL_CAPTURE_IMAP_USER: captureAddress, MAIL_CAPTURE_IMAP_PASSWORD: 'secret' };
    expect(parseConfig(env).mailCaptureImap).toEqual({ host: 'imap.example.com', port: 993, tls: true, username: captureAddress, password: 'secret' });
    expect(parseConfig({ ...env, MAIL_CAPTURE_IMAP_PORT: '143', MAIL_CAPTURE_IMAP_TLS: 'false' }).mailCaptureImap).toMatchObject({ port: 143, tls: false });
    expect(parseConfig({}).mailCaptureImap).toBeUndefined();
    expect(() => parseConfig({ MAIL_CAPTURE_IMAP_HOST: 'imap.example.com' })).toThrow(/MAIL_CAPTURE_ADDRESS, MAIL_CAPTURE_IMAP_USER, MAIL_CAPTURE_IMAP_PASSWORD/);
    expect(() => parseConfig({ ...env, MAIL_CAPTURE_IMAP_TLS: 'maybe' })).toThrow(/MAIL_CAPTURE_IMAP_TLS/);
  });
});

describe('the secret address among the recipients', () => {
  it('is found in To, Cc, Delivered-To, X-Original-To and Envelope-To, never in the subject or inside another address', () => {
    const token = rileyAddress.slice(4, 28);
    const found = (headers: string) => captureAddressesIn(Buffer.from(`${headers}\r\nSubject: x\r\n\r\nlog+${'a'.repeat(24)}@capture.buychain.test\r\n`), captureAddress);
    expect(found(`Cc: a@b.test,\r\n\t<${rileyAddress}>`)).toEqual([rileyAddress]);
    expect(found(`X-Envelope-To: LOG+${token.toUpperCase()}@CAPTURE.BUYCHAIN.TEST`)).toEqual([rileyAddress]);
    expect(found(`Subject: ${rileyAddress}`)).toEqual([]);
    expect(found(`To: catalog+${token}@capture.buychain.test, log+${token}@capture.buychain.test.evil.test`)).toEqual([]);
  });
});

describe('reading the capture mailbox', () => {
  it('is claimed in the database: a second process finds it taken', async () => {
    expect(await claimCaptureMailbox(t.db, t.clock, imap())).toBe(true);
    expect(await claimCaptureMailbox(t.reconnect(), t.clock, imap())).toBe(false);
    await t.db.updateTable('capture_mailbox').set({ claimed_by: null, claimed_until: null }).execute();
  });

  it("logs each message whose secret address and From are the same user's; refuses the rest with a log line, storing nothing", async () => {
    expect(await runCaptureMailboxTick(context())).toBe(true);
    expect(await summaries()).toEqual(['Folded To header', 'Pricing for 2027', 'Samples sent']);
    expect(await t.db.selectFrom('touchpoints').select(['source', 'author_id']).distinct().execute()).toEqual([{ source: 'email', author_id: riley.id }]);
    const handled = await t.db.selectFrom('mail_messages').select('message_id').orderBy('message_id').execute();
    expect(handled.map((entry) => entry.message_id)).toEqual(['bcc-1@seller.test', 'envelope-1@seller.test', 'x-original-to-1@seller.test']);
    const refusals = logLines.filter((line) => line.msg.startsWith('mail refused')).map((line) => line.msg);
    expect(refusals).toEqual([
      'mail refused: spoofed: the sender is not the owner of this capture address',
      'mail refused: spoofed: the sender is not the owner of this capture address',
      'mail refused: no log+<token>@capture.buychain.test address among its recipients',
      'mail refused: unknown capture address',
    ]);
    expect(JSON.stringify(logLines)).not.toContain(rileyAddress.slice(4, 28));
    expect(JSON.stringify(logLines)).not.toContain(capturePassword);
    expect(await row()).toMatchObject({ status: 'ok', last_error: null, last_uid: 7, claimed_by: null, last_synced_at: t.clock.now().toISOString() });
  });

  it('reads only what is new, once it is due again', async () => {
    await deliver([mail('bcc-2', { from: 'riley@seller.test', to: 'anna.berg@bluefjord.test', subject: 'Follow-up on pricing', delivery: [`Delivered-To: ${rileyAddress}`] })]);
    expect(await runCaptureMailboxTick(context())).toBe(false);
    t.clock.set(new Date(t.clock.now().getTime() + 2 * 60_000));
    expect(await runCaptureMailboxTick(context())).toBe(true);
    expect(await summaries()).toEqual(['Folded To header', 'Follow-up on pricing', 'Pricing for 2027', 'Samples sent']);
    expect((await row()).last_uid).toBe(8);
  });

  it('records a refused login as its status and last error, without the password', async () => {
    t.clock.set(new Date(t.clock.now().getTime() + 2 * 60_000));
    expect(await runCaptureMailboxTick(context({ imap: { ...imap(), password: 'wrong-password' } }))).toBe(true);
    const state = await row();
    expect(state).toMatchObject({ status: 'error', claimed_by: null });
    expect(state.last_error).toMatch(/auth/i);
    expect(JSON.stringify(logLines)).not.toContain('wrong-password');
  });
});
