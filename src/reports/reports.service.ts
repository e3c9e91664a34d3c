import { DateTime } from 'luxon';
import { accountVisibleTo } from '../accounts/account-access.js';
import type { ContactRole } from '../contacts/contacts.table.js';
import type { DbOrTx } from '../db/database.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import { faceToFaceKinds, type TouchpointKind } from '../touchpoints/touchpoints.table.js';
import type { CurrentUser } from '../users/users.service.js';
import type { PersonalDetail, ReportOptions, ReportSection } from './reports.schemas.js';
import { inZone } from '../local-time.js';

// This report is handed to the customer. Every query below names its columns: internal notes
// (touchpoints, complaints), account notes and the audit trail are never even read.

// Our buying-chain vocabulary, said the way the customer would read it. Key order is display order.
const roleTitles: Record<ContactRole, string> = {
  decision_maker: 'Decision-maker',
  boss: 'Executive sponsor',
  influencer: 'Adviser',
  user: 'Day-to-day user',
  champion: 'Advocate',
};
const roleRank = Object.keys(roleTitles) as ContactRole[];

/** The account as the report shows it; 404 for an account the viewer may not see. */
export async function getReportAccount(db: DbOrTx, viewer: CurrentUser, accountId: number) {
  const account = await db
    .selectFrom('accounts')
    .innerJoin('users', 'users.id', 'accounts.owner_id')
    .select(['accounts.id', 'accounts.name', 'accounts.customer_since', 'accounts.created_at', 'users.name as owner_name'])
    .where('accounts.id', '=', accountId)
    .where(accountVisibleTo(viewer))
    .executeTakeFirst();
  if (!account) throw new NotFound('That account');
  return account;
}

export type ReportAccount = Awaited<ReturnType<typeof getReportAccount>>;

/** The people we work with now (not those who left), key roles first; private details only when asked for. */
export async function listReportPeople(db: DbOrTx, accountId: number, details: PersonalDetail[] = []) {
  const [contacts, roles] = await Promise.all([
    db
      .selectFrom('contacts')
      .select(['id', 'name', 'title'])
      .$if(details.includes('email'), (query) => query.select('email'))
      .$if(details.includes('phone'), (query) => query.select('phone'))
      .$if(details.includes('birthday'), (query) => query.select('birthday'))
      .where('account_id', '=', accountId)
      .where('archived', '=', 0)
      .where('status', '!=', 'left')
      .orderBy('name')
      .orderBy('id')
      .execute(),
    db.selectFrom('contact_roles').select(['contact_id', 'role']).where('account_id', '=', accountId).execute(),
  ]);
  const rolesOf = new Map<number, Set<ContactRole>>();
  for (const row of roles) rolesOf.set(row.contact_id, (rolesOf.get(row.contact_id) ?? new Set()).add(row.role));
  const people = contacts.map((contact) => {
    const held = roleRank.filter((role) => rolesOf.get(contact.id)?.has(role));
    return {
      ...contact,
      birthday: 'birthday' in contact ? birthdayWithoutYear(contact.birthday) : undefined,
      roles: held.map((role) => roleTitles[role]),
      rank: held.length > 0 ? roleRank.indexOf(held[0]!) : roleRank.length,
    };
  });
  return people.sort((a, b) => a.rank - b.rank);
}

/** "14 March": a birthday on paper never shows the year (that would be the age). */
function birthdayWithoutYear(birthday: string | null | undefined): string | null {
  if (!birthday) return null;
  const date = DateTime.fromISO(birthday.length === 5 ? `2000-${birthday}` : birthday);
  return date.isValid ? date.toFormat('d LLLL') : null;
}

/** Only web links are printed as links; anything else (javascript:, data:) is left out. */
function webLink(url: string | null): string | null {
  if (!url) return null;
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

const names = new Intl.ListFormat('en-GB', { style: 'long', type: 'conjunction' });

export interface ReportContext {
  viewer: CurrentUser;
  now: Date;
}

/**
 * Everything the report shows, in a fixed number of queries whatever the size of the history:
 * people and roles, touchpoints in the range, who took part in them, and resolved complaints.
 * Dates and month groups are in the viewer's time zone.
 */
export async function buildAccountReport(db: DbOrTx, account: ReportAccount, options: ReportOptions, { viewer, now }: ReportContext) {
  const zone = viewer.time_zone;
  const wants = (section: ReportSection) => options.sections.includes(section);
  const people = await listReportPeople(db, account.id, options.details);
  const preparedFor = options.prepared_for === undefined ? undefined : people.find((person) => person.id === options.prepared_for);
  if (options.prepared_for !== undefined && !preparedFor)
    throw new ValidationFailed({ prepared_for: 'Choose someone at this account' });

  // The date range is in the viewer's calendar: [start of "from", start of the day after "to").
  const startOfDay = (date: string) => DateTime.fromISO(date, { zone }).startOf('day').toUTC().toISO()!;
  const fromInstant = options.from ? startOfDay(options.from) : undefined;
  const untilInstant = options.to ? DateTime.fromISO(startOfDay(options.to)).plus({ days: 1 }).toUTC().toISO()! : undefined;

  const touchpointsInRange = db
    .selectFrom('touchpoints')
    .where('account_id', '=', account.id)
    // Notes are our own jottings, not something that happened with the customer.
    .where('kind', '!=', 'note')
    .$if(fromInstant !== undefined, (query) => query.where('occurred_at', '>=', fromInstant!))
    .$if(untilInstant !== undefined, (query) => query.where('occurred_at', '<', untilInstant!));
  const needTouchpoints = wants('summary') || wants('timeline') || wants('testimonials');
  const needParticipants = wants('timeline') || wants('testimonials');
  const [touchpoints, participants, issues] = await Promise.all([
    needTouchpoints
      ? touchpointsInRange
          .select(['id', 'kind', 'occurred_at', 'summary', 'value_delivered', 'testimonial_url'])
          .orderBy('occurred_at')
          .orderBy('id')
          .execute()
      : [],
    needParticipants
      ? db
          .selectFrom('touchpoint_contacts')
          .innerJoin('contacts', 'contacts.id', 'touchpoint_contacts.contact_id')
          .select(['touchpoint_contacts.touchpoint_id', 'contacts.name'])
          .where('touchpoint_contacts.touchpoint_id', 'in', touchpointsInRange.select('touchpoints.id'))
          .where('contacts.archived', '=', 0)
          .orderBy('contacts.name')
          .execute()
      : [],
    wants('issues') || wants('summary')
      ? db
          .selectFrom('complaints')
          .select(['id', 'issue', 'raised_on', 'resolution', 'response', 'resolved_on', 'outcome', 'verified_on', 'satisfied'])
          .where('account_id', '=', account.id)
          .where('resolved_on', 'is not', null)
          .$if(options.from !== undefined, (query) => query.where('resolved_on', '>=', options.from!))
          .$if(options.to !== undefined, (query) => query.where('resolved_on', '<=', options.to!))
          .orderBy('resolved_on')
          .orderBy('id')
          .execute()
      : [],
  ]);

  const participantsOf = new Map<number, string[]>();
  for (const row of participants) participantsOf.set(row.touchpoint_id, [...(participantsOf.get(row.touchpoint_id) ?? []), row.name]);
  const local = (instant: string) => inZone(Date.parse(instant), zone);
  const entries = touchpoints.map((touchpoint) => {
    const when = local(touchpoint.occurred_at);
    return {
      ...touchpoint,
      date: when.toISODate()!,
      day: when.toFormat('ccc d LLL'),
      month: when.toFormat('LLLL yyyy'),
      participants: names.format(participantsOf.get(touchpoint.id) ?? []),
      testimonial_url: webLink(touchpoint.testimonial_url),
    };
  });

  // Rows come in time order, so a month's entries are consecutive.
  const months: { heading: string; entries: typeof entries }[] = [];
  for (const entry of entries) {
    if (months.at(-1)?.heading !== entry.month) months.push({ heading: entry.month, entries: [] });
    months.at(-1)!.entries.push(entry);
  }

  const today = DateTime.fromJSDate(now).setZone(zone).toISODate()!;
  const firstKnown = [account.customer_since, entries[0]?.date].filter((date): date is string => Boolean(date)).sort()[0];
  const count = (kinds: readonly TouchpointKind[]) => entries.filter((entry) => kinds.includes(entry.kind)).length;

  const keep = <Section>(section: Section | undefined, isEmpty: (section: Section) => boolean) =>
    section !== undefined && (options.show_empty || !isEmpty(section)) ? section : undefined;
  const figures = [
    { value: count(faceToFaceKinds), caption: 'Meetings' },
    { value: count(['delivery']), caption: 'Deliveries' },
    { value: count(['service_call']), caption: 'Service calls' },
    { value: issues.length, caption: 'Issues resolved' },
    { value: people.length, caption: 'People we work with' },
  ].filter((figure) => options.show_empty || figure.value > 0);

  return {
    account,
    paper: options.paper,
    preparedFor,
    preparedBy: { name: viewer.name, email: viewer.email },
    preparedOn: today,
    period: { from: options.from ?? firstKnown ?? local(account.created_at).toISODate()!, to: options.to ?? today },
    details: Object.fromEntries(options.details.map((detail) => [detail, true])) as Partial<Record<PersonalDetail, true>>,
    /** Everyone current, for the "prepared for" choice and the summary, whether or not their section is shown. */
    people,
    summary: keep(wants('summary') ? { customer_since: account.customer_since, figures } : undefined, (summary) => !summary.customer_since && summary.figures.length === 0),
    timeline: keep(wants('timeline') ? { months } : undefined, (timeline) => timeline.months.length === 0),
    issues: keep(wants('issues') ? { rows: issues } : undefined, (section) => section.rows.length === 0),
    chain: keep(wants('people') ? { rows: people } : undefined, (section) => section.rows.length === 0),
    testimonials: keep(wants('testimonials') ? { rows: entries.filter((entry) => entry.testimonial_url) } : undefined, (section) => section.rows.length === 0),
  };
}
