import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDigestEmail } from '../../src/digest/digest.email.js';
import { buildDigest, findDigestRecipient } from '../../src/digest/digest.service.js';
import { handleMessage } from '../../src/mail-in/mail-in.service.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type ApiClient, type Session, sessionsAndClients } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { baseUrl, coveredAccount } from './digest-fixtures.js';

// Saturday 5 December 2026, 14:00 UTC: already Sunday 6 December, 03:00, for Dana in Auckland.
// Riley (Chicago) booked coffee with Maria for Thu 10 Dec, 07:30 Chicago time, from an invitation:
// that is Friday 11 December in Auckland, and the digest is read there.

const invitation = readFileSync(path.join(import.meta.dirname, '..', 'mail-in', 'fixtures', 'invitations', 'google-calendar-request.eml'));
const branding = { name: 'Seller Co', logo: null };

let t: TestApp;
let dana: CurrentUser;
let riley: CurrentUser;
let harbor: { id: number };
let maria: { id: number };
let as: Record<'dana', Session>;
let api: Record<'dana', ApiClient>;

const digestNow = async (db = t.db) => (await buildDigest(db, await findDigestRecipient(t.db, dana, dana.id), { now: t.clock.now(), baseUrl })).digest;

beforeAll(async () => {
  t = await createTestApp({ now: '2026-11-23T13:00:00Z' });
  dana = await t.make.user({ role: 'manager', name: 'Dana Manager', time_zone: 'Pacific/Auckland' });
  riley = await t.make.user({ name: 'Riley Morgan', email: 'riley@seller.test', time_zone: 'America/Chicago', manager: dana });
  harbor = await t.make.account(riley, { name: 'Harbor Dental Group', openedDaysAgo: 400 });
  maria = await t.make.contact(riley, harbor.id, { name: 'Maria Lopez', email: 'maria.lopez@harbordental.test', roles: ['decision_maker'] });
  await t.make.touchpoint(riley, harbor.id, { kind: 'coffee', location: 'outside_office', contact_ids: [maria.id], occurred_at: '2026-11-01T13:00:00Z' });
  // Overdue too, and nothing planned: still one to chase.
  await coveredAccount(t, riley, 'Old Mill', { lastCoffee: '2026-10-01T12:00:00Z' });
  ({ as, api } = await sessionsAndClients(t, { dana }));
  t.clock.set('2026-12-05T14:00:00Z');
});
afterAll(() => t.close());

describe('a decision-maker meeting overdue but already planned, in the manager’s digest', () => {
  it('costs no query: the same number with the planned coffee as without', async () => {
    let queries = 0;
    const counted = t.db.withPlugin({ transformQuery: ({ node }) => node, transformResult: async ({ result }) => (queries++, result) });
    await digestNow(counted);
    const without = queries;
    expect(await handleMessage(t.db, t.clock, riley, invitation)).toMatchObject({ kind: 'meetings' });
    queries = 0;
    const digest = await digestNow(counted);
    expect(queries).toBe(without);
    expect(digest.overdue_meetings).toEqual([
      expect.objectContaining({
        owner_name: 'Riley Morgan',
        meetings: [
          expect.objectContaining({ account_name: 'Old Mill', planned: null }),
          expect.objectContaining({ account_name: 'Harbor Dental Group', contact_name: 'Maria Lopez', planned: { contact_id: maria.id, contact_name: 'Maria Lopez', on: '2026-12-11' } }),
        ],
      }),
    ]);
  });

  it('says in the email that it is planned, and when, in the manager’s zone; the one not planned says nothing more', async () => {
    const email = await renderDigestEmail(await digestNow(), branding);
    expect(email.text).toContain('* Harbor Dental Group: no meeting with Maria Lopez outside the office — 4 days overdue; coffee with Maria Lopez planned for Fri 11 Dec\n');
    expect(email.text).toMatch(/\* Old Mill: no meeting with Old Mill Decider outside the office — \d+ days overdue\n/);
    expect(email.html).toContain(
      `<a href="${baseUrl}/accounts/${harbor.id}" style="color:#1d4ed8">Harbor Dental Group</a>: no meeting with Maria Lopez outside the office — <strong>4 days overdue</strong>; <span style="color:#166534">coffee with Maria Lopez planned for Fri 11 Dec</span></li>`,
    );
    // The at-risk flag names the same day: the whole digest is dated in the manager’s zone.
    expect(email.text).toContain("4 days overdue on a 30-day cadence; coffee with Maria Lopez planned for Fri 11 Dec.");
    expect(email.text).not.toContain('planned for Thu 10 Dec');
  });

  it('shows the same on the digest preview page and in the preview API', async () => {
    const page = await as.dana.agent.get('/digest').expect(200);
    expect(page.text).toContain('<strong>4 days overdue</strong>; <span style="color:#166534">coffee with Maria Lopez planned for Fri 11 Dec</span>');
    const { body } = await api.dana.get(`/digest/preview?manager_id=${dana.id}`).expect(200);
    expect(body.overdue_meetings[0].meetings[1]).toMatchObject({ account_name: 'Harbor Dental Group', planned: { contact_name: 'Maria Lopez', on: '2026-12-11' } });
  });
});
