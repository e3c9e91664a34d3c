import { DateTime } from 'luxon';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { createAccount } from '../accounts/accounts.service.js';
import { createContact, updateContact } from '../contacts/contacts.service.js';
import type { ContactRole } from '../contacts/contacts.table.js';
import { logTouchpoint } from '../touchpoints/touchpoints.service.js';
import { recordDeparture } from '../playbook/playbook.service.js';
import type { TouchpointKind, TouchpointLocation } from '../touchpoints/touchpoints.table.js';
import { type CurrentUser, createUser } from '../users/users.service.js';

export const demoPassword = 'buychain-demo';
export const demoLogins = [
  { email: 'dana@demo.buychain.test', role: 'manager' },
  { email: 'riley@demo.buychain.test', role: 'rep' },
  { email: 'sam@demo.buychain.test', role: 'rep' },
  { email: 'admin@demo.buychain.test', role: 'admin' },
] as const;

/** A small deterministic random source, so the demo company is the same on every machine. */
export function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

interface PersonPlan {
  name: string;
  title: string;
  roles: ContactRole[];
  reportsTo?: number;
  /** Days since we last met them (undefined: never met). */
  lastMetDaysAgo?: number;
}

interface AccountPlan {
  name: string;
  owner: 'riley' | 'sam' | 'dana';
  status: 'customer' | 'prospect';
  people: PersonPlan[];
  /** How often we met anyone, in days; larger is a neglected account. */
  rhythmDays: number;
  leaving?: number;
}

// A dozen accounts of a copier and print-services dealer, from healthy to neglected.
const accounts: AccountPlan[] = [
  { name: 'Harbor Dental Group', owner: 'riley', status: 'customer', rhythmDays: 12, people: [
    { name: 'Maria Lopez', title: 'Practice Administrator', roles: ['decision_maker'], reportsTo: 1, lastMetDaysAgo: 9 },
    { name: 'Dr. Ken Ito', title: 'Managing Partner', roles: ['boss'], lastMetDaysAgo: 80 },
    { name: 'Priya Shah', title: 'Front Desk Lead', roles: ['user', 'champion'], reportsTo: 0, lastMetDaysAgo: 9 },
    { name: 'Tom Becker', title: 'IT Consultant', roles: ['influencer'], reportsTo: 0, lastMetDaysAgo: 40 },
  ] },
  { name: 'Northwind Logistics', owner: 'riley', status: 'customer', rhythmDays: 20, leaving: 0, people: [
    { name: 'Tom Alvarez', title: 'Office Manager', roles: ['decision_maker'], reportsTo: 1, lastMetDaysAgo: 35 },
    { name: 'Grace Kim', title: 'VP Operations', roles: ['boss'], lastMetDaysAgo: 120 },
    { name: 'Luis Ortega', title: 'Dispatcher', roles: ['user'], reportsTo: 0, lastMetDaysAgo: 35 },
  ] },
  { name: 'Cedar Ridge School District', owner: 'riley', status: 'customer', rhythmDays: 55, people: [
    { name: 'Angela Brooks', title: 'Purchasing Director', roles: ['decision_maker'], lastMetDaysAgo: 70 },
  ] },
  { name: 'Bluewater Law LLP', owner: 'riley', status: 'customer', rhythmDays: 18, people: [
    { name: 'Helen Park', title: 'Firm Administrator', roles: ['decision_maker', 'champion'], reportsTo: 1, lastMetDaysAgo: 5 },
    { name: 'James Whitaker', title: 'Managing Partner', roles: ['boss'], lastMetDaysAgo: 50 },
    { name: 'Nora Quinn', title: 'Legal Secretary', roles: ['user'], reportsTo: 0, lastMetDaysAgo: 5 },
    { name: 'Omar Haddad', title: 'IT Manager', roles: ['influencer'], reportsTo: 0, lastMetDaysAgo: 25 },
  ] },
  { name: 'Summit Realty', owner: 'riley', status: 'prospect', rhythmDays: 30, people: [
    { name: 'Derek Olsen', title: 'Broker Owner', roles: ['decision_maker', 'boss'], lastMetDaysAgo: 15 },
    { name: 'Kayla Reed', title: 'Office Coordinator', roles: ['user'], reportsTo: 0 },
  ] },
  { name: 'Pinecrest Medical Center', owner: 'riley', status: 'customer', rhythmDays: 25, people: [
    { name: 'Sandra Lee', title: 'Director of Facilities', roles: ['decision_maker'], reportsTo: 1, lastMetDaysAgo: 33 },
    { name: 'Robert Chen', title: 'COO', roles: ['boss'], lastMetDaysAgo: 200 },
    { name: 'Aisha Bello', title: 'Records Supervisor', roles: ['user'], reportsTo: 0, lastMetDaysAgo: 60 },
    { name: 'Mark Doyle', title: 'Procurement Analyst', roles: ['influencer'], reportsTo: 0, lastMetDaysAgo: 33 },
  ] },
  { name: 'Granite Insurance Agency', owner: 'sam', status: 'customer', rhythmDays: 14, people: [
    { name: 'Olivia Grant', title: 'Agency Principal', roles: ['decision_maker', 'boss'], lastMetDaysAgo: 8 },
    { name: 'Ben Carter', title: 'Office Manager', roles: ['influencer', 'champion'], reportsTo: 0, lastMetDaysAgo: 8 },
    { name: 'Lily Tran', title: 'CSR', roles: ['user'], reportsTo: 1, lastMetDaysAgo: 22 },
  ] },
  { name: 'Riverside Architects', owner: 'sam', status: 'customer', rhythmDays: 40, people: [
    { name: 'Paul Novak', title: 'Studio Director', roles: ['decision_maker'], lastMetDaysAgo: 64 },
    { name: 'Emma Fischer', title: 'Project Architect', roles: ['user'], reportsTo: 0, lastMetDaysAgo: 100 },
  ] },
  { name: 'Maple Street Accounting', owner: 'sam', status: 'customer', rhythmDays: 21, people: [
    { name: 'Rachel Adams', title: 'Partner', roles: ['decision_maker'], reportsTo: 2, lastMetDaysAgo: 19 },
    { name: 'Victor Huang', title: 'Office Administrator', roles: ['user', 'influencer'], reportsTo: 0, lastMetDaysAgo: 19 },
    { name: 'Susan Miller', title: 'Managing Partner', roles: ['boss'], lastMetDaysAgo: 75 },
  ] },
  { name: 'Lakeside Manufacturing', owner: 'sam', status: 'prospect', rhythmDays: 35, people: [
    { name: 'Frank Russo', title: 'Plant Controller', roles: ['influencer'], lastMetDaysAgo: 28 },
  ] },
  { name: 'Oakwood Senior Living', owner: 'sam', status: 'customer', rhythmDays: 16, people: [
    { name: 'Diane Foster', title: 'Executive Director', roles: ['decision_maker'], reportsTo: 1, lastMetDaysAgo: 12 },
    { name: 'George Patel', title: 'Regional VP', roles: ['boss'], lastMetDaysAgo: 45 },
    { name: 'Carmen Diaz', title: 'Activities Coordinator', roles: ['user', 'champion'], reportsTo: 0, lastMetDaysAgo: 12 },
  ] },
  { name: 'Metro Print Hub', owner: 'dana', status: 'customer', rhythmDays: 30, people: [
    { name: 'Irene Walsh', title: 'General Manager', roles: ['decision_maker', 'boss'], lastMetDaysAgo: 27 },
    { name: 'Chris Young', title: 'Production Lead', roles: ['user'], reportsTo: 0, lastMetDaysAgo: 27 },
  ] },
];

export const summaries: Record<TouchpointKind, string[]> = {
  coffee: ['Coffee at 7:30 before their day started; talked about next quarter’s volumes.', 'Breakfast coffee; reviewed how the new device is working for the team.'],
  meal: ['Lunch to review the year; they want fewer service calls.', 'Dinner after the trade show; discussed expansion to a second site.'],
  meeting: ['Quarterly business review: uptime, toner usage and cost per page.', 'Walked through the lease renewal options.'],
  call: ['Checked in on the toner delivery.', 'Call about a billing question; resolved on the spot.'],
  email: ['Sent the usage report for last month.', 'Shared the maintenance schedule.'],
  service_call: ['Technician replaced the fuser; device back in service same day.', 'Cleared a recurring paper jam and trained two users.'],
  delivery: ['Delivered and installed the new colour MFP.', 'Delivered a pallet of paper and toner.'],
  event: ['They attended our customer open house.', 'Met at the chamber of commerce breakfast.'],
  note: ['Heard they are planning to open another office next year.', 'Budget cycle starts in March.'],
};

const kindsAndPlaces: [TouchpointKind, TouchpointLocation][] = [
  ['coffee', 'outside_office'],
  ['meeting', 'customer_office'],
  ['call', 'phone'],
  ['email', 'virtual'],
  ['service_call', 'customer_office'],
  ['meal', 'outside_office'],
  ['delivery', 'customer_office'],
];

/** Loads the demo company: a manager, two reps, an admin, a dozen accounts and months of touchpoints. */
export async function seedDemo(db: Db, clock: Clock): Promise<void> {
  const random = randomSource(2026);
  const now = DateTime.fromJSDate(clock.now()).toUTC();
  await db.transaction().execute(async (trx) => {
    const admin = await createUser(trx, clock, { email: 'admin@demo.buychain.test', name: 'Alex Admin', role: 'admin', time_zone: 'America/New_York', password: demoPassword });
    const dana = await createUser(trx, clock, { email: 'dana@demo.buychain.test', name: 'Dana Whitfield', role: 'manager', time_zone: 'America/New_York', password: demoPassword });
    // No unasked email on the first start: the demo manager turns the weekly digest on in Settings
    // after seeing the preview (which says so), or sends one from there.
    await trx.updateTable('users').set({ digest_opt_out: 1 }).where('id', '=', dana.id).execute();
    const riley = await createUser(trx, clock, { email: 'riley@demo.buychain.test', name: 'Riley Morgan', role: 'rep', manager_id: dana.id, time_zone: 'America/Chicago', password: demoPassword });
    const sam = await createUser(trx, clock, { email: 'sam@demo.buychain.test', name: 'Sam Okafor', role: 'rep', manager_id: dana.id, time_zone: 'America/New_York', password: demoPassword });
    void admin;
    const owners: Record<AccountPlan['owner'], CurrentUser> = { riley, sam, dana };

    for (const plan of accounts) {
      const owner = owners[plan.owner];
      // Opened long ago, through the same service a user goes through: the demo shows running accounts, not new ones.
      const account = await createAccount(trx, { now: () => now.minus({ days: 200 }).toJSDate() }, owner, {
        name: plan.name,
        status: plan.status,
        meeting_cadence_days: 30,
        notes: '',
        customer_since: plan.status === 'customer' ? now.minus({ years: 1 + Math.floor(random.next() * 4), days: Math.floor(random.next() * 330) }).toISODate()! : undefined,
      });
      const ids: number[] = [];
      for (const person of plan.people) {
        const contact = await createContact(trx, clock, owner, account.id, {
          name: person.name,
          title: person.title,
          email: `${person.name.toLowerCase().replace(/[^a-z]+/g, '.').replace(/^\.|\.$/g, '')}@${plan.name.toLowerCase().replace(/[^a-z]+/g, '')}.example`,
          roles: person.roles,
          started_in_role_on: now.minus({ days: 200 + Math.floor(random.next() * 900) }).toISODate()!,
          birthday: `${String(1 + Math.floor(random.next() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random.next() * 28)).padStart(2, '0')}`,
          preferred_channel: random.pick(['email', 'phone', 'in_person'] as const),
          preferred_time: random.pick(['Early morning', 'Before 9am', 'After lunch', 'Friday afternoons']),
        });
        ids.push(contact.id);
      }
      for (const [index, person] of plan.people.entries())
        if (person.reportsTo !== undefined)
          await updateContact(trx, clock, owner, ids[index]!, { reports_to_contact_id: ids[person.reportsTo]! });

      // Six months of history at the account's rhythm, then the most recent meeting with each person.
      for (let daysAgo = 180; daysAgo > 45; daysAgo -= plan.rhythmDays + Math.floor(random.next() * 7)) {
        const [kind, location] = random.pick(kindsAndPlaces);
        const who = ids.filter(() => random.next() < 0.6);
        await logTouchpoint(trx, clock, owner, account.id, demoTouchpoint(now, daysAgo, kind, location, who.length ? who : [ids[0]!], random.pick(summaries[kind])));
      }
      const byDay = new Map<number, number[]>();
      plan.people.forEach((person, index) => {
        if (person.lastMetDaysAgo !== undefined) byDay.set(person.lastMetDaysAgo, [...(byDay.get(person.lastMetDaysAgo) ?? []), ids[index]!]);
      });
      for (const [daysAgo, who] of byDay) {
        const decisionMakerThere = who.some((id) => plan.people[ids.indexOf(id)]!.roles.includes('decision_maker'));
        const [kind, location]: [TouchpointKind, TouchpointLocation] = decisionMakerThere && daysAgo < 30 ? ['coffee', 'outside_office'] : ['meeting', 'customer_office'];
        await logTouchpoint(trx, clock, owner, account.id, demoTouchpoint(now, daysAgo, kind, location, who, random.pick(summaries[kind])));
      }
      // Recorded the way a rep would, so the leaving decision-maker gets their recovery playbook.
      if (plan.leaving !== undefined)
        await recordDeparture(trx, clock, owner, ids[plan.leaving]!, {
          left_on: now.setZone(owner.time_zone).plus({ days: 21 }).toISODate()!,
          notice: 'told_in_advance',
          destination: undefined,
          replacement_contact_id: undefined,
          new_replacement: undefined,
        });
    }
  });
}

function demoTouchpoint(now: DateTime, daysAgo: number, kind: TouchpointKind, location: TouchpointLocation, contactIds: number[], summary: string) {
  const occurredAt = now.minus({ days: daysAgo }).set({ hour: 13 + (daysAgo % 5), minute: 30, second: 0, millisecond: 0 });
  return {
    contact_ids: contactIds,
    kind,
    occurred_at: occurredAt.toISO()!,
    location,
    summary,
    internal_notes: kind === 'meal' ? 'They hinted a competitor quoted 10% lower.' : undefined,
    value_delivered: kind === 'service_call' || kind === 'delivery' ? 'Device back in service the same day' : undefined,
    testimonial_url: undefined,
    next_step: undefined,
    next_step_due_on: undefined,
    contact_updates: [],
    new_contacts: [],
    gap_answers: {},
  };
}

export async function hasAnyUser(db: Db): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}
