import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentUser } from '../../src/users/users.service.js';
import { apiClient } from '../support/scenarios.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

// The playbook keeps itself true: the departure form asks for the date and says what it means,
// the contact reads one date, successors never "became" decision-maker in the future, edits are
// recorded as made in the departure form, a touchpoint with the successor ticks its steps, the
// report prepared for them is presented with one button, and overtaken steps close with a reason.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp(); // Monday 23 Nov 2026
});
afterAll(() => t.close());

async function bluewater(rep: CurrentUser) {
  const account = await t.make.account(rep, { name: 'Bluewater Law', openedDaysAgo: 200 });
  const james = await t.make.contact(rep, account.id, { name: 'James Whitaker', roles: ['boss'] });
  const maria = await t.make.contact(rep, account.id, { name: 'Maria Lopez', roles: ['decision_maker'], reports_to_contact_id: james.id });
  const ken = await t.make.contact(rep, account.id, { name: 'Ken Ito', roles: [] });
  return { account, james, maria, ken };
}

const steps = (contactId: number) =>
  t.db.selectFrom('commitments').select(['id', 'playbook_step', 'done_at', 'closed_reason']).where('departed_contact_id', '=', contactId).orderBy('id').execute();

describe('the departure form', () => {
  it('has no default date, requires one and says what it means', async () => {
    const rep = await t.make.user();
    const { maria } = await bluewater(rep);
    const session = await signIn(t.app, rep);
    const form = await session.agent.get(`/contacts/${maria.id}/departure`);
    expect(form.text).toContain('Is Maria Lopez leaving, or gone?');
    expect(form.text).toMatch(/name="left_on"[^>]*value=""/);
    expect(form.text).toContain('A date after today: they are leaving and still there until then. Today or earlier: they have left.');

    const missing = await session.submit(`/contacts/${maria.id}/departure`, `/contacts/${maria.id}/departure`, { left_on: '', notice: 'surprise', destination: 'Acme Legal' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Choose the day they leave (a date after today) or the day they left (today or earlier)');
    expect(missing.text).toContain('value="Acme Legal"');
    expect(await steps(maria.id)).toHaveLength(0);
  });

  it('a future date: "Leaving on …"; then the real day, earlier: "Left on …", never both', async () => {
    const rep = await t.make.user();
    const { maria, ken } = await bluewater(rep);
    const session = await signIn(t.app, rep);
    const leaving = await session.submit(`/contacts/${maria.id}/departure`, `/contacts/${maria.id}/departure`, {
      left_on: '2027-01-15',
      notice: 'told_in_advance',
      replacement_contact_id: String(ken.id),
    });
    expect(leaving.status).toBe(302);
    let page = await session.agent.get(`/contacts/${maria.id}`);
    expect(page.text).toContain('<dt>Status</dt><dd>Leaving on 15 Jan 2027</dd>');
    // Ken takes over on her leaving day.
    expect((await t.db.selectFrom('contacts').select('started_in_role_on').where('id', '=', ken.id).executeTakeFirstOrThrow()).started_in_role_on).toBe('2027-01-15');

    // She went earlier than announced: Ken decides from that day, never from a future one.
    await session.submit(`/contacts/${maria.id}/departure`, `/contacts/${maria.id}/departure`, { left_on: '2026-11-20', notice: 'told_in_advance' });
    page = await session.agent.get(`/contacts/${maria.id}`);
    expect(page.text).toContain('<dt>Status</dt><dd>Left on 20 Nov 2026</dd>');
    expect((await t.db.selectFrom('contacts').select('started_in_role_on').where('id', '=', ken.id).executeTakeFirstOrThrow()).started_in_role_on).toBe('2026-11-20');
    const kenPage = await session.agent.get(`/contacts/${ken.id}`);
    expect(kenPage.text).toContain('<dt>In this role since</dt><dd>20 Nov 2026</dd>');

    // The change history says where the edits were made.
    expect(page.text).toContain('in the departure form');
    expect(page.text).not.toContain('learned at a');
    expect(kenPage.text).toContain('in the departure form');
  });
});

describe('steps that tick and close themselves', () => {
  it('a touchpoint with the successor ticks "meet them before the handover"; an outside coffee ticks the coffee', async () => {
    const rep = await t.make.user();
    const { account, maria, ken } = await bluewater(rep);
    const api = apiClient(t.app, await t.make.apiToken(rep));
    await api.post(`/contacts/${maria.id}/departure`, { left_on: '2027-01-15', notice: 'told_in_advance', replacement_contact_id: ken.id });
    await api.post(`/accounts/${account.id}/touchpoints`, { contact_ids: [ken.id], kind: 'call', location: 'phone', occurred_at: '2026-11-23T10:00:00Z' });
    expect((await steps(maria.id)).find((step) => step.playbook_step === 'meet_successor')?.done_at).not.toBeNull();

    await api.post(`/contacts/${maria.id}/departure`, { left_on: '2026-11-23', notice: 'told_in_advance' });
    await api.post(`/accounts/${account.id}/touchpoints`, { contact_ids: [ken.id], kind: 'meal', location: 'customer_office', occurred_at: '2026-11-23T12:00:00Z' });
    expect((await steps(maria.id)).find((step) => step.playbook_step === 'coffee')?.done_at).toBeNull();
    await api.post(`/accounts/${account.id}/touchpoints`, { contact_ids: [ken.id], kind: 'meal', location: 'outside_office', occurred_at: '2026-11-23T13:00:00Z' });
    expect((await steps(maria.id)).find((step) => step.playbook_step === 'coffee')?.done_at).not.toBeNull();
  });

  it('steps that no longer apply close with the reason shown on the account page', async () => {
    const rep = await t.make.user();
    const { account, maria } = await bluewater(rep);
    const session = await signIn(t.app, rep);
    await session.submit(`/contacts/${maria.id}/departure`, `/contacts/${maria.id}/departure`, { left_on: '2027-01-15', notice: 'told_in_advance', destination: 'Acme Legal' });
    expect((await steps(maria.id)).find((step) => step.playbook_step === 'ask_destination')).toMatchObject({ closed_reason: 'Acme Legal: where they went is already known' });
    await session.submit(`/contacts/${maria.id}/departure`, `/contacts/${maria.id}/departure`, { left_on: '2026-11-23', notice: 'told_in_advance', destination: 'Acme Legal' });
    const closed = (await steps(maria.id)).filter((step) => step.closed_reason !== null).map((step) => step.playbook_step);
    expect(closed.sort()).toEqual(['ask_destination', 'ask_introduction', 'meet_successor']);
    const page = await session.agent.get(`/accounts/${account.id}`);
    expect(page.text).toContain('no longer needed: Maria Lopez has left: the handover is over');
    expect(page.text).toContain('no longer needed: Acme Legal: where they went is already known');
  });
});

describe('"Presented to …" on the report prepared for the successor', () => {
  it('is a button (POST), never a side effect of viewing, and ticks "present the account history"', async () => {
    const rep = await t.make.user();
    const { account, maria, ken } = await bluewater(rep);
    const session = await signIn(t.app, rep);
    await session.submit(`/contacts/${maria.id}/departure`, `/contacts/${maria.id}/departure`, { left_on: '2026-11-20', notice: 'surprise', replacement_contact_id: String(ken.id) });
    const reportPage = `/accounts/${account.id}/report?prepared_for=${ken.id}`;
    const report = await session.agent.get(reportPage);
    expect(report.text).toContain(`action="/contacts/${ken.id}/history-presented"`);
    expect(report.text).toContain('Presented to Ken Ito');
    expect((await steps(maria.id)).find((step) => step.playbook_step === 'history_report')?.done_at).toBeNull();

    const presented = await session.submit(reportPage, `/contacts/${ken.id}/history-presented`, {});
    expect(presented.status).toBe(302);
    expect(presented.headers.location).toBe(`/accounts/${account.id}#playbook`);
    expect((await steps(maria.id)).find((step) => step.playbook_step === 'history_report')?.done_at).not.toBeNull();
    expect((await session.agent.get(reportPage)).text).not.toContain('Presented to Ken Ito');
    // A report for someone who succeeds nobody has no such button.
    expect((await session.agent.get(`/accounts/${account.id}/report?prepared_for=${maria.id}`)).text).not.toContain('history-presented');
  });

  it('refuses another team (404), on the page and in the API', async () => {
    const rep = await t.make.user();
    const { maria, ken } = await bluewater(rep);
    await apiClient(t.app, await t.make.apiToken(rep)).post(`/contacts/${maria.id}/departure`, { left_on: '2026-11-20', notice: 'surprise', replacement_contact_id: ken.id });
    const { manager: stranger } = await t.make.team('Elsewhere');
    const session = await signIn(t.app, stranger);
    expect((await session.submit('/accounts', `/contacts/${ken.id}/history-presented`, {})).status).toBe(404);
    expect((await apiClient(t.app, await t.make.apiToken(stranger)).post(`/contacts/${ken.id}/history-presented`, {})).status).toBe(404);
    expect((await steps(maria.id)).find((step) => step.playbook_step === 'history_report')?.done_at).toBeNull();
  });
});
