import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleMessage } from '../../src/mail-in/mail-in.service.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type ApiClient, type Session, sessionsAndClients, twoTeams } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// The departure corpus: real-format automatic replies, bounces and their look-alikes
// (test/mail-in/fixtures/corpus, listed with what each should raise in corpus.json).

const corpusFolder = path.join(import.meta.dirname, 'fixtures', 'corpus');
const corpus = JSON.parse(readFileSync(path.join(corpusFolder, 'corpus.json'), 'utf8')) as {
  departures: { file: string; contact: string; kind: string; successor: { name: string; email: string; existing?: boolean } | null }[];
  not_departures: string[];
};
const message = (file: string) => readFileSync(path.join(corpusFolder, file));

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let rep: CurrentUser;
let as: Record<'rep' | 'manager' | 'outsider', Session>;
let api: Record<'rep' | 'manager' | 'outsider', ApiClient>;
const contactIds = new Map<string, number>();
const accountIds = new Map<string, number>();

beforeAll(async () => {
  t = await createTestApp({ now: '2026-12-02T15:00:00.000Z' });
  people = await twoTeams(t);
  rep = people.rep;
  ({ as, api } = await sessionsAndClients(t, { rep: people.rep, manager: people.manager, outsider: people.outsider }));
  const chains: Record<string, [string, string, ('decision_maker' | 'boss' | 'user')[]][]> = {
    'Harbor Dental Group': [
      ['Maria Lopez', 'maria.lopez@harbordental.test', ['decision_maker']],
      ['Tom Baker', 'tom.baker@harbordental.test', ['user']],
      ['Priya Shah', 'priya.shah@harbordental.test', ['boss']],
    ],
    'Blue Fjord': [
      ['Anna Berg', 'anna.berg@bluefjord.test', ['decision_maker']],
      ['Lars Nilsen', 'lars.nilsen@bluefjord.test', ['boss']],
      ['Erik Lund', 'erik.lund@bluefjord.test', ['user']],
    ],
    'Kupfer AG': [['Jonas Weber', 'jonas.weber@kupfer.test', ['decision_maker']]],
    'Lumière SA': [['Claire Martin', 'claire.martin@lumiere.test', ['decision_maker']]],
    Soltec: [
      ['Lucía García', 'lucia.garcia@soltec.test', ['decision_maker']],
      ['Nadia Haddad', 'nadia.haddad@soltec.test', ['user']],
    ],
  };
  for (const [accountName, contacts] of Object.entries(chains)) {
    const account = await t.make.account(rep, { name: accountName });
    accountIds.set(accountName, account.id);
    for (const [name, email, roles] of contacts) contactIds.set(email, (await t.make.contact(rep, account.id, { name, email, roles })).id);
  }
});
afterAll(() => t.close());

const openSignals = () => t.db.selectFrom('departure_signals').selectAll().where('status', '=', 'open').execute();

describe('departure detection on the corpus', () => {
  it('finds every departure (recall 1) and takes no out-of-office reply or delay for one (precision 1), with the right contact and successor', async () => {
    const touchpointsBefore = await t.db.selectFrom('touchpoints').select('id').execute();
    for (const file of corpus.not_departures) expect({ file, outcome: await handleMessage(t.db, t.clock, rep, message(file)) }).toMatchObject({ file, outcome: { kind: 'discarded' } });
    expect(await openSignals()).toEqual([]);

    let found = 0;
    for (const expected of corpus.departures) {
      const outcome = await handleMessage(t.db, t.clock, rep, message(expected.file));
      expect({ file: expected.file, outcome }).toEqual({ file: expected.file, outcome: { kind: 'departure_signals', contactIds: [contactIds.get(expected.contact)] } });
      const signal = await t.db.selectFrom('departure_signals').selectAll().where('contact_id', '=', contactIds.get(expected.contact)!).executeTakeFirstOrThrow();
      expect({ file: expected.file, kind: signal.kind, name: signal.replacement_name, email: signal.replacement_email }).toEqual({
        file: expected.file,
        kind: expected.kind,
        name: expected.successor?.name ?? null,
        email: expected.successor?.email ?? null,
      });
      expect(signal.replacement_contact_id).toBe(expected.successor?.existing ? contactIds.get(expected.successor.email)! : null);
      found++;
    }
    expect(found).toBe(corpus.departures.length);
    // Automatic replies and bounces are signals, never touchpoints.
    expect(await t.db.selectFrom('touchpoints').select('id').execute()).toEqual(touchpointsBefore);
  });

  it('a signal is raised once however often the message is seen', async () => {
    const before = (await openSignals()).length;
    expect(await handleMessage(t.db, t.clock, rep, message('departure-exchange-online-en.eml'))).toEqual({ kind: 'duplicate' });
    expect(await handleMessage(t.db, t.clock, people.manager, message('departure-exchange-online-en.eml'))).toMatchObject({ kind: 'departure_signals' });
    expect((await openSignals()).length).toBe(before);
  });
});

describe('departure signals in the product', () => {
  it('raise possible_departure (high for a decision-maker) and show on the account page and the contact', async () => {
    const harbor = accountIds.get('Harbor Dental Group')!;
    const { body: risk } = await api.rep.get(`/accounts/${harbor}/risk`).expect(200);
    const flags = risk.flags.filter((flag: { code: string }) => flag.code === 'possible_departure');
    expect(flags).toContainEqual(
      expect.objectContaining({
        severity: 'high',
        contact_id: contactIds.get('maria.lopez@harbordental.test'),
        message: expect.stringContaining('Maria Lopez (decision-maker) may have left: their automatic reply on 2 Dec 2026 says “Maria Lopez is no longer with Harbor Dental Group.”.'),
      }),
    );
    expect(flags).toContainEqual(expect.objectContaining({ severity: 'medium', contact_id: contactIds.get('tom.baker@harbordental.test') }));
    const page = await as.rep.agent.get(`/accounts/${harbor}`).expect(200);
    expect(page.text).toContain('Maria Lopez may have left:');
    expect(page.text).toContain('It names Ken Ito (ken.ito@harbordental.test)');
    const contactPage = await as.rep.agent.get(`/contacts/${contactIds.get('maria.lopez@harbordental.test')}`).expect(200);
    expect(contactPage.text).toContain('Maria Lopez may have left:');
  });

  it("appear in the manager's digest, in a small section of their own", async () => {
    const { body } = await api.manager.get(`/digest/preview?manager_id=${people.manager.id}&week=2026-W49`).expect(200);
    expect(body.possible_departures).toContainEqual(
      expect.objectContaining({
        account_name: 'Harbor Dental Group',
        contact_id: contactIds.get('maria.lopez@harbordental.test'),
        message: expect.stringContaining('Maria Lopez (decision-maker) may have left'),
      }),
    );
    expect(body.possible_departures).toHaveLength(corpus.departures.length);
  });

  it('are listed by the API with their fields, for those who may see the account only', async () => {
    const { body } = await api.rep.get('/departure-signals?status=open').expect(200);
    expect(body.data).toHaveLength(corpus.departures.length);
    const maria = body.data.find((signal: { contact_id: number }) => signal.contact_id === contactIds.get('maria.lopez@harbordental.test'));
    expect(maria).toEqual({
      id: expect.any(Number),
      contact_id: contactIds.get('maria.lopez@harbordental.test'),
      account_id: accountIds.get('Harbor Dental Group'),
      kind: 'auto_reply',
      received_at: '2026-12-02T08:01:10.000Z',
      excerpt: 'Maria Lopez is no longer with Harbor Dental Group.',
      replacement: { name: 'Ken Ito', email: 'ken.ito@harbordental.test' },
      status: 'open',
    });
    const anna = body.data.find((signal: { contact_id: number }) => signal.contact_id === contactIds.get('anna.berg@bluefjord.test'));
    expect(anna.replacement).toEqual({ contact_id: contactIds.get('erik.lund@bluefjord.test'), name: 'Erik Lund', email: 'erik.lund@bluefjord.test' });
    expect((await api.manager.get('/departure-signals').expect(200)).body.data).toHaveLength(corpus.departures.length);
    expect((await api.outsider.get('/departure-signals').expect(200)).body.data).toEqual([]);
    const invalid = await api.rep.get('/departure-signals?status=maybe').expect(400);
    expect(invalid.body.error.fields).toHaveProperty('status');
  });

  it("another team's user is refused (404) when confirming or dismissing", async () => {
    const [signal] = await openSignals();
    await api.outsider.post(`/departure-signals/${signal!.id}/confirm`, {}).expect(404);
    await api.outsider.post(`/departure-signals/${signal!.id}/dismiss`, {}).expect(404);
    await api.rep.post('/departure-signals/not-an-id/confirm', {}).expect(404);
    expect((await as.outsider.submit('/settings', `/departure-signals/${signal!.id}/dismiss`, {})).status).toBe(404);
    expect((await t.db.selectFrom('departure_signals').select('status').where('id', '=', signal!.id).executeTakeFirstOrThrow()).status).toBe('open');
  });

  it('confirming runs the departure flow pre-filled: a surprise, left on the reply day, the named successor created now', async () => {
    const mariaId = contactIds.get('maria.lopez@harbordental.test')!;
    const signal = (await openSignals()).find((row) => row.contact_id === mariaId)!;
    const { body } = await api.rep.post(`/departure-signals/${signal.id}/confirm`, {}).expect(200);
    expect(body.status).toBe('confirmed');
    const maria = await t.db.selectFrom('contacts').selectAll().where('id', '=', mariaId).executeTakeFirstOrThrow();
    expect(maria).toMatchObject({ status: 'left', left_on: '2026-12-02', departure_notice: 'surprise' });
    const ken = await t.db.selectFrom('contacts').selectAll().where('id', '=', maria.replacement_contact_id!).executeTakeFirstOrThrow();
    expect(ken).toMatchObject({ name: 'Ken Ito', email: 'ken.ito@harbordental.test', account_id: accountIds.get('Harbor Dental Group') });
    const steps = await t.db.selectFrom('commitments').select('playbook_step').where('departed_contact_id', '=', mariaId).execute();
    expect(steps.length).toBeGreaterThan(0);
    // Confirmed once; the flag is gone.
    await api.rep.post(`/departure-signals/${signal.id}/confirm`, {}).expect(400);
    const { body: risk } = await api.rep.get(`/accounts/${accountIds.get('Harbor Dental Group')}/risk`).expect(200);
    expect(risk.flags.filter((flag: { code: string; contact_id?: number }) => flag.code === 'possible_departure' && flag.contact_id === mariaId)).toEqual([]);
  });

  it('confirming takes overrides, and an existing successor is named without creating anyone', async () => {
    const annaId = contactIds.get('anna.berg@bluefjord.test')!;
    const signal = (await openSignals()).find((row) => row.contact_id === annaId)!;
    await api.rep.post(`/departure-signals/${signal.id}/confirm`, { left_on: 'soon' }).expect(400);
    await api.rep.post(`/departure-signals/${signal.id}/confirm`, { left_on: '2026-11-27', destination: 'Nordic Print' }).expect(200);
    const anna = await t.db.selectFrom('contacts').selectAll().where('id', '=', annaId).executeTakeFirstOrThrow();
    expect(anna).toMatchObject({ status: 'left', left_on: '2026-11-27', departure_destination: 'Nordic Print', replacement_contact_id: contactIds.get('erik.lund@bluefjord.test') });
  });

  it('one tap on the account page confirms or dismisses', async () => {
    const tomId = contactIds.get('tom.baker@harbordental.test')!;
    const tomSignal = (await openSignals()).find((row) => row.contact_id === tomId)!;
    const dismissed = await as.rep.submit(`/accounts/${tomSignal.account_id}`, `/departure-signals/${tomSignal.id}/dismiss`, {});
    expect(dismissed.status).toBe(302);
    expect((await t.db.selectFrom('contacts').select('status').where('id', '=', tomId).executeTakeFirstOrThrow()).status).toBe('active');
    expect((await api.rep.get('/departure-signals?status=dismissed').expect(200)).body.data.map((row: { id: number }) => row.id)).toEqual([tomSignal.id]);

    const jonasId = contactIds.get('jonas.weber@kupfer.test')!;
    const jonasSignal = (await openSignals()).find((row) => row.contact_id === jonasId)!;
    const confirmed = await as.rep.submit(`/accounts/${jonasSignal.account_id}`, `/departure-signals/${jonasSignal.id}/confirm`, {});
    expect(confirmed.headers.location).toBe(`/accounts/${jonasSignal.account_id}#playbook`);
    expect(await t.db.selectFrom('contacts').select(['status', 'left_on']).where('id', '=', jonasId).executeTakeFirstOrThrow()).toEqual({ status: 'left', left_on: '2026-12-01' });
  });
});

describe('the successor an automatic reply names', () => {
  it('is matched to the contact already there under a title ("Dr. Ken Ito" for "Ken Ito") when the address is new', async () => {
    const clinic = await t.make.account(rep, { name: 'Ito Family Clinic' });
    const sara = await t.make.contact(rep, clinic.id, { name: 'Sara Holm', email: 'sara.holm@itoclinic.test', roles: ['decision_maker'] });
    const ken = await t.make.contact(rep, clinic.id, { name: 'Dr. Ken Ito', roles: ['boss'] });
    const reply = [
      'From: Sara Holm <sara.holm@itoclinic.test>',
      `To: ${rep.name} <${rep.email}>`,
      'Subject: Automatic reply: Your renewal offer',
      'Auto-Submitted: auto-replied',
      'Message-ID: <auto-1@itoclinic.test>',
      'Date: Wed, 02 Dec 2026 09:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Sara Holm is no longer with Ito Family Clinic. Please contact Ken Ito at Ken.Ito@ItoClinic.test instead.',
      '',
    ].join('\r\n');
    expect(await handleMessage(t.db, t.clock, rep, Buffer.from(reply))).toEqual({ kind: 'departure_signals', contactIds: [sara.id] });
    const signal = await t.db.selectFrom('departure_signals').selectAll().where('contact_id', '=', sara.id).executeTakeFirstOrThrow();
    expect(signal).toMatchObject({ replacement_contact_id: ken.id, replacement_name: 'Ken Ito', replacement_email: 'ken.ito@itoclinic.test' });
  });
});
