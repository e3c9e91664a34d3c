import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleMessage } from '../../src/mail-in/mail-in.service.js';
import { MessageRefused, maxMessageBytes } from '../../src/mail-in/message-reader.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type ApiClient, apiClient, sessionsAndClients } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

const run = promisify(execFile);
const repository = path.resolve(import.meta.dirname, '../..');
export const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name));

let t: TestApp;
let riley: CurrentUser;
let dana: CurrentUser;
let outsider: CurrentUser;
let harbor: { id: number };
let fjord: { id: number };
let maria: { id: number };
let tom: { id: number };
let anna: { id: number };
let api: ApiClient;

const counts = async () => ({
  touchpoints: Number((await t.db.selectFrom('touchpoints').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
  messages: Number((await t.db.selectFrom('mail_messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
  suggestions: Number((await t.db.selectFrom('contact_suggestions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
  signals: Number((await t.db.selectFrom('departure_signals').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
});

beforeAll(async () => {
  t = await createTestApp();
  dana = await t.make.user({ role: 'manager', name: 'Dana Whitfield', email: 'dana@seller.test' });
  riley = await t.make.user({ name: 'Riley Morgan', email: 'riley@seller.test', manager: dana, time_zone: 'America/Chicago' });
  outsider = await t.make.user({ name: 'Olga Other', email: 'olga@seller.test' });
  harbor = await t.make.account(riley, { name: 'Harbor Dental Group' });
  fjord = await t.make.account(riley, { name: 'Blue Fjord' });
  maria = await t.make.contact(riley, harbor.id, { name: 'Maria Lopez', email: 'maria.lopez@harbordental.test', roles: ['decision_maker'] });
  tom = await t.make.contact(riley, harbor.id, { name: 'Tom Baker', email: 'tom.baker@harbordental.test', roles: ['user'] });
  anna = await t.make.contact(riley, fjord.id, { name: 'Anna Berg', email: 'anna.berg@bluefjord.test', roles: ['decision_maker'] });
  api = apiClient(t.app, await t.make.apiToken(riley));
});
afterAll(() => t.close());

describe('an email with contacts becomes a touchpoint', () => {
  it('logs it once on the account: contacts matched case-insensitively, colleagues left out, subject as summary, own words as notes', async () => {
    const outcome = await handleMessage(t.db, t.clock, riley, fixture('email-from-contact.eml'));
    expect(outcome).toEqual({ kind: 'touchpoints', accountIds: [harbor.id], suggestions: 1 });
    const { body } = await api.get(`/accounts/${harbor.id}/touchpoints`).expect(200);
    expect(body.data).toHaveLength(1);
    const [touchpoint] = body.data;
    expect(touchpoint).toMatchObject({
      kind: 'email',
      source: 'email',
      message_id: 'CAF7x9=renewal-1@mail.harbordental.test',
      summary: 'Re: Toner contract renewal',
      occurred_at: '2026-11-20T09:14:55.000Z',
      author_id: riley.id,
    });
    expect(touchpoint.contact_ids.sort()).toEqual([maria.id, tom.id].sort());
    expect(touchpoint.internal_notes).toContain('sign the renewal for three years');
    expect(touchpoint.internal_notes).not.toContain('wrote:');
    expect(touchpoint.internal_notes).not.toContain('+1 555 0100');
    expect(touchpoint.internal_notes).not.toContain('<script>');
    // Ken is at Harbor Dental's domain but not in the chain: a suggestion, not a contact.
    const suggestion = await t.db.selectFrom('contact_suggestions').selectAll().executeTakeFirstOrThrow();
    expect(suggestion).toMatchObject({ account_id: harbor.id, email: 'ken.ito@harbordental.test', name: 'Ken Ito', status: 'open' });
  });

  it('seen again (INBOX and Sent, BCC and forward) it is handled once; seen by the manager it is not logged twice', async () => {
    const before = await counts();
    expect(await handleMessage(t.db, t.clock, riley, fixture('email-from-contact.eml'))).toEqual({ kind: 'duplicate' });
    expect(await handleMessage(t.db, t.clock, dana, fixture('email-from-contact.eml'))).toEqual({ kind: 'duplicate' });
    expect((await counts()).touchpoints).toBe(before.touchpoints);
  });

  it('an HTML-only email sent by the rep is logged as text, with nothing of the HTML kept', async () => {
    await handleMessage(t.db, t.clock, riley, fixture('email-sent-html-only.eml'));
    const { body } = await api.get(`/accounts/${fjord.id}/touchpoints`).expect(200);
    expect(body.data[0]).toMatchObject({ kind: 'email', summary: 'Usage review next week', contact_ids: [anna.id] });
    expect(body.data[0].internal_notes).toContain('usage report on Tuesday');
    expect(body.data[0].internal_notes).not.toMatch(/<|color:red|Sent:/);
  });

  it('a conversation forwarded inline is logged from its own sender, recipients and date', async () => {
    await handleMessage(t.db, t.clock, riley, fixture('forward-inline-gmail.eml'));
    const touchpoint = await t.db.selectFrom('touchpoints').selectAll().where('message_id', '=', 'CAB+fwd-tray@mail.gmail.com').executeTakeFirstOrThrow();
    expect(touchpoint).toMatchObject({ account_id: harbor.id, summary: 'Broken tray on the second floor', occurred_at: '2026-11-16T15:12:00.000Z' });
    expect(touchpoint.internal_notes).toContain('paper tray on the second-floor copier');
    const participants = await t.db.selectFrom('touchpoint_contacts').select('contact_id').where('touchpoint_id', '=', touchpoint.id).execute();
    expect(participants.map((row) => row.contact_id).sort()).toEqual([maria.id, tom.id].sort());
  });

  it('a conversation forwarded as an attachment is logged from the attached message', async () => {
    await handleMessage(t.db, t.clock, riley, fixture('forward-attached-outlook.eml'));
    const touchpoint = await t.db.selectFrom('touchpoints').selectAll().where('summary', '=', 'Invoice question').executeTakeFirstOrThrow();
    expect(touchpoint).toMatchObject({ account_id: fjord.id, occurred_at: '2026-11-10T10:05:00.000Z', source: 'email' });
  });
});

describe('mail that is none of our business', () => {
  it('is discarded without storing anything', async () => {
    const before = await counts();
    expect(await handleMessage(t.db, t.clock, riley, fixture('unrelated-newsletter.eml'))).toMatchObject({ kind: 'discarded' });
    expect(await counts()).toEqual(before);
  });

  it("is discarded for a user who may not see the contact's account", async () => {
    const before = await counts();
    expect(await handleMessage(t.db, t.clock, outsider, fixture('email-from-contact.eml'))).toMatchObject({ kind: 'discarded' });
    expect(await counts()).toEqual(before);
  });
});

describe('someone new at a known account', () => {
  it("becomes a suggestion with a clean name (no header injection), never a contact", async () => {
    const contactsBefore = await t.db.selectFrom('contacts').select('id').execute();
    expect(await handleMessage(t.db, t.clock, riley, fixture('unknown-at-account-domain.eml'))).toEqual({ kind: 'suggestions', count: 1 });
    const suggestion = await t.db.selectFrom('contact_suggestions').selectAll().where('email', '=', 'sofia.ruiz@harbordental.test').executeTakeFirstOrThrow();
    expect(suggestion.name).toBe('Sofía Ruiz Bcc: attacker@evil.test');
    expect(suggestion.name).not.toMatch(/[\r\n]/);
    expect(await t.db.selectFrom('contacts').select('id').execute()).toHaveLength(contactsBefore.length);
  });
});

describe('suggested contacts on the account page', () => {
  it('are confirmed or dismissed in one tap; another team is refused', async () => {
    const { as } = await sessionsAndClients(t, { riley, outsider });
    const page = await as.riley.agent.get(`/accounts/${harbor.id}`).expect(200);
    expect(page.text).toContain('New people in your mail');
    expect(page.text).toContain('ken.ito@harbordental.test');
    const ken = await t.db.selectFrom('contact_suggestions').selectAll().where('email', '=', 'ken.ito@harbordental.test').executeTakeFirstOrThrow();
    const sofia = await t.db.selectFrom('contact_suggestions').selectAll().where('email', '=', 'sofia.ruiz@harbordental.test').executeTakeFirstOrThrow();
    expect((await as.outsider.submit('/settings', `/contact-suggestions/${ken.id}/confirm`, {})).status).toBe(404);
    expect((await as.outsider.submit('/settings', `/contact-suggestions/${ken.id}/dismiss`, {})).status).toBe(404);

    const confirmed = await as.riley.submit(`/accounts/${harbor.id}`, `/contact-suggestions/${ken.id}/confirm`, {});
    expect(confirmed.headers.location).toBe(`/accounts/${harbor.id}`);
    const contact = await t.db.selectFrom('contacts').selectAll().where('email', '=', 'ken.ito@harbordental.test').executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ name: 'Ken Ito', account_id: harbor.id });
    await as.riley.submit(`/accounts/${harbor.id}`, `/contact-suggestions/${sofia.id}/dismiss`, {});
    expect(await t.db.selectFrom('contact_suggestions').select(['email', 'status']).orderBy('email').execute()).toEqual([
      { email: 'ken.ito@harbordental.test', status: 'confirmed' },
      { email: 'sofia.ruiz@harbordental.test', status: 'dismissed' },
    ]);
    expect((await as.riley.agent.get(`/accounts/${harbor.id}`)).text).not.toContain('New people in your mail');
  });
});

describe('hostile messages', () => {
  it('refuses a message over the size limit without reading it', async () => {
    const huge = Buffer.concat([fixture('unrelated-newsletter.eml'), Buffer.alloc(maxMessageBytes, 'a')]);
    await expect(handleMessage(t.db, t.clock, riley, huge)).rejects.toThrow(MessageRefused);
  });

  it('refuses bytes that are not a message', async () => {
    await expect(handleMessage(t.db, t.clock, riley, Buffer.from('\u0000\u0001garbage with no headers at all'))).rejects.toThrow(/not an RFC 5322 message/);
  });

  it('reads broken MIME (no closing boundary, bad encodings) without keeping anything half-written', async () => {
    const broken = Buffer.from(
      'From: tom.baker@harbordental.test\nTo: riley@seller.test\nSubject: broken\nMessage-ID: <broken-1@x>\nContent-Type: multipart/mixed; boundary="zz"\n\n--zz\nContent-Type: text/plain; charset=x-unknown\nContent-Transfer-Encoding: base64\n\n%%%not base64%%%\n--zz\nContent-Type: message/rfc822\n\n\u0000\u0001',
    );
    const outcome = await handleMessage(t.db, t.clock, riley, broken);
    expect(outcome.kind).toBe('touchpoints');
  });
});

// Each run starts a process through tsx: slow on a busy machine, hence the generous timeout.
describe('npm run cli -- mail-in', { timeout: 180_000 }, () => {
  const cli = (args: string[], input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(path.join(repository, 'node_modules/.bin/tsx'), ['src/cli.ts', 'mail-in', ...args], {
        cwd: repository,
        env: { ...process.env, DATABASE_URL: t.url, BASE_URL: 'http://buychain.test', LOG_LEVEL: 'silent' },
      }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
      child.stdin!.end(input ?? '');
    });

  it('handles a message from standard input (exit 0), a duplicate too, and refuses garbage with a one-line reason', async () => {
    const message = fixture('forward-attached-outlook.eml').toString().replace('fw-invoice-outer@seller.test', 'cli-1@seller.test').replace('invoice-q-1@bluefjord.test', 'cli-inner@bluefjord.test');
    const first = await cli(['--user', 'RILEY@seller.test'], message);
    expect(first).toMatchObject({ code: 0, stdout: 'Logged an email touchpoint on 1 account(s).\n' });
    expect(await cli(['--user', 'riley@seller.test'], message)).toMatchObject({ code: 0, stdout: 'Already handled (same Message-ID); nothing changed.\n' });
    const refused = await cli(['--user', 'riley@seller.test'], '\u0000garbage');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toEqual(['Refused: not an RFC 5322 message (no header lines)']);
  });

  it('reads a file, and discards unrelated mail with exit 0', async () => {
    const result = await cli(['--user', 'riley@seller.test', path.join(import.meta.dirname, 'fixtures', 'unrelated-newsletter.eml')]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^Discarded, nothing kept/);
  });
});
