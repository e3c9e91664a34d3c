import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type ApiClient, type Session, sessionsAndClients } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// Monday 23 November 2026, 14:00 UTC: already Tuesday 24 November, 03:00 in Auckland, where this rep works.

let t: TestApp;
let rep: CurrentUser;
let as: Record<'rep', Session>;
let api: Record<'rep', ApiClient>;
let accountId: number;
let deciderId: number;

beforeAll(async () => {
  t = await createTestApp();
  rep = await t.make.user({ name: 'Aroha Kiwi', time_zone: 'Pacific/Auckland' });
  ({ as, api } = await sessionsAndClients(t, { rep }));
  accountId = (await t.make.account(rep, { name: 'Harbour Dental' })).id;
  deciderId = (await t.make.contact(rep, accountId, { name: 'Mere Decider', roles: ['decision_maker'] })).id;
});
afterAll(() => t.close());

const promisesOf = () => t.db.selectFrom('commitments').select(['description', 'due_on', 'source']).where('account_id', '=', accountId).orderBy('id').execute();

describe('a next step without a due date', () => {
  it('becomes a promise due a week from the rep’s local today (API)', async () => {
    const response = await api.rep.post(`/accounts/${accountId}/touchpoints`, { contact_ids: [deciderId], kind: 'call', location: 'phone', next_step: 'Send the brochure' });
    expect(response.status).toBe(201);
    expect(response.body.next_step_due_on).toBe('2026-12-01');
    expect(await promisesOf()).toEqual([{ description: 'Send the brochure', due_on: '2026-12-01', source: 'touchpoint' }]);
  });

  it('is shown in the form as a week from today, editable, and ignored when no next step is written', async () => {
    const form = await as.rep.agent.get(`/accounts/${accountId}/touchpoints/new`);
    expect(form.text).toMatch(/name="next_step_due_on" type="date" value="2026-12-01"/);
    expect(form.text).toContain('A week from today unless you change it');

    const fields = { kind: 'meeting', location: 'customer_office', contact_ids: String(deciderId), next_step_due_on: '2026-12-01', next_step_default_due_on: '2026-12-01' };
    const quiet = await as.rep.submit(`/accounts/${accountId}/touchpoints/new`, `/accounts/${accountId}/touchpoints`, { ...fields, next_step: '' });
    expect(quiet.status).toBe(302);
    expect(await promisesOf()).toHaveLength(1);

    const changed = await as.rep.submit(`/accounts/${accountId}/touchpoints/new`, `/accounts/${accountId}/touchpoints`, { ...fields, next_step: 'Book the demo', next_step_due_on: '2026-11-27' });
    expect(changed.status).toBe(302);
    const kept = await as.rep.submit(`/accounts/${accountId}/touchpoints/new`, `/accounts/${accountId}/touchpoints`, { ...fields, next_step: 'Call back about the fees' });
    expect(kept.status).toBe(302);
    expect((await promisesOf()).slice(1)).toEqual([
      { description: 'Book the demo', due_on: '2026-11-27', source: 'touchpoint' },
      { description: 'Call back about the fees', due_on: '2026-12-01', source: 'touchpoint' },
    ]);
  });
});
