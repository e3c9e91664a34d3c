import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';

let t: TestApp;
let rep: CurrentUser;
beforeAll(async () => {
  t = await createTestApp();
  rep = await t.make.user({ name: 'Riley Rep', time_zone: 'America/Chicago' });
});
afterAll(() => t.close());

/** Maria decides; nobody else is known yet. */
async function newAccount(name: string) {
  const account = await t.make.account(rep, { name });
  const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez', title: 'Practice Administrator', roles: ['decision_maker'] });
  return { account, maria };
}

const formOf = (accountId: number) => `/accounts/${accountId}/touchpoints/new`;
const count = async (table: 'touchpoints' | 'contacts' | 'commitments', accountId: number) =>
  (await t.db.selectFrom(table).select('id').where('account_id', '=', accountId).execute()).length;

describe('the touchpoint form after a meeting', () => {
  it('logs a coffee with a known and a new person and says what changed, risk included', async () => {
    const { account, maria } = await newAccount('Harbor Dental');
    const session = await signIn(t.app, rep);
    const response = await session.submit(formOf(account.id), `/accounts/${account.id}/touchpoints`, {
      kind: 'coffee',
      location: 'outside_office',
      occurred_at: '2026-11-23T07:30',
      contact_ids: [String(maria.id)],
      new_contacts: { 0: { name: 'Ken Ito', title: 'Managing Partner', roles: 'boss' }, 1: { name: '', title: '', roles: '' } },
      summary: 'Coffee before clinic hours.',
    });
    expect(response.status).toBe(302);
    const page = await session.agent.get(`/accounts/${account.id}`);
    expect(page.text).toMatch(/Logged coffee with Ken Ito, Maria Lopez · added Ken Ito \(decision-maker&#x27;s boss\) · risk \d+ → \d+/);
    const touchpoint = await t.db.selectFrom('touchpoints').selectAll().where('account_id', '=', account.id).executeTakeFirstOrThrow();
    expect(touchpoint.occurred_at).toBe('2026-11-23T13:30:00.000Z'); // 07:30 in Chicago
  });

  it('saves what was learned about each person in the same transaction, in their audit trail', async () => {
    const { account, maria } = await newAccount('Bluewater Law');
    const session = await signIn(t.app, rep);
    const response = await session.submit(formOf(account.id), `/accounts/${account.id}/touchpoints`, {
      kind: 'meeting',
      location: 'customer_office',
      contact_ids: [String(maria.id)],
      contact_updates: {
        [`c${maria.id}`]: { roles_shown: '1', title: 'Chief Operating Officer', roles: ['decision_maker', 'champion'], reports_to_contact_id: '', note: 'Training for a marathon in April.' },
      },
    });
    expect(response.status).toBe(302);
    const updated = await t.db.selectFrom('contacts').select(['title']).where('id', '=', maria.id).executeTakeFirstOrThrow();
    expect(updated.title).toBe('Chief Operating Officer');
    const touchpoint = await t.db.selectFrom('touchpoints').select('id').where('account_id', '=', account.id).executeTakeFirstOrThrow();
    const audit = await t.db.selectFrom('audit_events').select(['action', 'changes', 'context']).where('entity_id', '=', maria.id).where('entity_type', '=', 'contact').orderBy('id').execute();
    const learned = audit.filter((entry) => entry.context === `touchpoint:${touchpoint.id}`);
    expect(learned.map((entry) => entry.action)).toEqual(['updated', 'noted']);
    expect(JSON.parse(learned[0]!.changes)).toEqual({ title: ['Practice Administrator', 'Chief Operating Officer'], roles: [['decision_maker'], ['decision_maker', 'champion']] });
    const contactPage = await session.agent.get(`/contacts/${maria.id}`);
    expect(contactPage.text).toContain('Training for a marathon in April.');
    expect(contactPage.text).toContain('learned at a');
  });

  it('"heard they are leaving" on the decision-maker raises the flag and starts the leaving playbook', async () => {
    const { account, maria } = await newAccount('Cedar Ridge');
    const session = await signIn(t.app, rep);
    await session.submit(formOf(account.id), `/accounts/${account.id}/touchpoints`, {
      kind: 'call',
      location: 'phone',
      contact_ids: [String(maria.id)],
      contact_updates: { [`c${maria.id}`]: { roles_shown: '1', title: 'Practice Administrator', roles: ['decision_maker'], leaving: '1', leaving_on: '2026-12-31', notice: 'told_in_advance' } },
    });
    const contact = await t.db.selectFrom('contacts').selectAll().where('id', '=', maria.id).executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ status: 'leaving', leaving_on: '2026-12-31', departure_notice: 'told_in_advance' });
    const steps = await t.db.selectFrom('commitments').select('playbook_step').where('departed_contact_id', '=', maria.id).execute();
    expect(steps.map((step) => step.playbook_step).sort()).toEqual(['ask_destination', 'ask_introduction', 'meet_successor']);
    const page = await session.agent.get(`/accounts/${account.id}`);
    expect(page.text).toContain('Maria Lopez (decision-maker) is leaving on 31 Dec 2026.');
  });

  it('rejects the whole submission when one row is bad, keeps the typing and puts the error beside the row', async () => {
    const { account, maria } = await newAccount('Summit Realty');
    const bystander = await t.make.contact(rep, account.id, { name: 'Kayla Reed', roles: ['user'] });
    const session = await signIn(t.app, rep);
    const response = await session.submit(formOf(account.id), `/accounts/${account.id}/touchpoints`, {
      kind: 'meeting',
      location: 'customer_office',
      contact_ids: [String(maria.id)],
      summary: 'Walked through the lease renewal.',
      new_contacts: { 0: { name: 'Derek Olsen', title: 'Broker', roles: 'boss' } },
      contact_updates: { [`c${bystander.id}`]: { roles_shown: '1', title: 'Office Coordinator', roles: ['user'] } },
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain('Update only people who took part');
    expect(response.text).toContain('Walked through the lease renewal.');
    expect(response.text).toContain('value="Derek Olsen"');
    expect(response.text).toContain('value="Office Coordinator"');
    expect(await count('touchpoints', account.id)).toBe(0);
    expect(await count('contacts', account.id)).toBe(2);
  });
});

describe('gap prompts', () => {
  it('asks exactly the questions whose flags are raised, and an answer closes the gap', async () => {
    const { account, maria } = await newAccount('Pinecrest Medical');
    const session = await signIn(t.app, rep);
    const form = await session.agent.get(formOf(account.id));
    expect(form.text).toContain('Did you learn who Maria Lopez reports to?');
    expect(form.text).toContain('Did you meet anyone who uses what you sell day to day?');
    expect(form.text).toContain('Who else has a say in the purchase?');
    expect(form.text).not.toContain('Did you learn who makes the decision?');
    expect(form.text).not.toContain('Who will decide after');

    const response = await session.agent
      .post(`/accounts/${account.id}/touchpoints`)
      .type('form')
      .send({
        _csrf: csrfTokenIn(form.text),
        kind: 'meeting',
        location: 'customer_office',
        contact_ids: [String(maria.id)],
        gap_answers: { boss: { name: 'Robert Chen', title: 'COO', contact_id: '' }, user: { name: 'Aisha Bello', contact_id: '' }, influencer: { name: '', contact_id: '' } },
      });
    expect(response.status).toBe(302);
    const robert = await t.db.selectFrom('contacts').selectAll().where('name', '=', 'Robert Chen').executeTakeFirstOrThrow();
    expect((await t.db.selectFrom('contacts').select('reports_to_contact_id').where('id', '=', maria.id).executeTakeFirstOrThrow()).reports_to_contact_id).toBe(robert.id);
    const aisha = await t.db.selectFrom('contacts').select(['id', 'touchpoint_count']).where('name', '=', 'Aisha Bello').executeTakeFirstOrThrow();
    expect(aisha.touchpoint_count).toBe(1); // met at this meeting

    const after = await session.agent.get(formOf(account.id));
    expect(after.text).not.toContain('reports to?');
    expect(after.text).not.toContain('uses what you sell');
    expect(after.text).toContain('Who else has a say in the purchase?');
  });

  it('asks who will decide after a leaving decision-maker, and names the successor', async () => {
    const { account, maria } = await newAccount('Oakwood Senior Living');
    const token = await t.make.apiToken(rep);
    await supertest(t.app).patch(`/api/v1/contacts/${maria.id}`).set('Authorization', `Bearer ${token}`).send({ status: 'leaving', leaving_on: '2026-12-31' });
    const session = await signIn(t.app, rep);
    const form = await session.agent.get(formOf(account.id));
    expect(form.text).toContain('Who will decide after Maria Lopez leaves?');
    await session.agent
      .post(`/accounts/${account.id}/touchpoints`)
      .type('form')
      .send({ _csrf: csrfTokenIn(form.text), kind: 'call', location: 'phone', contact_ids: [String(maria.id)], gap_answers: { successor: { name: 'Diane Foster', contact_id: '', for_contact_id: String(maria.id) } } });
    const diane = await t.db.selectFrom('contacts').select('id').where('name', '=', 'Diane Foster').executeTakeFirstOrThrow();
    expect((await t.db.selectFrom('contacts').select('replacement_contact_id').where('id', '=', maria.id).executeTakeFirstOrThrow()).replacement_contact_id).toBe(diane.id);
    const roles = await t.db.selectFrom('contact_roles').select('role').where('contact_id', '=', diane.id).execute();
    expect(roles.map((row) => row.role)).toEqual(['decision_maker']);
    expect((await session.agent.get(formOf(account.id))).text).not.toContain('Who will decide after');
    const steps = await t.db.selectFrom('commitments').select('description').where('departed_contact_id', '=', maria.id).where('playbook_step', '=', 'meet_successor').executeTakeFirstOrThrow();
    expect(steps.description).toBe('Meet Diane Foster before Maria Lopez hands over');
  });
});

describe('the same through the API', () => {
  it('applies contact_updates and new_contacts in one transaction', async () => {
    const { account, maria } = await newAccount('Granite Insurance');
    const token = await t.make.apiToken(rep);
    const response = await supertest(t.app)
      .post(`/api/v1/accounts/${account.id}/touchpoints`)
      .set('Authorization', `Bearer ${token}`)
      .send({
        contact_ids: [maria.id],
        kind: 'coffee',
        occurred_at: '2026-11-23T07:30:00-06:00',
        location: 'outside_office',
        contact_updates: [{ contact_id: maria.id, status: 'leaving', leaving_on: '2027-01-15', notice: 'surprise' }],
        new_contacts: [{ name: 'Ben Carter', roles: ['influencer'] }],
      });
    expect(response.status).toBe(201);
    expect(response.body.contact_ids).toHaveLength(2);
    expect(response.body.occurred_at).toBe('2026-11-23T13:30:00.000Z');
    const risk = await supertest(t.app).get(`/api/v1/accounts/${account.id}/risk`).set('Authorization', `Bearer ${token}`);
    expect(risk.body.flags.map((flag: { code: string }) => flag.code)).toContain('key_contact_leaving');
    expect(await count('commitments', account.id)).toBe(3);
  });

  it('saves nothing when one part names a contact of another account', async () => {
    const { account, maria } = await newAccount('Riverside Architects');
    const { maria: stranger } = await newAccount('Somewhere Else');
    const token = await t.make.apiToken(rep);
    const response = await supertest(t.app)
      .post(`/api/v1/accounts/${account.id}/touchpoints`)
      .set('Authorization', `Bearer ${token}`)
      .send({
        contact_ids: [maria.id],
        kind: 'meeting',
        location: 'customer_office',
        new_contacts: [{ name: 'Emma Fischer', roles: ['user'] }],
        contact_updates: [{ contact_id: stranger.id, title: 'Boss' }],
      });
    expect(response.status).toBe(400);
    expect(response.body.error.fields).toHaveProperty(['contact_updates.0.contact_id']);
    expect(await count('touchpoints', account.id)).toBe(0);
    expect(await count('contacts', account.id)).toBe(1);
  });
});

describe('testimonial links', () => {
  it('accept only web addresses', async () => {
    const { account, maria } = await newAccount('Link Check Inc');
    const token = await t.make.apiToken(rep);
    const post = (url: string) =>
      supertest(t.app)
        .post(`/api/v1/accounts/${account.id}/touchpoints`)
        .set('Authorization', `Bearer ${token}`)
        .send({ contact_ids: [maria.id], kind: 'meeting', location: 'customer_office', testimonial_url: url });
    const script = await post('javascript:alert(1)');
    expect(script.status).toBe(400);
    expect(script.body.error.fields.testimonial_url).toBe('Enter a full link starting with https://');
    expect((await post('https://reviews.example.com/harbor-dental')).status).toBe(201);
  });
});
