import { updateContact } from '../../src/contacts/contacts.service.js';
import type { TestApp } from '../support/test-app.js';

/** Unique strings planted in every internal field; the report must never show any of them. */
export const markers = {
  touchpointNotes: 'INTERNAL-TOUCHPOINT-NOTE-7f3a',
  complaintNotes: 'INTERNAL-COMPLAINT-NOTE-9c1e',
  accountNotes: 'INTERNAL-ACCOUNT-NOTE-2b8d',
  auditTrail: 'INTERNAL-AUDIT-TRAIL-5e6f',
};

/**
 * A customer with a real history, seen by a rep in New York: people in every role (one of them
 * gone), touchpoints over three months (one an hour after midnight UTC on 1 November, which is
 * still 31 October in New York), a testimonial, and complaints resolved and not.
 */
export async function northwind(t: TestApp, { extraTouchpoints = 0 } = {}) {
  const manager = await t.make.user({ role: 'manager', name: 'Dana Whitfield' });
  const rep = await t.make.user({ name: 'Riley Chen', manager, time_zone: 'America/New_York' });
  const account = await t.make.account(rep, { name: 'Northwind Logistics' });
  await t.db
    .updateTable('accounts')
    .set({ customer_since: '2024-03-01', notes: `Pricing is soft. ${markers.accountNotes}` })
    .where('id', '=', account.id)
    .execute();

  const maria = await t.make.contact(rep, account.id, {
    name: 'Maria Lopez',
    title: markers.auditTrail,
    roles: ['decision_maker'],
    email: 'maria.lopez@northwind.example',
    phone: '+1 212 555 0143',
    birthday: '1980-03-14',
    started_in_role_on: '2026-11-02',
  });
  // The old title survives only in the audit trail.
  await updateContact(t.db, t.clock, rep, maria.id, { title: 'Chief Operating Officer' }, { context: markers.auditTrail });
  const tom = await t.make.contact(rep, account.id, { name: 'Tom Ng', title: 'Head of Facilities', roles: ['user', 'influencer'] });
  const priya = await t.make.contact(rep, account.id, { name: 'Priya Raman', title: 'Chief Financial Officer', roles: ['boss'] });
  const dan = await t.make.contact(rep, account.id, { name: 'Dan Okafor', title: 'Former COO', roles: ['decision_maker'] });

  const log = (input: Record<string, unknown>) => t.make.touchpoint(rep, account.id, { internal_notes: `Do not share. ${markers.touchpointNotes}`, ...input });
  await log({
    contact_ids: [dan.id, tom.id],
    kind: 'delivery',
    occurred_at: '2026-09-15T14:00:00Z',
    summary: 'Installed six colour copiers across the second floor.',
    value_delivered: 'Printing back up within a day of the order',
  });
  await log({
    contact_ids: [dan.id],
    kind: 'coffee',
    location: 'outside_office',
    occurred_at: '2026-10-06T11:30:00Z',
    summary: 'Quarterly review over coffee: print volumes and toner use.',
    value_delivered: 'Found 18% savings by moving to duplex by default',
  });
  await log({
    contact_ids: [tom.id],
    kind: 'service_call',
    occurred_at: '2026-11-01T02:30:00Z',
    summary: 'Late-evening repair of the mailroom copier before the month-end run.',
    value_delivered: 'Month-end invoices went out on time',
    testimonial_url: 'https://videos.example.com/northwind-tom',
  });
  await log({
    contact_ids: [maria.id, priya.id],
    kind: 'meeting',
    occurred_at: '2026-11-12T15:00:00Z',
    summary: 'Welcomed Maria as the new COO and walked through the service history.',
    value_delivered: 'A single contact for every site, named in writing',
  });
  for (let n = 1; n <= extraTouchpoints; n++)
    await log({
      contact_ids: [tom.id],
      kind: n % 3 === 0 ? 'delivery' : 'service_call',
      occurred_at: new Date(Date.UTC(2026, 3, 1) + n * 3 * 24 * 3600 * 1000).toISOString(),
      summary: `Routine visit number ${n} to the Newark depot.`,
      value_delivered: `Uptime kept above 99 percent, visit ${n}`,
    });
  await t.db.updateTable('contacts').set({ status: 'left', left_on: '2026-10-30' }).where('id', '=', dan.id).execute();

  const complaint = (values: Partial<{ issue: string; resolution: string; response: string; resolved_on: string; outcome: string; verified_on: string; satisfied: number }>) =>
    t.db
      .insertInto('complaints')
      .values({
        account_id: account.id,
        contact_id: tom.id,
        category: 'service',
        issue: 'x',
        raised_on: '2026-10-20',
        internal_notes: `Blame the courier. ${markers.complaintNotes}`,
        created_at: '2026-10-20T12:00:00.000Z',
        updated_at: '2026-10-20T12:00:00.000Z',
        ...values,
      })
      .execute();
  await complaint({
    issue: 'Toner deliveries arrived two days late.',
    resolution: 'Moved Northwind to our priority courier route.',
    response: 'Called Tom the same day and credited the delivery charge.',
    resolved_on: '2026-10-22',
    outcome: 'Every delivery since has arrived on time.',
    verified_on: '2026-11-05',
    satisfied: 1,
  });
  await complaint({ issue: 'Scanner on floor three is slow (still open).' });

  return { manager, rep, account, maria, tom, priya, dan };
}
