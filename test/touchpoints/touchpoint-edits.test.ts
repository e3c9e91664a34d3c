import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp, testNow } from '../support/test-app.js';
import { type ApiClient, type Session, postForm, sessionsAndClients, twoTeams } from '../support/scenarios.js';

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
type Who = 'rep' | 'teammate' | 'manager' | 'outsider' | 'admin';
let as: Record<Who, Session>;
let api: Record<Who, ApiClient>;

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  ({ as, api } = await sessionsAndClients(t, { rep: people.rep, teammate: people.teammate, manager: people.manager, outsider: people.outsider, admin: people.admin }));
});
afterAll(() => t.close());

/** Maria decides and was met for coffee outside the office last week; Ken uses the product. */
async function account(name: string) {
  const created = await t.make.account(people.rep, { name });
  // Opened months ago, so a decision-maker never met outside the office is overdue.
  await t.db.updateTable('accounts').set({ created_at: '2026-09-01T00:00:00.000Z' }).where('id', '=', created.id).execute();
  const maria = await t.make.contact(people.rep, created.id, { name: `${name} Maria`, roles: ['decision_maker'] });
  const ken = await t.make.contact(people.rep, created.id, { name: `${name} Ken`, roles: ['user'] });
  const coffee = await t.make.touchpoint(people.rep, created.id, {
    contact_ids: [maria.id],
    kind: 'coffee',
    location: 'outside_office',
    occurred_at: '2026-11-16T13:30:00Z',
    summary: 'Coffee; she said the CFO is an idiot.',
    next_step: 'Send the lease options',
    next_step_due_on: '2026-11-30',
  });
  return { account: created, maria, ken, coffee };
}

const contactRow = (id: number) => t.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const accountRow = (id: number) => t.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const flagsOf = async (accountId: number) => ((await api.rep.get(`/accounts/${accountId}/risk`)).body.flags as { code: string }[]).map((flag) => flag.code);
const auditOf = (touchpointId: number) =>
  t.db.selectFrom('audit_events').selectAll().where('entity_type', '=', 'touchpoint').where('entity_id', '=', touchpointId).orderBy('id').execute();

describe('correcting a touchpoint', () => {
  it('the edit page changes any field, keeps the change in the audit trail, and the report shows the correction', async () => {
    const { account: acct, coffee } = await account('Edit Page Co');
    const page = await as.rep.agent.get(`/touchpoints/${coffee.id}/edit`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Coffee; she said the CFO is an idiot.');
    expect(page.text).toContain('value="2026-11-16T13:30"');

    const response = await as.rep.submit(`/touchpoints/${coffee.id}/edit`, `/touchpoints/${coffee.id}`, {
      kind: 'coffee',
      location: 'outside_office',
      occurred_at: '2026-11-16T13:30',
      contact_ids: String(coffee.contacts[0]!.id),
      summary: 'Coffee; talked about the lease.',
      internal_notes: '',
      value_delivered: '',
      next_step: 'Send the lease options',
      next_step_due_on: '2026-11-30',
      testimonial_url: '',
    });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`/accounts/${acct.id}`);
    const saved = await t.db.selectFrom('touchpoints').selectAll().where('id', '=', coffee.id).executeTakeFirstOrThrow();
    expect(saved.summary).toBe('Coffee; talked about the lease.');
    const [audit] = await auditOf(coffee.id);
    expect(audit).toMatchObject({ action: 'updated', user_id: people.rep.id, account_id: acct.id });
    expect(JSON.parse(audit!.changes)).toEqual({ summary: ['Coffee; she said the CFO is an idiot.', 'Coffee; talked about the lease.'] });

    const report = await as.rep.agent.get(`/accounts/${acct.id}/report`);
    expect(report.text).toContain('Coffee; talked about the lease.');
    expect(report.text).not.toContain('idiot');
    expect((await as.rep.agent.get(`/touchpoints/${coffee.id}/edit`)).text).toContain('Change history');
  });

  it('a failed edit comes back with the typing kept and the error beside the field', async () => {
    const { coffee } = await account('Edit Error Co');
    const response = await as.rep.submit(`/touchpoints/${coffee.id}/edit`, `/touchpoints/${coffee.id}`, {
      kind: 'meeting',
      location: 'customer_office',
      occurred_at: '2026-11-16T13:30',
      summary: 'Typed but not saved',
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-contact_ids">Tick who was there/);
    expect(response.text).toContain('Typed but not saved');
    expect((await t.db.selectFrom('touchpoints').select('kind').where('id', '=', coffee.id).executeTakeFirstOrThrow()).kind).toBe('coffee');
  });

  it('PATCH moves the touch summaries, the risk and the promise at once', async () => {
    const { account: acct, maria, ken, coffee } = await account('Patch Co');
    expect(await flagsOf(acct.id)).not.toContain('decision_maker_meeting_overdue');
    const versionBefore = (await accountRow(acct.id)).risk_version;

    // It was a call with Ken, not a coffee with Maria.
    const response = await api.rep.patch(`/touchpoints/${coffee.id}`, {
      kind: 'call',
      location: 'phone',
      contact_ids: [ken.id],
      occurred_at: '2026-11-17T09:00:00-06:00',
      next_step_due_on: '2026-12-04',
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: coffee.id, kind: 'call', location: 'phone', contact_ids: [ken.id], occurred_at: '2026-11-17T15:00:00.000Z' });

    expect(await contactRow(maria.id)).toMatchObject({ touchpoint_count: 0, last_touch_at: null, last_outside_meeting_at: null });
    expect(await contactRow(ken.id)).toMatchObject({ touchpoint_count: 1, last_touch_at: '2026-11-17T15:00:00.000Z', last_outside_meeting_at: null });
    expect(await accountRow(acct.id)).toMatchObject({ last_touchpoint_at: '2026-11-17T15:00:00.000Z' });
    expect((await accountRow(acct.id)).risk_version).toBeGreaterThan(versionBefore);
    expect(await flagsOf(acct.id)).toContain('decision_maker_meeting_overdue');
    const participants = await t.db.selectFrom('touchpoint_contacts').selectAll().where('touchpoint_id', '=', coffee.id).execute();
    expect(participants).toEqual([expect.objectContaining({ contact_id: ken.id, kind: 'call', location: 'phone', occurred_at: '2026-11-17T15:00:00.000Z' })]);
    const promise = await t.db.selectFrom('commitments').selectAll().where('touchpoint_id', '=', coffee.id).executeTakeFirstOrThrow();
    expect(promise).toMatchObject({ due_on: '2026-12-04', contact_id: ken.id });
    expect(JSON.parse((await auditOf(coffee.id)).at(-1)!.changes)).toMatchObject({ kind: ['coffee', 'call'], contact_ids: [[maria.id], [ken.id]] });
  });

  it('PATCH answers 400 naming each bad field and saves nothing', async () => {
    const { coffee } = await account('Patch Error Co');
    const nobody = await api.rep.patch(`/touchpoints/${coffee.id}`, { contact_ids: [] });
    expect(nobody.status).toBe(400);
    expect(nobody.body.error.fields).toHaveProperty('contact_ids');
    const bad = await api.rep.patch(`/touchpoints/${coffee.id}`, { kind: 'lunch', testimonial_url: 'ftp://x' });
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['kind', 'testimonial_url']);
    const future = await api.rep.patch(`/touchpoints/${coffee.id}`, { occurred_at: '2026-11-28T10:00:00Z', next_step: null });
    expect(Object.keys(future.body.error.fields).sort()).toEqual(['next_step', 'occurred_at']);
    // A note needs nobody.
    expect((await api.rep.patch(`/touchpoints/${coffee.id}`, { kind: 'note', contact_ids: [] })).status).toBe(200);
  });

  it('the author, the owner, the manager and an admin may correct; a teammate and another team get 404', async () => {
    const { coffee } = await account('Who May Co');
    for (const who of ['teammate', 'outsider'] as const) {
      expect((await api[who].get(`/touchpoints/${coffee.id}`)).status, who).toBe(404);
      expect((await api[who].patch(`/touchpoints/${coffee.id}`, { summary: 'x' })).status, who).toBe(404);
      expect((await api[who].delete(`/touchpoints/${coffee.id}`)).status, who).toBe(404);
      expect((await as[who].agent.get(`/touchpoints/${coffee.id}/edit`)).status, who).toBe(404);
      expect((await as[who].agent.get(`/touchpoints/${coffee.id}/delete`)).status, who).toBe(404);
      expect((await postForm(as[who], `/touchpoints/${coffee.id}/delete`)).status, who).toBe(404);
    }
    for (const who of ['rep', 'manager', 'admin'] as const)
      expect((await api[who].patch(`/touchpoints/${coffee.id}`, { summary: `Fixed by ${who}` })).status, who).toBe(200);
    expect((await api.rep.get('/touchpoints/abc')).status).toBe(404);
    expect((await api.rep.get('/touchpoints/999999')).status).toBe(404);

    // The account moves to the teammate: the rep still may correct what they wrote.
    await t.db.updateTable('accounts').set({ owner_id: people.teammate.id }).where('id', '=', coffee.account_id).execute();
    expect((await api.rep.patch(`/touchpoints/${coffee.id}`, { summary: 'Author fix' })).status).toBe(200);
    expect((await api.teammate.get(`/touchpoints/${coffee.id}`)).status).toBe(200);
  });
});

describe('deleting a touchpoint', () => {
  it('asks first, then takes it out of the timeline, report and risk; restorable for 30 days', async () => {
    const { account: acct, maria, coffee } = await account('Delete Co');
    const confirm = await as.rep.agent.get(`/touchpoints/${coffee.id}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('restore it for 30 days');

    const response = await postForm(as.rep, `/touchpoints/${coffee.id}/delete`);
    expect(response.status).toBe(302);
    expect(await t.db.selectFrom('touchpoints').select('id').where('id', '=', coffee.id).executeTakeFirst()).toBeUndefined();
    expect(await contactRow(maria.id)).toMatchObject({ touchpoint_count: 0, last_touch_at: null });
    expect(await accountRow(acct.id)).toMatchObject({ last_touchpoint_at: null });
    expect(await flagsOf(acct.id)).toEqual(expect.arrayContaining(['decision_maker_meeting_overdue', 'account_gone_quiet']));
    expect((await as.rep.agent.get(`/accounts/${acct.id}/report`)).text).not.toContain('idiot');
    expect((await as.rep.agent.get(`/accounts/${acct.id}`)).text).not.toContain('idiot');
    expect((await api.rep.get(`/touchpoints/${coffee.id}`)).status).toBe(404);
    // The promise made that day is still a promise.
    expect(await t.db.selectFrom('commitments').select(['touchpoint_id']).where('account_id', '=', acct.id).execute()).toEqual([{ touchpoint_id: null }]);
    const [deleted] = await auditOf(coffee.id);
    expect(deleted).toMatchObject({ action: 'deleted', user_id: people.rep.id });
    expect(deleted!.changes).not.toContain('idiot');

    const list = await as.rep.agent.get(`/accounts/${acct.id}/touchpoints/deleted`);
    expect(list.text).toContain('Coffee; she said the CFO is an idiot.');
    expect((await api.manager.get(`/accounts/${acct.id}/touchpoints/deleted`)).body.data).toEqual([
      expect.objectContaining({ id: coffee.id, kind: 'coffee', deleted_by: people.rep.name, restorable_until: '2026-12-23T14:00:00.000Z' }),
    ]);
    for (const who of ['teammate', 'outsider'] as const) {
      expect((await api[who].get(`/accounts/${acct.id}/touchpoints/deleted`)).status, who).toBe(404);
      expect((await api[who].post(`/touchpoints/${coffee.id}/restore`, {})).status, who).toBe(404);
      expect((await postForm(as[who], `/touchpoints/${coffee.id}/restore`)).status, who).toBe(404);
    }

    const restored = await postForm(as.manager, `/touchpoints/${coffee.id}/restore`);
    expect(restored.status).toBe(302);
    expect((await api.rep.get(`/touchpoints/${coffee.id}`)).body).toMatchObject({ id: coffee.id, contact_ids: [maria.id], summary: 'Coffee; she said the CFO is an idiot.' });
    expect(await contactRow(maria.id)).toMatchObject({ touchpoint_count: 1, last_outside_meeting_at: '2026-11-16T13:30:00.000Z' });
    expect(await flagsOf(acct.id)).not.toContain('decision_maker_meeting_overdue');
    expect(await t.db.selectFrom('commitments').select(['touchpoint_id']).where('account_id', '=', acct.id).execute()).toEqual([{ touchpoint_id: coffee.id }]);
    expect((await auditOf(coffee.id)).map((event) => event.action)).toEqual(['deleted', 'restored']);
  });

  it('DELETE answers 204; after 30 days the deletion is final', async () => {
    const { account: acct, coffee } = await account('Gone Co');
    expect((await api.admin.delete(`/touchpoints/${coffee.id}`)).status).toBe(204);
    expect((await api.rep.delete(`/touchpoints/${coffee.id}`)).status).toBe(404);
    try {
      t.clock.set('2026-12-24T14:00:00Z');
      expect((await api.rep.get(`/accounts/${acct.id}/touchpoints/deleted`)).body.data).toEqual([]);
      expect((await api.rep.post(`/touchpoints/${coffee.id}/restore`, {})).status).toBe(404);
      // The next deletion anywhere purges what is past the window.
      const other = await account('Gone Later Co');
      expect((await api.rep.delete(`/touchpoints/${other.coffee.id}`)).status).toBe(204);
      expect(await t.db.selectFrom('deleted_touchpoints').select('touchpoint_id').execute()).toEqual([{ touchpoint_id: other.coffee.id }]);
    } finally {
      t.clock.set(testNow);
    }
  });
});

describe('nobody there', () => {
  it('a coffee with nobody ticked is refused beside the field with the typing kept; a note is fine', async () => {
    const { account: acct } = await account('Nobody Co');
    const form = `/accounts/${acct.id}/touchpoints/new`;
    const refused = await as.rep.submit(form, `/accounts/${acct.id}/touchpoints`, { kind: 'coffee', location: 'outside_office', occurred_at: '2026-11-23T07:30', summary: 'Lovely chat' });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/id="error-contact_ids">Tick who was there, or add someone new/);
    expect(refused.text).toContain('Lovely chat');
    const api400 = await api.rep.post(`/accounts/${acct.id}/touchpoints`, { kind: 'email', location: 'virtual', contact_ids: [] });
    expect(api400.status).toBe(400);
    expect(api400.body.error.fields).toHaveProperty('contact_ids');
    expect((await api.rep.post(`/accounts/${acct.id}/touchpoints`, { kind: 'call', location: 'phone', new_contacts: [{ name: 'Someone New' }] })).status).toBe(201);
    expect((await api.rep.post(`/accounts/${acct.id}/touchpoints`, { kind: 'note', location: 'phone', summary: 'Heard they are expanding' })).status).toBe(201);
  });
});
