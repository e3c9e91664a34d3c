import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(); // Monday 23 Nov 2026
});
afterAll(() => t.close());

async function harborDental(rep: CurrentUser) {
  const account = await t.make.account(rep, { name: 'Harbor Dental' });
  const boss = await t.make.contact(rep, account.id, { name: 'Ken Ito', roles: ['boss'] });
  const tom = await t.make.contact(rep, account.id, { name: 'Tom Alvarez', roles: ['decision_maker'], reports_to_contact_id: boss.id });
  const priya = await t.make.contact(rep, account.id, { name: 'Priya Shah', roles: ['user', 'champion'] });
  await t.make.touchpoint(rep, account.id, { contact_ids: [tom.id, priya.id], kind: 'coffee', location: 'outside_office', occurred_at: '2026-11-16T12:30:00Z' });
  return { account, boss, tom, priya };
}

const playbookSteps = (contactId: number) =>
  t.db
    .selectFrom('commitments')
    .select(['playbook_step', 'description', 'due_on', 'done_at', 'contact_id'])
    .where('departed_contact_id', '=', contactId)
    .orderBy('id')
    .execute();

async function riskCodes(token: string, accountId: number) {
  const response = await supertest(t.app).get(`/api/v1/accounts/${accountId}/risk`).set('Authorization', `Bearer ${token}`);
  expect(response.status).toBe(200);
  return (response.body.flags as { code: string }[]).map((flag) => flag.code);
}

describe('a decision-maker leaves by surprise', () => {
  it('records it from the page, creates the replacement inline and the recovery steps, and the flags follow', async () => {
    const rep = await t.make.user({ name: 'Riley Rep' });
    const token = await t.make.apiToken(rep);
    const { account, tom, boss } = await harborDental(rep);
    const session = await signIn(t.app, rep);

    // Tom reports to Ken: his successor is offered the same line, pre-ticked.
    const form = await session.agent.get(`/contacts/${tom.id}/departure`);
    expect(form.text).toMatch(/<input type="checkbox" name="successor_takes_reporting_line" value="1" checked> The successor reports to Ken Ito, as Tom Alvarez does/);
    const response = await session.submit(`/contacts/${tom.id}/departure`, `/contacts/${tom.id}/departure`, {
      left_on: '2026-11-20',
      notice: 'surprise',
      destination: 'Acme Imaging',
      replacement_contact_id: '',
      new_replacement: { name: 'Ana Ruiz', title: 'Practice Manager', email: '' },
      successor_takes_reporting_line: ['0', '1'],
    });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`/accounts/${account.id}#playbook`);

    const left = await t.db.selectFrom('contacts').selectAll().where('id', '=', tom.id).executeTakeFirstOrThrow();
    expect(left).toMatchObject({ status: 'left', left_on: '2026-11-20', departure_notice: 'surprise', departure_destination: 'Acme Imaging' });
    const ana = await t.db.selectFrom('contacts').selectAll().where('name', '=', 'Ana Ruiz').executeTakeFirstOrThrow();
    expect(left.replacement_contact_id).toBe(ana.id);
    expect(ana.started_in_role_on).toBe('2026-11-20');
    expect(ana.reports_to_contact_id).toBe(boss.id);
    const anaRoles = await t.db.selectFrom('contact_roles').select('role').where('contact_id', '=', ana.id).execute();
    expect(anaRoles.map((row) => row.role)).toEqual(['decision_maker']);

    const steps = await playbookSteps(tom.id);
    expect(steps.map((step) => step.playbook_step)).toEqual(['introduce', 'coffee', 'history_report', 'enlist_advocates', 'review_chain', 'follow_leaver']);
    expect(steps[0]).toMatchObject({ description: 'Introduce yourself to Ana Ruiz and offer help', due_on: '2026-11-25', contact_id: ana.id });
    // Champions first, then the warmest others: Ken Ito was never met, so he is not asked.
    expect(steps[3]!.description).toBe('Ask Priya Shah to speak to Ana Ruiz on your behalf');
    expect(steps[5]!.description).toBe('Find Tom Alvarez at Acme Imaging — they are the best possible new customer');

    const page = await session.agent.get(`/accounts/${account.id}`);
    expect(page.text).toContain('Recovery playbook');
    expect(page.text).toContain('Tom Alvarez left — 0 of 6 steps done');

    const codes = await riskCodes(token, account.id);
    expect(codes).not.toContain('key_contact_left_unreplaced');
    expect(codes).not.toContain('no_decision_maker');
    expect(codes).toContain('new_key_contact');

    // One click from the account page ticks a step off.
    const introduce = await t.db.selectFrom('commitments').select('id').where('departed_contact_id', '=', tom.id).where('playbook_step', '=', 'introduce').executeTakeFirstOrThrow();
    const done = await session.submit(`/accounts/${account.id}`, `/commitments/${introduce.id}`, { done: '1', return_to: `/accounts/${account.id}#playbook` });
    expect(done.headers.location).toBe(`/accounts/${account.id}#playbook`);
    expect((await session.agent.get(`/accounts/${account.id}`)).text).toContain('Tom Alvarez left — 1 of 6 steps done');
  });

  it('leaves the successor’s reporting line alone when the box is unticked', async () => {
    const rep = await t.make.user({ name: 'Unticked Rep' });
    const { tom, priya } = await harborDental(rep);
    const session = await signIn(t.app, rep);
    const response = await session.submit(`/contacts/${tom.id}/departure`, `/contacts/${tom.id}/departure`, {
      left_on: '2026-11-20',
      notice: 'surprise',
      replacement_contact_id: String(priya.id),
      successor_takes_reporting_line: '0',
    });
    expect(response.status).toBe(302);
    expect(await t.db.selectFrom('contacts').select('reports_to_contact_id').where('id', '=', priya.id).executeTakeFirst()).toEqual({ reports_to_contact_id: null });
  });

  it('follows the person who left to their new company, once', async () => {
    const rep = await t.make.user();
    const { tom } = await harborDental(rep);
    const session = await signIn(t.app, rep);
    await session.submit(`/contacts/${tom.id}/departure`, `/contacts/${tom.id}/departure`, { left_on: '2026-11-20', notice: 'surprise', destination: 'Acme Imaging' });

    const follow = await session.submit(`/contacts/${tom.id}`, `/contacts/${tom.id}/follow`, {});
    expect(follow.status).toBe(302);
    const prospect = await t.db.selectFrom('accounts').selectAll().where('origin_contact_id', '=', tom.id).executeTakeFirstOrThrow();
    expect(follow.headers.location).toBe(`/accounts/${prospect.id}`);
    expect(prospect).toMatchObject({ name: 'Acme Imaging', status: 'prospect', owner_id: rep.id });
    const firstContact = await t.db.selectFrom('contacts').select('name').where('account_id', '=', prospect.id).execute();
    expect(firstContact).toEqual([{ name: 'Tom Alvarez' }]);
    expect((await playbookSteps(tom.id)).find((step) => step.playbook_step === 'follow_leaver')!.done_at).not.toBeNull();

    await session.submit(`/contacts/${tom.id}`, `/contacts/${tom.id}/follow`, {});
    expect(await t.db.selectFrom('accounts').select('id').where('origin_contact_id', '=', tom.id).execute()).toHaveLength(1);
  });
});

describe('the departure API', () => {
  it('told in advance: leaving steps first, then the left steps; posting again never duplicates', async () => {
    const rep = await t.make.user();
    const token = await t.make.apiToken(rep);
    const { account, tom, boss } = await harborDental(rep);
    const api = () => supertest(t.app).post(`/api/v1/contacts/${tom.id}/departure`).set('Authorization', `Bearer ${token}`);

    const leaving = await api().send({ left_on: '2026-12-18', notice: 'told_in_advance' });
    expect(leaving.status).toBe(200);
    expect(leaving.body).toMatchObject({ id: tom.id, status: 'leaving', leaving_on: '2026-12-18', notice: 'told_in_advance' });
    expect((await playbookSteps(tom.id)).map((step) => step.playbook_step)).toEqual(['ask_introduction', 'meet_successor', 'ask_destination']);
    expect(await riskCodes(token, account.id)).toContain('key_contact_leaving');

    // Later the rep learns who takes over: named, not duplicated.
    const named = await api().send({ left_on: '2026-12-18', notice: 'told_in_advance', replacement_contact_id: String(boss.id) });
    expect(named.body.replacement_contact_id).toBe(boss.id);
    const steps = await playbookSteps(tom.id);
    expect(steps).toHaveLength(3);
    expect(steps[1]!.description).toBe('Meet Ken Ito before Tom Alvarez hands over');

    // The day comes: the left steps are added once.
    t.clock.set('2026-12-19T15:00:00Z');
    try {
      await api().send({ left_on: '2026-12-18', notice: 'told_in_advance', destination: 'Acme Imaging' });
      await api().send({ left_on: '2026-12-18', notice: 'told_in_advance', destination: 'Acme Imaging' });
      expect(await playbookSteps(tom.id)).toHaveLength(9);
      const codes = await riskCodes(token, account.id);
      expect(codes).not.toContain('key_contact_leaving');
      expect(codes).not.toContain('key_contact_left_unreplaced');
    } finally {
      t.clock.set('2026-11-23T14:00:00.000Z');
    }
  });

  it('a decision-maker gone with nobody named raises key_contact_left_unreplaced until someone is', async () => {
    const rep = await t.make.user();
    const token = await t.make.apiToken(rep);
    const { account, tom, priya } = await harborDental(rep);
    const api = () => supertest(t.app).post(`/api/v1/contacts/${tom.id}/departure`).set('Authorization', `Bearer ${token}`);
    await api().send({ left_on: '2026-11-01', notice: 'surprise' });
    expect(await riskCodes(token, account.id)).toEqual(expect.arrayContaining(['key_contact_left_unreplaced', 'no_decision_maker']));

    await api().send({ left_on: '2026-11-01', notice: 'surprise', replacement_contact_id: priya.id });
    const codes = await riskCodes(token, account.id);
    expect(codes).not.toContain('key_contact_left_unreplaced');
    expect(codes).not.toContain('no_decision_maker');
    const promoted = await t.db.selectFrom('contact_roles').select('role').where('contact_id', '=', priya.id).orderBy('role').execute();
    expect(promoted.map((row) => row.role)).toEqual(['champion', 'decision_maker', 'user']);
  });

  it('answers 400 naming bad fields, and 404 for another team’s contact', async () => {
    const rep = await t.make.user();
    const token = await t.make.apiToken(rep);
    const { tom } = await harborDental(rep);
    const bad = await supertest(t.app)
      .post(`/api/v1/contacts/${tom.id}/departure`)
      .set('Authorization', `Bearer ${token}`)
      .send({ left_on: '2026-02-30', notice: 'ghosted' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['left_on', 'notice']);
    expect((await t.db.selectFrom('contacts').select('status').where('id', '=', tom.id).executeTakeFirstOrThrow()).status).toBe('active');

    const { manager: otherManager } = await t.make.team('Other');
    const otherToken = await t.make.apiToken(otherManager);
    const refused = await supertest(t.app)
      .post(`/api/v1/contacts/${tom.id}/departure`)
      .set('Authorization', `Bearer ${otherToken}`)
      .send({ left_on: '2026-11-20', notice: 'surprise' });
    expect(refused.status).toBe(404);
    const otherSession = await signIn(t.app, otherManager);
    expect((await otherSession.agent.get(`/contacts/${tom.id}/departure`)).status).toBe(404);
    expect((await otherSession.submit('/accounts', `/contacts/${tom.id}/follow`, {})).status).toBe(404);
    expect(await playbookSteps(tom.id)).toHaveLength(0);
  });

  it('keeps what the rep typed when the departure form fails', async () => {
    const rep = await t.make.user();
    const { tom } = await harborDental(rep);
    const session = await signIn(t.app, rep);
    const response = await session.submit(`/contacts/${tom.id}/departure`, `/contacts/${tom.id}/departure`, {
      left_on: '2026-11-20',
      destination: 'Acme Imaging',
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain('value="Acme Imaging"');
    expect(response.text).toContain('Did they tell you in advance, or was it a surprise?');
  });
});

describe('marking a contact leaving by PATCH', () => {
  it('starts the leaving playbook for a decision-maker, not for a user', async () => {
    const rep = await t.make.user();
    const token = await t.make.apiToken(rep);
    const { tom, priya } = await harborDental(rep);
    const patch = (id: number) => supertest(t.app).patch(`/api/v1/contacts/${id}`).set('Authorization', `Bearer ${token}`);
    expect((await patch(tom.id).send({ status: 'leaving', leaving_on: '2026-12-18', notice: 'told_in_advance' })).status).toBe(200);
    expect((await playbookSteps(tom.id)).map((step) => step.playbook_step)).toEqual(['ask_introduction', 'meet_successor', 'ask_destination']);
    expect((await patch(priya.id).send({ status: 'leaving' })).status).toBe(200);
    expect(await playbookSteps(priya.id)).toHaveLength(0);
  });
});
