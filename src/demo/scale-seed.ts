import type SqliteDatabase from 'better-sqlite3';
import type { Insertable } from 'kysely';
import { openSqlite } from '../db/connect.js';
import type { Database } from '../db/database.js';
import { accountNameKey } from '../accounts/accounts.service.js';
import { contactEmailKey } from '../contacts/contacts.service.js';
import type { ContactRole } from '../contacts/contacts.table.js';
import { faceToFaceKinds, type TouchpointKind, type TouchpointLocation } from '../touchpoints/touchpoints.table.js';
import { hashPassword } from '../users/passwords.js';
import { randomSource, summaries } from './demo-seed.js';

// A company at benchmark scale (issue 8): N reps in teams of ten, 200 accounts each, about ten
// contacts and a hundred touchpoints per account over two years, with the skew of real life.
//
// This is the one place that bypasses Kysely: ten million touchpoints through the query builder
// would take hours, so rows go straight into SQLite through prepared better-sqlite3 statements, one
// transaction per rep, with the secondary indexes dropped during the load and rebuilt after it.

export const scalePassword = 'buychain-scale';
export const repsPerManager = 10;
export const scaleEmails = {
  admin: 'admin@scale.buychain.test',
  manager: (n: number) => `manager${n}@scale.buychain.test`,
  rep: (n: number) => `rep${n}@scale.buychain.test`,
};

export interface ScaleOptions {
  reps: number;
  /** 200 in a real company; smaller in tests. */
  accountsPerRep?: number;
  /** Touchpoints are spread over the two years before this instant. */
  now: Date;
  seed?: number;
  /** Told of progress every tenth of the reps. */
  log?: (line: string) => void;
}

type LoadedTable = 'users' | 'accounts' | 'contacts' | 'contact_roles' | 'touchpoints' | 'touchpoint_contacts' | 'commitments' | 'complaints';
export type ScaleCounts = Record<LoadedTable, number>;

/** Every column of a table's row, so a column added by a migration cannot be forgotten here. */
type Row<T extends keyof Database> = Required<Insertable<Database[T]>>;

const day = 86_400_000;
const historyDays = 730;
const warmWindowDays = 90;

interface Random {
  next(): number;
  pick<T>(items: readonly T[]): T;
  /** An integer from min to max inclusive. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
}

function makeRandom(seed: number): Random {
  const source = randomSource(seed);
  return {
    ...source,
    int: (min, max) => min + Math.floor(source.next() * (max - min + 1)),
    chance: (probability) => source.next() < probability,
  };
}

const firstNames = ['Maria', 'Ken', 'Priya', 'Tom', 'Grace', 'Luis', 'Angela', 'Helen', 'James', 'Nora', 'Omar', 'Derek', 'Kayla', 'Sandra', 'Robert', 'Aisha', 'Mark', 'Olivia', 'Ben', 'Lily', 'Paul', 'Emma', 'Rachel', 'Victor', 'Susan', 'Frank', 'Diane', 'George', 'Carmen', 'Irene', 'Chris', 'Wei', 'Fatima', 'Jonas', 'Ines', 'Kofi', 'Hana', 'Mateo', 'Zoe', 'Ravi'];
const lastNames = ['Lopez', 'Ito', 'Shah', 'Becker', 'Kim', 'Ortega', 'Brooks', 'Park', 'Whitaker', 'Quinn', 'Haddad', 'Olsen', 'Reed', 'Lee', 'Chen', 'Bello', 'Doyle', 'Grant', 'Carter', 'Tran', 'Novak', 'Fischer', 'Adams', 'Huang', 'Miller', 'Russo', 'Foster', 'Patel', 'Diaz', 'Walsh', 'Young', 'Nakamura', 'Mensah', 'Silva', 'Kowalski', 'Dubois', 'Ahmed', 'Larsen', 'Rossi', 'Nguyen'];
const accountWords = [
  ['Harbor', 'Northwind', 'Cedar', 'Bluewater', 'Summit', 'Pinecrest', 'Granite', 'Riverside', 'Maple', 'Lakeside', 'Oakwood', 'Metro', 'Silver', 'Redwood', 'Prairie', 'Evergreen', 'Ironbridge', 'Westfield', 'Brookside', 'Highland'],
  ['Dental', 'Logistics', 'Schools', 'Law', 'Realty', 'Medical', 'Insurance', 'Architects', 'Accounting', 'Manufacturing', 'Senior Living', 'Printing', 'Foods', 'Engineering', 'Credit Union', 'Clinic', 'Hotels', 'Construction', 'Labs', 'Media'],
  ['Group', 'LLC', 'Inc.', 'Partners', 'Co.', 'Associates', 'Center', 'Services'],
];
const titles: Record<'boss' | 'decision_maker' | 'lead' | 'influencer' | 'user', string[]> = {
  boss: ['Managing Partner', 'VP Operations', 'COO', 'Regional Director', 'General Manager', 'CFO'],
  decision_maker: ['Office Manager', 'Purchasing Director', 'Director of Facilities', 'Practice Administrator', 'Operations Manager'],
  lead: ['IT Manager', 'Office Administrator', 'Production Lead', 'Team Lead'],
  influencer: ['Procurement Analyst', 'Controller', 'Department Head', 'IT Consultant'],
  user: ['Front Desk Lead', 'Coordinator', 'Dispatcher', 'Legal Secretary', 'Records Supervisor', 'Analyst', 'Assistant'],
};
const timeZones = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles'];
const destinations = ['a competitor', 'Granite Insurance Agency', 'a hospital group', 'retirement', 'a startup', 'the regional office'];
const promises = ['Send the lease renewal quote', 'Arrange a demo of the new colour MFP', 'Introduce our service manager', 'Send last quarter’s usage report', 'Book training for the new staff'];
const complaintIssues: [string, string][] = [
  ['billing', 'Invoice charged for pages above the contract volume.'],
  ['service', 'Technician arrived two days after the call.'],
  ['delivery', 'Toner delivered to the wrong site.'],
  ['equipment', 'The colour device jams on heavy paper.'],
  ['supplies', 'Ran out of toner before the automatic reorder.'],
];

/** How touchpoints are really logged: mostly email and calls, few coffees with the decision-maker. */
const touchpointMix: [TouchpointKind, TouchpointLocation, number][] = [
  ['email', 'virtual', 25],
  ['call', 'phone', 20],
  ['meeting', 'customer_office', 14],
  ['coffee', 'outside_office', 7],
  ['meal', 'outside_office', 3],
  ['meeting', 'virtual', 4],
  ['service_call', 'customer_office', 10],
  ['delivery', 'customer_office', 6],
  ['event', 'outside_office', 2],
  ['note', 'virtual', 9],
];
const mixTotal = touchpointMix.reduce((sum, [, , weight]) => sum + weight, 0);

function pickKind(random: Random): [TouchpointKind, TouchpointLocation] {
  let roll = random.next() * mixTotal;
  for (const [kind, location, weight] of touchpointMix) {
    roll -= weight;
    if (roll < 0) return [kind, location];
  }
  return ['email', 'virtual'];
}

interface PlannedContact {
  row: Row<'contacts'>;
  roles: ContactRole[];
  /** Reachable from this many days ago … */
  fromDaysAgo: number;
  /** … until this many days ago (0 while still there). */
  untilDaysAgo: number;
}

interface PlannedTouchpoint {
  account: Row<'accounts'>;
  ownerId: number;
  at: number;
  kind: TouchpointKind;
  location: TouchpointLocation;
  participants: PlannedContact[];
}

/** Everything one rep's transaction writes. */
interface RepBatch {
  accounts: Row<'accounts'>[];
  contacts: PlannedContact[];
  touchpoints: PlannedTouchpoint[];
  complaints: Row<'complaints'>[];
}

class CompanyPlanner {
  private readonly random: Random;
  private readonly now: number;
  private nextId = { account: 1, contact: 1, touchpoint: 1, commitment: 1, complaint: 1 };

  constructor(
    seed: number,
    now: Date,
    private readonly accountsPerRep: number,
  ) {
    this.random = makeRandom(seed);
    this.now = now.getTime();
  }

  private iso = (daysAgo: number) => new Date(this.now - daysAgo * day).toISOString();
  private date = (daysAgo: number) => this.iso(daysAgo).slice(0, 10);
  private person = () => `${this.random.pick(firstNames)} ${this.random.pick(lastNames)}`;

  /**
   * `text`, or "text 2", "text 3"… when `taken` already holds it: names are unique per owner and
   * emails per account, like the unique keys ask. Draws nothing from the random source, so the
   * rest of the company stays the same.
   */
  private static unique(text: string, taken: Set<string>, numbered: (n: number) => string): string {
    let candidate = text;
    for (let n = 2; taken.has(candidate); n++) candidate = numbered(n);
    taken.add(candidate);
    return candidate;
  }

  private accountNamesOfRep = new Set<string>();

  users(reps: number, passwordHash: string): Row<'users'>[] {
    const created = this.iso(historyDays + 400);
    const user = (id: number, email: string, name: string, role: Row<'users'>['role'], managerId: number | null): Row<'users'> => ({
      id,
      email,
      name,
      role,
      manager_id: managerId,
      time_zone: this.random.pick(timeZones),
      password_hash: passwordHash,
      active: 1,
      digest_day: 1,
      digest_hour: 7,
      digest_opt_out: 0,
      deleted_at: null,
      week_email_day: 1,
      week_email_hour: 7,
      week_email_opt_out: 0,
      departure_alerts_opt_out: 0,
      created_at: created,
      updated_at: created,
    });
    const managers = Math.ceil(reps / repsPerManager);
    const rows = [user(1, scaleEmails.admin, 'Alex Admin', 'admin', null)];
    for (let m = 1; m <= managers; m++) rows.push(user(1 + m, scaleEmails.manager(m), `${this.person()} (manager ${m})`, 'manager', null));
    for (let r = 1; r <= reps; r++)
      rows.push(user(1 + managers + r, scaleEmails.rep(r), `${this.person()} (rep ${r})`, 'rep', 2 + Math.floor((r - 1) / repsPerManager)));
    return rows;
  }

  rep(ownerId: number): RepBatch {
    const batch: RepBatch = { accounts: [], contacts: [], touchpoints: [], complaints: [] };
    this.accountNamesOfRep.clear();
    for (let index = 0; index < this.accountsPerRep; index++) this.account(batch, ownerId, index === 0);
    batch.touchpoints.sort((a, b) => a.at - b.at);
    return batch;
  }

  /** One account; the rep's first is a long-standing key account with ~500 touchpoints (the printable report's benchmark). */
  private account(batch: RepBatch, ownerId: number, key: boolean) {
    const { random } = this;
    const openedDaysAgo = historyDays + random.int(0, 700);
    const status = key || random.chance(0.75) ? 'customer' : random.chance(0.8) ? 'prospect' : 'former';
    const drawn = `${random.pick(accountWords[0]!)} ${random.pick(accountWords[1]!)} ${random.pick(accountWords[2]!)}`;
    const name = CompanyPlanner.unique(drawn, this.accountNamesOfRep, (n) => `${drawn} ${n}`);
    const account: Row<'accounts'> = {
      id: this.nextId.account++,
      name,
      name_key: accountNameKey(name),
      owner_id: ownerId,
      status,
      meeting_cadence_days: random.chance(0.8) ? 30 : random.pick([14, 60]),
      notes: '',
      archived: !key && random.chance(0.01) ? 1 : 0,
      customer_since: status === 'prospect' ? null : this.date(openedDaysAgo - random.int(0, 60)),
      origin_contact_id: null,
      version: 1,
      risk_version: 1,
      last_touchpoint_at: null,
      created_at: this.iso(openedDaysAgo),
      updated_at: this.iso(openedDaysAgo),
    };
    batch.accounts.push(account);

    // The skew: some accounts gone quiet or neglected, some known through one person, some whose decision-maker is leaving or gone.
    const neglect = key ? 0 : random.next();
    const quietDaysAgo = neglect < 0.08 ? random.int(91, 400) : neglect < 0.13 ? random.int(46, 90) : random.int(0, 10);
    const singleThreaded = !key && random.chance(0.15);
    const contacts = this.contacts(account, key, `${name.toLowerCase().replace(/[^a-z]+/g, '')}.example`);
    batch.contacts.push(...contacts);

    const stillThere = contacts.filter((contact) => contact.untilDaysAgo === 0 && contact.row.status !== 'left');
    const decisionMaker = stillThere.find((contact) => contact.roles.includes('decision_maker'));
    const thread = decisionMaker ?? stillThere[0] ?? contacts[0]!;
    const touchpointCount = key ? 500 : random.int(40, 156);
    for (let n = 0; n < touchpointCount; n++) {
      const daysAgo = quietDaysAgo + random.next() * (historyDays - quietDaysAgo);
      const [kind, location] = pickKind(random);
      const present = contacts.filter((contact) => contact.fromDaysAgo >= daysAgo && contact.untilDaysAgo <= daysAgo);
      let participants: PlannedContact[];
      if (present.length === 0) participants = [thread];
      else if (singleThreaded && daysAgo < warmWindowDays) participants = [thread];
      else participants = this.someOf(present);
      if (location === 'outside_office' && decisionMaker && present.includes(decisionMaker) && !participants.includes(decisionMaker))
        participants[0] = decisionMaker;
      batch.touchpoints.push({ account, ownerId, at: this.now - daysAgo * day, kind, location, participants });
    }
    // Reps who do the job meet the decision-maker for coffee within the cadence.
    if (decisionMaker && !singleThreaded && quietDaysAgo <= 10 && random.chance(0.6))
      batch.touchpoints.push({
        account,
        ownerId,
        at: this.now - (quietDaysAgo + random.next() * 35) * day,
        kind: 'coffee',
        location: 'outside_office',
        participants: [decisionMaker],
      });

    const complaints = random.chance(0.3) ? (random.chance(0.3) ? 2 : 1) : 0;
    for (let n = 0; n < complaints; n++) batch.complaints.push(this.complaint(account, ownerId, random.pick(stillThere.length ? stillThere : contacts)));
  }

  private someOf(present: PlannedContact[]): PlannedContact[] {
    const wanted = Math.min(present.length, this.random.chance(0.6) ? 1 : this.random.chance(0.75) ? 2 : 3);
    const chosen = new Set<PlannedContact>();
    while (chosen.size < wanted) chosen.add(this.random.pick(present));
    return [...chosen];
  }

  /** The buying chain as an org chart: boss ← decision-maker ← team leads ← users and influencers. */
  private contacts(account: Row<'accounts'>, key: boolean, domain: string): PlannedContact[] {
    const { random } = this;
    const openedDaysAgo = Math.round((this.now - Date.parse(account.created_at)) / day);
    const count = key ? 15 : random.int(6, 14);
    const hasBoss = key || random.chance(0.9);
    const hasDecisionMaker = key || random.chance(0.96);
    const hasInfluencers = key || random.chance(0.94);
    const planned: PlannedContact[] = [];
    const emailsAtAccount = new Set<string>();
    const add = (roles: ContactRole[], title: string, reportsTo: PlannedContact | null, fromDaysAgo = openedDaysAgo) => {
      const name = this.person();
      const localPart = name.toLowerCase().replace(/[^a-z]+/g, '.');
      const email = random.chance(0.9) ? CompanyPlanner.unique(`${localPart}@${domain}`, emailsAtAccount, (n) => `${localPart}${n}@${domain}`) : null;
      const contact: PlannedContact = {
        roles,
        fromDaysAgo,
        untilDaysAgo: 0,
        row: {
          id: this.nextId.contact++,
          account_id: account.id,
          name,
          title,
          email,
          email_key: contactEmailKey(email),
          phone: random.chance(0.7) ? `+1 555 01${random.int(10, 99)} ${random.int(1000, 9999)}` : null,
          reports_to_contact_id: reportsTo?.row.id ?? null,
          started_in_role_on: this.date(fromDaysAgo + random.int(0, 900)),
          preferred_channel: random.chance(0.6) ? random.pick(['email', 'phone', 'text', 'in_person', 'video']) : null,
          preferred_time: random.chance(0.4) ? random.pick(['Early morning', 'Before 9am', 'After lunch', 'Friday afternoons']) : null,
          birthday: random.chance(0.5) ? `${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}` : null,
          status: 'active',
          leaving_on: null,
          left_on: null,
          departure_notice: null,
          departure_destination: null,
          replacement_contact_id: null,
          archived: 0,
          version: 1,
          last_touch_at: null,
          last_outside_meeting_at: null,
          touchpoint_count: 0,
          created_at: this.iso(fromDaysAgo),
          updated_at: this.iso(fromDaysAgo),
        },
      };
      planned.push(contact);
      return contact;
    };

    const boss = add(hasBoss ? ['boss'] : [], random.pick(titles.boss), null);
    const decisionMaker = add(hasDecisionMaker ? ['decision_maker'] : ['influencer'], random.pick(titles.decision_maker), boss);
    const leads = [decisionMaker];
    for (let n = 2; n < Math.min(4, count); n++) leads.push(add([hasInfluencers ? 'influencer' : 'user'], random.pick(titles.lead), decisionMaker));
    while (planned.length < count) {
      const influencer = hasInfluencers && random.chance(0.3);
      add([influencer ? 'influencer' : 'user'], random.pick(influencer ? titles.influencer : titles.user), random.pick(leads));
    }
    if (random.chance(0.6)) random.pick(planned.slice(1)).roles.push('champion');

    // Departures: the decision-maker is leaving, or left (replaced or not); now and then someone else left too.
    const fate = key || !hasDecisionMaker ? 1 : random.next();
    if (fate < 0.04) {
      Object.assign(decisionMaker.row, {
        status: 'leaving',
        leaving_on: this.date(-random.int(5, 45)),
        departure_notice: 'told_in_advance',
      } satisfies Partial<Row<'contacts'>>);
    } else if (fate < 0.12) {
      const leftDaysAgo = random.int(30, 300);
      this.depart(decisionMaker, leftDaysAgo);
      if (random.chance(0.5)) {
        const successor = add(['decision_maker'], decisionMaker.row.title!, boss, leftDaysAgo - random.int(0, 25));
        successor.row.started_in_role_on = this.date(successor.fromDaysAgo);
        decisionMaker.row.replacement_contact_id = successor.row.id;
      }
    }
    for (const contact of planned.slice(2)) if (random.chance(0.03)) this.depart(contact, random.int(10, 600));
    return planned;
  }

  private depart(contact: PlannedContact, daysAgo: number) {
    contact.untilDaysAgo = Math.min(daysAgo, contact.fromDaysAgo);
    Object.assign(contact.row, {
      status: 'left',
      left_on: this.date(contact.untilDaysAgo),
      departure_notice: this.random.chance(0.6) ? 'surprise' : 'told_in_advance',
      departure_destination: this.random.chance(0.5) ? this.random.pick(destinations) : null,
      updated_at: this.iso(contact.untilDaysAgo),
    } satisfies Partial<Row<'contacts'>>);
  }

  private complaint(account: Row<'accounts'>, ownerId: number, contact: PlannedContact): Row<'complaints'> {
    const { random } = this;
    const [category, issue] = random.pick(complaintIssues);
    const raisedDaysAgo = random.int(0, historyDays);
    const followUpDaysAgo = raisedDaysAgo - 14;
    // Old complaints were closed; recent ones are often still waiting for the satisfaction check.
    const verified = followUpDaysAgo > 30 ? random.chance(0.95) : random.chance(0.4);
    return {
      id: this.nextId.complaint++,
      account_id: account.id,
      contact_id: contact.row.id,
      category,
      issue,
      raised_on: this.date(raisedDaysAgo),
      acknowledged_on: this.date(Math.max(0, raisedDaysAgo - 1)),
      acknowledged_by_id: ownerId,
      resolution: raisedDaysAgo > 7 ? 'Fixed on site and credited the affected invoice.' : null,
      response: raisedDaysAgo > 7 ? 'Apologised in person and explained the fix.' : null,
      resolved_on: raisedDaysAgo > 7 ? this.date(raisedDaysAgo - 7) : null,
      resolved_by_id: raisedDaysAgo > 7 ? ownerId : null,
      follow_up_due_on: raisedDaysAgo > 7 ? this.date(followUpDaysAgo) : null,
      verified_on: raisedDaysAgo > 7 && verified ? this.date(Math.max(0, followUpDaysAgo)) : null,
      verified_by_id: raisedDaysAgo > 7 && verified ? ownerId : null,
      satisfied: raisedDaysAgo > 7 && verified ? (random.chance(0.9) ? 1 : 0) : null,
      outcome: raisedDaysAgo > 7 && verified ? 'Customer confirmed the problem is gone.' : null,
      internal_notes: '',
      created_at: this.iso(raisedDaysAgo),
      updated_at: this.iso(Math.max(0, followUpDaysAgo)),
    };
  }

  /**
   * Gives the rep's touchpoints ids in time order (so one account's history is spread through the
   * table as in real life), with their participants, the promises some of them made, and the
   * touchpoint summaries kept on contacts and accounts.
   */
  *touchpointRows(batch: RepBatch): Generator<
    { touchpoint: Row<'touchpoints'>; participants: Row<'touchpoint_contacts'>[]; commitment: Row<'commitments'> | null }
  > {
    const { random } = this;
    for (const planned of batch.touchpoints) {
      const occurredAt = new Date(planned.at).toISOString();
      const id = this.nextId.touchpoint++;
      const promise = random.chance(0.05) ? random.pick(promises) : null;
      const dueOn = promise ? new Date(planned.at + random.int(3, 21) * day).toISOString().slice(0, 10) : null;
      const touchpoint: Row<'touchpoints'> = {
        id,
        account_id: planned.account.id,
        author_id: planned.ownerId,
        kind: planned.kind,
        occurred_at: occurredAt,
        location: planned.location,
        summary: random.pick(summaries[planned.kind]),
        internal_notes: planned.kind === 'meal' && random.chance(0.3) ? 'They hinted a competitor quoted 10% lower.' : '',
        value_delivered: planned.kind === 'service_call' || planned.kind === 'delivery' ? 'Device back in service the same day' : '',
        testimonial_url: null,
        next_step: promise,
        next_step_due_on: dueOn,
        source: null,
        message_id: null,
        import_key: null,
        created_at: occurredAt,
      };
      const outsideMeeting = planned.location === 'outside_office' && faceToFaceKinds.includes(planned.kind);
      planned.account.last_touchpoint_at = occurredAt;
      const participants = planned.participants.map(({ row }) => {
        row.last_touch_at = occurredAt;
        row.touchpoint_count += 1;
        if (outsideMeeting) row.last_outside_meeting_at = occurredAt;
        return { touchpoint_id: id, contact_id: row.id, account_id: planned.account.id, occurred_at: occurredAt, kind: planned.kind, location: planned.location };
      });
      const dueInPast = dueOn !== null && Date.parse(dueOn) < this.now;
      const commitment: Row<'commitments'> | null = promise
        ? {
            id: this.nextId.commitment++,
            account_id: planned.account.id,
            contact_id: planned.participants[0]!.row.id,
            owner_id: planned.ownerId,
            description: promise,
            due_on: dueOn!,
            done_at: dueInPast && random.chance(0.85) ? new Date(Date.parse(dueOn!) - random.int(0, 2) * day).toISOString() : null,
            source: 'touchpoint',
            touchpoint_id: id,
            departed_contact_id: null,
            playbook_step: null,
            closed_reason: null,
            complaint_id: null,
            created_at: occurredAt,
          }
        : null;
      yield { touchpoint, participants, commitment };
    }
  }
}

/**
 * Loads a company of `reps` reps into an empty, migrated SQLite database file. Users sign in with
 * `scalePassword`; the admin is admin@scale…, managers manager1…, reps rep1….
 */
export async function seedScale(file: string, options: ScaleOptions): Promise<{ counts: ScaleCounts; seconds: number }> {
  const started = performance.now();
  const planner = new CompanyPlanner(options.seed ?? 500, options.now, options.accountsPerRep ?? 200);
  // Hashing is deliberately slow: once for everyone.
  const passwordHash = await hashPassword(scalePassword);
  const sqlite = openSqlite(file);
  const counts: ScaleCounts = { users: 0, accounts: 0, contacts: 0, contact_roles: 0, touchpoints: 0, touchpoint_contacts: 0, commitments: 0, complaints: 0 };
  try {
    sqlite.pragma('synchronous = OFF');
    sqlite.pragma('foreign_keys = OFF');
    sqlite.pragma('cache_size = -262144');
    sqlite.pragma('wal_autocheckpoint = 100000');

    // Indexes are built once at the end, from their own definitions, instead of updated row by row.
    const indexes = sqlite.prepare(`select name, sql from sqlite_master where type = 'index' and sql is not null`).all() as { name: string; sql: string }[];
    for (const index of indexes) sqlite.exec(`drop index "${index.name}"`);
    // The full-text search indexes too: their triggers are set aside and each is rebuilt in one pass.
    const triggers = sqlite.prepare(`select name, sql from sqlite_master where type = 'trigger' and tbl_name in ('accounts', 'contacts')`).all() as { name: string; sql: string }[];
    for (const trigger of triggers) sqlite.exec(`drop trigger "${trigger.name}"`);
    const searchIndexes = sqlite.prepare(`select name from sqlite_master where type = 'table' and sql like 'create virtual table%using fts5%'`).all() as { name: string }[];

    const statements = new Map<LoadedTable, SqliteDatabase.Statement>();
    const insert = <T extends LoadedTable>(table: T, row: Row<T>) => {
      let statement = statements.get(table);
      if (!statement) {
        const columns = Object.keys(row);
        statement = sqlite.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map((column) => `@${column}`).join(', ')})`);
        statements.set(table, statement);
      }
      statement.run(row);
      counts[table] += 1;
    };

    const users = planner.users(options.reps, passwordHash);
    sqlite.transaction(() => users.forEach((user) => insert('users', user)))();
    const reps = users.filter((user) => user.role === 'rep');
    const loadRep = sqlite.transaction((ownerId: number) => {
      const batch = planner.rep(ownerId);
      for (const { touchpoint, participants, commitment } of planner.touchpointRows(batch)) {
        insert('touchpoints', touchpoint);
        for (const participant of participants) insert('touchpoint_contacts', participant);
        if (commitment) insert('commitments', commitment);
      }
      for (const account of batch.accounts) insert('accounts', account);
      for (const contact of batch.contacts) {
        insert('contacts', contact.row);
        for (const role of contact.roles) insert('contact_roles', { contact_id: contact.row.id, account_id: contact.row.account_id, role });
      }
      for (const complaint of batch.complaints) insert('complaints', complaint);
    });
    const step = Math.max(1, Math.round(reps.length / 10));
    reps.forEach((rep, index) => {
      loadRep(rep.id);
      if ((index + 1) % step === 0) options.log?.(`${index + 1} of ${reps.length} reps loaded (${Math.round((performance.now() - started) / 1000)} s)`);
    });

    options.log?.('Building indexes…');
    for (const index of indexes) sqlite.exec(index.sql);
    for (const { name } of searchIndexes) sqlite.exec(`insert into "${name}" ("${name}") values ('rebuild')`);
    for (const trigger of triggers) sqlite.exec(trigger.sql);
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    // Sampled statistics: enough for the planner, without reading every row of every index again.
    sqlite.pragma('analysis_limit = 1000');
    sqlite.exec('analyze');
    return { counts, seconds: (performance.now() - started) / 1000 };
  } finally {
    sqlite.close();
  }
}

export function describeScaleSeed({ counts, seconds }: Awaited<ReturnType<typeof seedScale>>): string {
  const numbers = Object.entries(counts).map(([table, count]) => `${count.toLocaleString('en-US')} ${table}`);
  return `Loaded ${numbers.join(', ')} in ${seconds.toFixed(0)} s. Sign in as ${scaleEmails.rep(1)}, ${scaleEmails.manager(1)} or ${scaleEmails.admin} with password "${scalePassword}".`;
}
