import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { pino } from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import { isPostgres } from '../../src/db/dialect.js';
import { createMailer } from '../../src/mail/mailer.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// Two app instances writing to the same account at once, as two processes behind a load balancer
// would: on PostgreSQL each has its own pool (under `npm run test:pg`), so their transactions really
// overlap and lock rows against each other. On SQLite they share the file's one connection: a second
// connection in this process would wait for the write lock synchronously, stalling the very event
// loop that has to finish the first one (two SQLite processes are covered in test/multi-process).

let t: TestApp;
let second: { db: Db; app: ReturnType<typeof createApp> };
let rep: CurrentUser;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  const db = isPostgres(t.db) ? t.reconnect() : t.db;
  const config = parseConfig({ DATABASE_URL: t.url, BASE_URL: 'http://buychain.test', LOG_LEVEL: 'silent' });
  const mailer = createMailer({ from: 'test@buychain.test', outboxFolder: mkdtempSync(path.join(os.tmpdir(), 'buychain-outbox-')) });
  second = { db, app: createApp({ db, clock: t.clock, mailer, config, logger: pino({ level: 'silent' }) }) };
  const team = await t.make.team('Load');
  rep = team.rep;
  token = await t.make.apiToken(rep);
});
afterAll(async () => {
  if (second.db !== t.db) await second.db.destroy();
  await t.close();
});

/** The API of one instance or the other, alternately, as a load balancer would spread requests. */
const instances = () => [t.app, second.app];
const api = (index: number) => {
  const app = instances()[index % 2]!;
  const auth = (request: supertest.Test) => request.set('Authorization', `Bearer ${token}`);
  return {
    get: (url: string) => auth(supertest(app).get(`/api/v1${url}`)),
    post: (url: string, body: object) => auth(supertest(app).post(`/api/v1${url}`)).send(body),
    patch: (url: string, body: object) => auth(supertest(app).patch(`/api/v1${url}`)).send(body),
  };
};

describe('a mixed write load on one account through two app instances', () => {
  it('answers every request: touchpoints that update and add people, contact edits, promises, complaints', async () => {
    const account = await t.make.account(rep, { name: 'Contended Corp' });
    const people = await Promise.all(
      ['Ada Park', 'Ben Osei', 'Cleo Diaz', 'Dev Rao'].map((name, index) => t.make.contact(rep, account.id, { name, roles: index === 0 ? ['decision_maker'] : ['user'] })),
    );
    const requests: Promise<supertest.Response>[] = [];
    for (let round = 0; round < 12; round++) {
      const [someone, other] = [people[round % people.length]!, people[(round + 1) % people.length]!];
      requests.push(
        api(round).post(`/accounts/${account.id}/touchpoints`, {
          contact_ids: [someone.id, other.id],
          kind: 'meeting',
          location: 'customer_office',
          summary: `Round ${round}`,
          contact_updates: [{ contact_id: someone.id, title: `Title ${round}` }, { contact_id: other.id, roles: ['user', 'influencer'] }],
          new_contacts: [{ name: `Newcomer ${round}`, roles: ['user'] }],
        }),
        api(round + 1).patch(`/contacts/${other.id}`, { phone: `555 01${String(round).padStart(2, '0')}` }),
        api(round).patch(`/contacts/${someone.id}`, { preferred_time: `Round ${round}` }),
        api(round + 1).post(`/accounts/${account.id}/commitments`, { description: `Promise ${round}`, due_on: '2026-12-01', contact_id: other.id }),
        api(round).post(`/accounts/${account.id}/complaints`, { category: 'billing', issue: `Issue ${round}`, contact_id: someone.id }),
      );
    }
    const responses = await Promise.all(requests);
    const failed = responses.filter((response) => response.status >= 300).map((response) => `${response.status} ${JSON.stringify(response.body)}`);
    expect(failed).toEqual([]);

    const touchpoints = await t.db.selectFrom('touchpoints').select('id').where('account_id', '=', account.id).execute();
    const contacts = await t.db.selectFrom('contacts').select('id').where('account_id', '=', account.id).execute();
    expect(touchpoints).toHaveLength(12);
    expect(contacts).toHaveLength(4 + 12);
  });
});

describe('corrections beside the write load on one account, through two app instances', () => {
  it('answers every request: touchpoint edits and deletions, contact merges, new touchpoints and contact edits', async () => {
    const account = await t.make.account(rep, { name: 'Corrected Corp' });
    const people = await Promise.all(['Eve Ames', 'Finn Ngo', 'Gus Lee'].map((name) => t.make.contact(rep, account.id, { name, roles: ['user'] })));
    const twins = await Promise.all([1, 2, 3, 4].map((n) => t.make.contact(rep, account.id, { name: `Twin ${n}`, roles: ['influencer'] })));
    const logged = await Promise.all(
      [0, 1, 2, 3, 4, 5, 6].map((n) => api(n).post(`/accounts/${account.id}/touchpoints`, { contact_ids: [people[n % 3]!.id, twins[n % 4]!.id], kind: 'call', location: 'phone', summary: `Call ${n}` })),
    );
    expect(logged.map((response) => response.status)).toEqual([201, 201, 201, 201, 201, 201, 201]);
    const touchpointIds = logged.map((response) => (response.body as { id: number }).id);

    const requests: Promise<supertest.Response>[] = [];
    for (let round = 0; round < 6; round++) {
      const someone = people[round % 3]!;
      requests.push(
        api(round).patch(`/touchpoints/${touchpointIds[round]}`, { summary: `Call ${round}, corrected`, contact_ids: [someone.id, people[(round + 1) % 3]!.id] }),
        api(round + 1).post(`/accounts/${account.id}/touchpoints`, { contact_ids: [someone.id], kind: 'meeting', location: 'customer_office', summary: `Meeting ${round}`, contact_updates: [{ contact_id: someone.id, title: `Title ${round}` }] }),
        api(round).patch(`/contacts/${someone.id}`, { preferred_time: `Round ${round}` }),
      );
    }
    requests.push(
      api(0).post(`/contacts/${twins[1]!.id}/merge`, { into_contact_id: twins[0]!.id }),
      api(1).post(`/contacts/${twins[3]!.id}/merge`, { into_contact_id: twins[2]!.id }),
      supertest(t.app).delete(`/api/v1/touchpoints/${touchpointIds[6]}`).set('Authorization', `Bearer ${token}`),
    );
    const responses = await Promise.all(requests);
    expect(responses.filter((response) => response.status >= 300).map((response) => `${response.status} ${JSON.stringify(response.body)}`)).toEqual([]);

    const touchpoints = await t.db.selectFrom('touchpoints').select(['id', 'summary']).where('account_id', '=', account.id).execute();
    expect(touchpoints).toHaveLength(7 + 6 - 1);
    expect(touchpoints.filter((touchpoint) => touchpoint.summary.endsWith('corrected'))).toHaveLength(6);
    const contacts = await t.db.selectFrom('contacts').select('id').where('account_id', '=', account.id).execute();
    expect(contacts).toHaveLength(3 + 2);
  });
});

describe('simultaneous edits of one contact from the same version, through two app instances', () => {
  it('lands ten changes to ten different fields, on each of several contacts at once', async () => {
    const account = await t.make.account(rep, { name: 'Many Hands Ltd' });
    const boss = await t.make.contact(rep, account.id, { name: 'Bo Boss', roles: ['boss'] });
    const contacts = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => t.make.contact(rep, account.id, { name: `Iris Young ${n}`, roles: ['user'] })));
    // Each contact gets an email of its own: an account holds one contact per address.
    const changesFor = (n: number) => [
      { title: 'Head of Facilities' },
      { email: `iris${n}@manyhands.example` },
      { phone: '555 0110' },
      { started_in_role_on: '2026-03-01' },
      { birthday: '04-12' },
      { preferred_channel: 'phone' },
      { preferred_time: 'Before 9am' },
      { roles: ['user', 'champion'] },
      { reports_to_contact_id: boss.id },
      { status: 'leaving' },
    ];
    const edits = contacts.flatMap((contact, n) => changesFor(n).map((change, index) => ({ contact, change, index })));
    const responses = await Promise.all(edits.map(({ contact, change, index }) => api(index).patch(`/contacts/${contact.id}`, { version: 1, ...change })));
    expect(responses.filter((response) => response.status !== 200).map((response) => `${response.status} ${JSON.stringify(response.body)}`)).toEqual([]);

    for (const [n, contact] of contacts.entries()) {
      const saved = (await api(0).get(`/contacts/${contact.id}`)).body as Record<string, unknown>;
      const changes = changesFor(n);
      expect(saved).toMatchObject({ ...Object.assign({}, ...changes), version: 1 + changes.length });
    }
  });

  it('still refuses a change to a field someone else changed since that version (409)', async () => {
    const account = await t.make.account(rep, { name: 'Clash Co' });
    const contact = await t.make.contact(rep, account.id, { name: 'Sam Clash', title: 'Buyer' });
    const responses = await Promise.all(['Chief Buyer', 'Head Buyer', 'Lead Buyer'].map((title, index) => api(index).patch(`/contacts/${contact.id}`, { version: 1, title })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409, 409]);
    const winner = responses.find((response) => response.status === 200)!.body as { title: string };
    expect(responses.filter((response) => response.status === 409).map((response) => response.body.error.fields)).toEqual([
      { title: `Changed by Load Rep to “${winner.title}”` },
      { title: `Changed by Load Rep to “${winner.title}”` },
    ]);
  });
});
