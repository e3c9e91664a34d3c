import { DateTime } from 'luxon';
import type { ContactRole, ContactStatus } from '../contacts/contacts.table.js';
import { localDayNumber } from '../local-time.js';

// The risk rules: pure functions of an account's loaded data and "now" in the viewer's zone.
// One rule per small function, gathered in one table with its code, severity, weight and next action.

export interface RiskContact {
  id: number;
  name: string;
  status: ContactStatus;
  roles: ContactRole[];
  started_in_role_on: string | null;
  leaving_on: string | null;
  left_on: string | null;
  replacement_contact_id: number | null;
  /** Last touchpoint of any kind with this contact. */
  last_touch_at: string | null;
  /** Last meeting, coffee or meal with them at an outside-the-office location. */
  last_outside_meeting_at: string | null;
  touchpoint_count: number;
  /**
   * The start of the soonest meeting planned with them from an invitation (not cancelled, not yet
   * held, from the viewer's today on, and not answered "not outside the office").
   */
  next_planned_meeting_at?: string | null;
}

export interface RiskAccount {
  id: number;
  meeting_cadence_days: number;
  created_at: string;
}

export interface OverdueItem {
  description: string;
  due_on: string;
  contact_id: number | null;
  contact_name: string | null;
}

/** A step of a departure's recovery playbook (a commitment the playbook created). */
export interface RecoveryStep {
  departed_contact_id: number;
  step: string;
  description: string;
  due_on: string;
  done_at: string | null;
  /** Set when the step closed itself because it no longer applies. */
  closed_reason: string | null;
}

/** A complaint not yet resolved. */
export interface OpenComplaint {
  description: string;
  raised_on: string;
  acknowledged_on: string | null;
  contact_id: number | null;
  contact_name: string | null;
}

export interface AccountRiskInput {
  account: RiskAccount;
  contacts: RiskContact[];
  last_touchpoint_at: string | null;
  overdue_commitments: OverdueItem[];
  overdue_complaint_follow_ups: OverdueItem[];
  /** Every recovery-playbook step on the account, done or not. */
  recovery_steps: RecoveryStep[];
  open_complaints: OpenComplaint[];
  /** Open departure signals (an automatic reply saying they left, a permanent bounce), newest first. */
  departure_signals: { contact_id: number; kind: 'auto_reply' | 'bounce'; received_at: string; excerpt: string }[];
}

export interface RiskClock {
  now: Date;
  zone: string;
}

export type Severity = 'low' | 'medium' | 'high';

export interface RaisedFlag {
  message: string;
  contact_id?: number;
  /** When this flag is graver or milder than its rule's usual severity. */
  severity?: Severity;
  /** When this flag names its own next step (a recovery's), instead of its rule's usual one. */
  next_action?: string;
}

export interface RiskRule {
  code: string;
  severity: Severity;
  weight: number;
  /** Short label for dashboards. */
  label: string;
  next_action: string;
  evaluate(input: AccountRiskInput, today: LocalDay): RaisedFlag[];
}

const msPerDay = 86_400_000;
const dayNumber = (year: number, month: number, day: number) => Date.UTC(year, month - 1, day) / msPerDay;
const isoDateOf = (day: number) => new Date(day * msPerDay).toISOString().slice(0, 10);

/** Calendar arithmetic in the viewer's zone: "today", and whole days since an instant or date. */
export class LocalDay {
  private readonly now: Date;
  private readonly zone: string;
  /** Today's local date as a day number, so calendar differences are subtractions. */
  private readonly todayNumber: number;
  private startOfToday?: DateTime;
  constructor({ now, zone }: RiskClock) {
    this.now = now;
    this.zone = zone;
    this.todayNumber = localDayNumber(zone, now.getTime());
  }
  /** The start of today in the viewer's zone; built on first use, as it costs more than assessing an account. */
  get today(): DateTime {
    return (this.startOfToday ??= DateTime.fromJSDate(this.now).setZone(this.zone).startOf('day'));
  }
  /** Whole calendar days from an instant (UTC ISO) to today, in the viewer's zone. */
  daysSinceInstant(iso: string): number {
    return this.todayNumber - localDayNumber(this.zone, Date.parse(iso));
  }
  daysSinceDate(date: string): number {
    const [year, month, day] = date.split('-').map(Number);
    return this.todayNumber - dayNumber(year!, month!, day!);
  }
  /** The local date of an instant (UTC ISO), YYYY-MM-DD. */
  isoDateOfInstant(iso: string): string {
    return isoDateOf(localDayNumber(this.zone, Date.parse(iso)));
  }
  /** The local date so many days from today, YYYY-MM-DD. */
  isoDateIn(days: number): string {
    return isoDateOf(this.todayNumber + days);
  }
  get isoDate(): string {
    return isoDateOf(this.todayNumber);
  }
}

const warmWindowDays = 90;
const quietWindowDays = 45;
const newInRoleDays = 90;

/** Still at the customer: a contact who is leaving still holds their roles until they go. */
const isActive = (contact: RiskContact) => contact.status !== 'left';
const holds = (role: ContactRole) => (contact: RiskContact) => contact.roles.includes(role);
const activeWith = (input: AccountRiskInput, role: ContactRole) => input.contacts.filter(isActive).filter(holds(role));
const touchedWithin = (today: LocalDay, days: number) => (contact: RiskContact) =>
  contact.last_touch_at !== null && today.daysSinceInstant(contact.last_touch_at) <= days;
const roleName = (role: ContactRole) => (role === 'decision_maker' ? 'decision-maker' : role === 'boss' ? "decision-maker's boss" : role);
const formatDate = (date: string) => DateTime.fromISO(date).toFormat('d LLL yyyy');
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The decision-maker meeting clock: when we last met an active decision-maker outside the office. */
export function decisionMakerMeeting(input: AccountRiskInput, today: LocalDay) {
  const decisionMakers = activeWith(input, 'decision_maker');
  if (decisionMakers.length === 0) return null;
  const lastMet = decisionMakers
    .filter((contact) => contact.last_outside_meeting_at !== null)
    .sort((a, b) => b.last_outside_meeting_at!.localeCompare(a.last_outside_meeting_at!))[0];
  const cadence = input.account.meeting_cadence_days;
  // Never met outside: the clock runs from when the account was opened.
  const daysSince = lastMet ? today.daysSinceInstant(lastMet.last_outside_meeting_at!) : today.daysSinceInstant(input.account.created_at);
  const contact = lastMet ?? decisionMakers[0]!;
  // The soonest meeting planned with a decision-maker from today on, unless the rep said it is not
  // outside the office: shown with the clock, but only the meeting itself, once held, resets it.
  const planned = decisionMakers
    .filter((candidate) => candidate.next_planned_meeting_at && today.daysSinceInstant(candidate.next_planned_meeting_at) <= 0)
    .sort((a, b) => a.next_planned_meeting_at!.localeCompare(b.next_planned_meeting_at!))[0];
  const dueInDays = cadence - daysSince;
  const plannedOn = planned ? today.isoDateOfInstant(planned.next_planned_meeting_at!) : null;
  return {
    contact: { id: contact.id, name: contact.name },
    never_met: !lastMet,
    last_met_at: lastMet?.last_outside_meeting_at ?? null,
    days_since: daysSince,
    cadence_days: cadence,
    /** Days until the next meeting is due; negative when overdue. */
    due_in_days: dueInDays,
    due_on: today.isoDateIn(dueInDays),
    /** The next meeting planned with a decision-maker (from an invitation); `in_time` when it is on or before the due date. */
    planned:
      planned && plannedOn
        ? { contact: { id: planned.id, name: planned.name }, starts_at: planned.next_planned_meeting_at!, on: plannedOn, in_time: plannedOn <= today.isoDateIn(dueInDays) }
        : null,
  };
}

/** "coffee with Maria Lopez planned for Thu 10 Dec" (the local date of the meeting). */
export const plannedMeetingText = (planned: { contact: { name: string }; on: string }) =>
  `coffee with ${planned.contact.name} planned for ${DateTime.fromISO(planned.on).toFormat('ccc d LLL')}`;

/** A new account is onboarding, not an emergency, for this many days while its chain is unmapped. */
const onboardingDays = 14;
/** A recovery whose successor has been met and briefed stops holding the level up this long after the departure. */
const recoveryWindowDays = 90;
const complaintAcknowledgeDays = 2;
const complaintResolveDays = 14;

export type ScoreLevel = 'ok' | 'watch' | 'at_risk' | 'critical';
export const scoreLevels: ScoreLevel[] = ['ok', 'watch', 'at_risk', 'critical'];
const lowestScoreOf: Record<ScoreLevel, number> = { ok: 0, watch: 20, at_risk: 50, critical: 80 };

/** How far the recovery from one key contact's departure has got, and the level it holds the account at. */
export interface Recovery {
  leaver: RiskContact;
  successor: RiskContact | null;
  /** Met the successor outside the office (a meeting, coffee or meal). */
  met: boolean;
  /** The account history was presented to the successor (the playbook's step, done). */
  presented: boolean;
  steps_done: number;
  steps_total: number;
  /** The level the account cannot drop below while this recovery is under way. */
  floor: ScoreLevel;
  next_step: string;
}

const isKeyContact = (contact: RiskContact) => holds('decision_maker')(contact) || holds('boss')(contact);

/**
 * Every recovery still under way: a decision-maker or boss who is leaving, or who left and whose
 * successor has not been named, met outside the office and given the account history — or who left
 * under 90 days ago with playbook steps still open. "A departure is a state, not an event."
 */
export function recoveriesUnderWay(input: AccountRiskInput, today: LocalDay): Recovery[] {
  const byId = new Map(input.contacts.map((contact) => [contact.id, contact]));
  const recoveries: Recovery[] = [];
  for (const leaver of input.contacts) {
    if (leaver.status === 'active' || !isKeyContact(leaver)) continue;
    const named = leaver.replacement_contact_id === null ? undefined : byId.get(leaver.replacement_contact_id);
    const successor = named && named.status !== 'left' ? named : null;
    const steps = input.recovery_steps.filter((step) => step.departed_contact_id === leaver.id);
    const stepsDone = steps.filter((step) => step.done_at !== null).length;
    const met = successor !== null && successor.last_outside_meeting_at !== null;
    const presented = steps.some((step) => step.step === 'history_report' && step.done_at !== null && step.closed_reason === null);
    const openSteps = steps.filter((step) => step.done_at === null).sort((a, b) => a.due_on.localeCompare(b.due_on));
    const firstOpenStep = openSteps[0]?.description;
    let floor: ScoreLevel | null;
    let nextStep: string;
    if (leaver.status === 'leaving') {
      floor = successor && met ? 'watch' : 'at_risk';
      nextStep = !successor
        ? `Ask ${leaver.name} who will take over, and for an introduction`
        : !met
          ? `Meet ${successor.name} outside the office before ${leaver.name} hands over`
          : (firstOpenStep ?? `Keep ${successor.name} close until ${leaver.name} has gone`);
    } else {
      const daysSinceLeft = leaver.left_on ? today.daysSinceDate(leaver.left_on) : 0;
      const recent = daysSinceLeft <= recoveryWindowDays;
      const nobodyDecides = holds('decision_maker')(leaver) && activeWith(input, 'decision_maker').length === 0;
      if (nobodyDecides) floor = 'critical';
      else if (!successor) floor = recent ? 'at_risk' : null;
      // A departure from before the playbook existed, long past, is history rather than a live recovery.
      else if (!met || !presented) floor = recent || steps.length > 0 ? 'at_risk' : null;
      else floor = recent && openSteps.length > 0 ? 'watch' : null;
      nextStep = !successor
        ? `Find out who decides in ${leaver.name}'s place, introduce yourself and offer help`
        : !met
          ? `Have coffee with ${successor.name} outside the office, as soon as possible`
          : !presented
            ? `Present the account history to ${successor.name}`
            : (firstOpenStep ?? 'Finish the recovery playbook');
    }
    if (floor === null) continue;
    recoveries.push({ leaver, successor, met, presented, steps_done: stepsDone, steps_total: steps.length, floor, next_step: nextStep });
  }
  return recoveries;
}

function describeRecovery(recovery: Recovery, today: LocalDay): string {
  const { leaver, successor } = recovery;
  const parts: string[] = [];
  if (leaver.status === 'leaving') {
    const days = leaver.leaving_on ? -today.daysSinceDate(leaver.leaving_on) : null;
    parts.push(
      `${leaver.name} (${roleName(holds('decision_maker')(leaver) ? 'decision_maker' : 'boss')}) is leaving` +
        (leaver.leaving_on ? ` on ${formatDate(leaver.leaving_on)}${days !== null && days > 0 ? ` (in ${plural(days, 'day')})` : ''}` : ''),
    );
  } else {
    const days = leaver.left_on ? today.daysSinceDate(leaver.left_on) : null;
    parts.push(`${leaver.name} left${days === null ? '' : days === 0 ? ' today' : ` ${plural(days, 'day')} ago`}`);
  }
  if (!successor) parts.push(leaver.status === 'leaving' ? 'no successor named yet' : 'nobody named in their place yet');
  else if (!recovery.met) parts.push(`${successor.name} not met outside the office yet`);
  else if (leaver.status === 'left' && !recovery.presented) parts.push(`${successor.name} met, the account history not presented yet`);
  else parts.push(`${successor.name} met outside the office`);
  if (recovery.steps_total > 0) parts.push(`${recovery.steps_done} of ${plural(recovery.steps_total, 'recovery step')} done`);
  return `${parts.join('; ')}.`;
}

export const riskRules: RiskRule[] = [
  {
    code: 'no_decision_maker',
    severity: 'high',
    weight: 35,
    label: 'No decision-maker',
    next_action: 'Find out who signs off on the purchase and ask your contacts for an introduction.',
    evaluate: (input) => (activeWith(input, 'decision_maker').length === 0 ? [{ message: 'Nobody active at this account is known to make the decision.' }] : []),
  },
  {
    code: 'single_threaded',
    severity: 'high',
    weight: 25,
    label: 'Single-threaded',
    next_action: 'Ask whether all your prime contacts left tomorrow — then meet a second and a third person this month.',
    evaluate(input, today) {
      const warm = input.contacts.filter(isActive).filter(touchedWithin(today, warmWindowDays));
      if (warm.length >= 2) return [];
      const message =
        warm.length === 1
          ? `Only ${warm[0]!.name} has been in touch in the last ${warmWindowDays} days: if they left tomorrow, nobody would know you.`
          : `Nobody at this account has been in touch in the last ${warmWindowDays} days.`;
      return [{ message, ...(warm[0] ? { contact_id: warm[0].id } : {}) }];
    },
  },
  {
    code: 'decision_maker_meeting_overdue',
    severity: 'medium',
    weight: 20,
    label: 'Decision-maker meeting overdue',
    next_action: 'Book a coffee outside the office — early, before their day starts.',
    evaluate(input, today) {
      const meeting = decisionMakerMeeting(input, today);
      if (!meeting || meeting.due_in_days >= 0) return [];
      const overdue = -meeting.due_in_days;
      const who = `${meeting.contact.name} (decision-maker)`;
      const clock = meeting.never_met
        ? `Never met ${who} outside the office — ${plural(overdue, 'day')} overdue on a ${meeting.cadence_days}-day cadence`
        : `No coffee with ${who} outside the office for ${plural(meeting.days_since, 'day')} — ${plural(overdue, 'day')} overdue on a ${meeting.cadence_days}-day cadence`;
      // Planned is not met: the flag stays until the meeting is held outside the office, and says what is planned.
      if (meeting.planned)
        return [
          {
            message: `${clock}; ${plannedMeetingText(meeting.planned)}.`,
            contact_id: meeting.contact.id,
            next_action: 'Keep the planned coffee, and answer “Outside the office” on it afterwards so it restarts the clock.',
          },
        ];
      return [{ message: `${clock}.`, contact_id: meeting.contact.id }];
    },
  },
  {
    code: 'boss_unknown',
    severity: 'low',
    weight: 10,
    label: 'Boss unknown',
    next_action: 'Find out who the decision-maker reports to and ask for an introduction.',
    evaluate: (input) => (activeWith(input, 'boss').length === 0 ? [{ message: "We don't know the decision-maker's boss." }] : []),
  },
  {
    code: 'no_users_engaged',
    severity: 'low',
    weight: 10,
    label: 'No users engaged',
    next_action: 'Visit the people who use what you sell day to day; they notice problems first.',
    evaluate(input, today) {
      const users = activeWith(input, 'user');
      if (users.some(touchedWithin(today, warmWindowDays))) return [];
      return [
        {
          message:
            users.length === 0
              ? 'No one who uses the product day to day is in the buying chain.'
              : `No touchpoint with a user (${users.map((user) => user.name).join(', ')}) in the last ${warmWindowDays} days.`,
        },
      ];
    },
  },
  {
    code: 'no_influencers',
    severity: 'low',
    weight: 5,
    label: 'No influencers',
    next_action: 'Ask who else has a say in the purchase — IT, finance, a department head.',
    evaluate: (input) => (activeWith(input, 'influencer').length === 0 ? [{ message: 'No one who influences the purchase is known.' }] : []),
  },
  {
    code: 'key_contact_leaving',
    severity: 'high',
    weight: 35,
    label: 'Key contact leaving',
    next_action: 'Meet the successor before the handover, ask the leaver for an introduction and where they are going.',
    evaluate: (input) =>
      input.contacts
        .filter((contact) => contact.status === 'leaving' && (holds('decision_maker')(contact) || holds('boss')(contact)))
        .map((contact) => ({
          message: `${contact.name} (${roleName(holds('decision_maker')(contact) ? 'decision_maker' : 'boss')}) is leaving${contact.leaving_on ? ` on ${formatDate(contact.leaving_on)}` : ''}.`,
          contact_id: contact.id,
        })),
  },
  {
    code: 'key_contact_left_unreplaced',
    severity: 'high',
    weight: 35,
    label: 'Decision-maker left, not replaced',
    next_action: 'Introduce yourself to whoever took over, offer help, and present the account history.',
    evaluate(input) {
      if (activeWith(input, 'decision_maker').length > 0) return [];
      const departed = input.contacts
        .filter((contact) => contact.status === 'left' && holds('decision_maker')(contact))
        .sort((a, b) => (b.left_on ?? '').localeCompare(a.left_on ?? ''))[0];
      if (!departed) return [];
      return [
        {
          message: `${departed.name} (decision-maker) left${departed.left_on ? ` on ${formatDate(departed.left_on)}` : ''} and no one has been named to decide in their place.`,
          contact_id: departed.id,
        },
      ];
    },
  },
  {
    code: 'new_key_contact',
    severity: 'medium',
    weight: 10,
    label: 'New decision-maker',
    next_action: 'Meet them soon: introduce yourself, offer help, and walk them through the account history.',
    evaluate: (input, today) =>
      activeWith(input, 'decision_maker')
        .filter((contact) => contact.started_in_role_on !== null && today.daysSinceDate(contact.started_in_role_on) < newInRoleDays)
        .filter((contact) => contact.touchpoint_count < 2)
        .map((contact) => ({
          message: `${contact.name} ${today.daysSinceDate(contact.started_in_role_on!) < 0 ? 'becomes' : 'became'} decision-maker on ${formatDate(contact.started_in_role_on!)} and we have met them ${contact.touchpoint_count === 0 ? 'not at all' : 'only once'}.`,
          contact_id: contact.id,
        })),
  },
  {
    code: 'account_gone_quiet',
    severity: 'medium',
    weight: 20,
    label: 'Gone quiet',
    next_action: 'Call or drop by with something useful — a usage review, a tip, a relevant introduction.',
    evaluate(input, today) {
      if (input.last_touchpoint_at && today.daysSinceInstant(input.last_touchpoint_at) <= quietWindowDays) return [];
      return [
        {
          message: input.last_touchpoint_at
            ? `No touchpoint with anyone for ${plural(today.daysSinceInstant(input.last_touchpoint_at), 'day')}.`
            : 'No touchpoint with anyone yet.',
        },
      ];
    },
  },
  {
    code: 'commitment_overdue',
    severity: 'medium',
    weight: 10,
    label: 'Promise overdue',
    next_action: 'Keep the promise today, or call and agree a new date — never let it slide silently.',
    evaluate(input, today) {
      const late = input.overdue_commitments;
      if (late.length === 0) return [];
      const first = late[0]!;
      const more = late.length > 1 ? ` (and ${plural(late.length - 1, 'more promise')})` : '';
      return [
        {
          message: `“${first.description}”${first.contact_name ? ` for ${first.contact_name}` : ''} was due ${formatDate(first.due_on)} — ${plural(today.daysSinceDate(first.due_on), 'day')} late${more}.`,
          ...(first.contact_id ? { contact_id: first.contact_id } : {}),
        },
      ];
    },
  },
  {
    code: 'complaint_follow_up_overdue',
    severity: 'medium',
    weight: 15,
    label: 'Complaint follow-up overdue',
    next_action: 'Follow up now and verify the customer is 100% satisfied with how it was fixed.',
    evaluate(input, today) {
      const late = input.overdue_complaint_follow_ups;
      if (late.length === 0) return [];
      const first = late[0]!;
      return [
        {
          message: `Follow-up on the complaint “${first.description}”${first.contact_name ? ` from ${first.contact_name}` : ''} was due ${formatDate(first.due_on)} — ${plural(today.daysSinceDate(first.due_on), 'day')} late.`,
          ...(first.contact_id ? { contact_id: first.contact_id } : {}),
        },
      ];
    },
  },
  {
    code: 'recovery_in_progress',
    severity: 'high',
    weight: 15,
    label: 'Recovery in progress',
    next_action: 'Work through the recovery playbook on the account page.',
    evaluate: (input, today) =>
      recoveriesUnderWay(input, today).map((recovery) => ({
        message: describeRecovery(recovery, today),
        contact_id: recovery.leaver.id,
        // Met and briefed, a few steps left: worth watching, no longer an alarm.
        ...(recovery.floor === 'watch' ? { severity: 'medium' as const } : {}),
        next_action: `${recovery.next_step}.`,
      })),
  },
  {
    code: 'complaint_unresolved',
    severity: 'medium',
    weight: 15,
    label: 'Complaint unresolved',
    next_action: 'Call them today: agree there is a problem, fix it fast, and say when you will follow up.',
    evaluate(input, today) {
      const decisionMakerIds = new Set(input.contacts.filter(holds('decision_maker')).map((contact) => contact.id));
      const stalled = input.open_complaints
        .map((complaint) => {
          const age = today.daysSinceDate(complaint.raised_on);
          const problem = complaint.acknowledged_on === null && age > complaintAcknowledgeDays ? 'not been acknowledged' : age > complaintResolveDays ? 'not been resolved' : null;
          return { complaint, age, problem, fromDecisionMaker: complaint.contact_id !== null && decisionMakerIds.has(complaint.contact_id) };
        })
        .filter((entry) => entry.problem !== null)
        // The gravest first: a decision-maker's, then the oldest.
        .sort((a, b) => Number(b.fromDecisionMaker) - Number(a.fromDecisionMaker) || b.age - a.age);
      const first = stalled[0];
      if (!first) return [];
      const more = stalled.length > 1 ? ` (and ${plural(stalled.length - 1, 'more complaint')})` : '';
      return [
        {
          message: `The complaint “${first.complaint.description}”${first.complaint.contact_name ? ` from ${first.complaint.contact_name}` : ''}, raised ${plural(first.age, 'day')} ago, has ${first.problem}${more}.`,
          ...(first.complaint.contact_id ? { contact_id: first.complaint.contact_id } : {}),
          ...(stalled.some((entry) => entry.fromDecisionMaker) ? { severity: 'high' as const } : {}),
        },
      ];
    },
  },
  {
    code: 'possible_departure',
    severity: 'medium',
    weight: 30,
    label: 'May have left',
    next_action: 'Call the account to check; if they left, confirm it and start the recovery playbook.',
    evaluate(input) {
      const flags: RaisedFlag[] = [];
      for (const signal of input.departure_signals) {
        const contact = input.contacts.find((candidate) => candidate.id === signal.contact_id);
        if (!contact || contact.status === 'left' || flags.some((flag) => flag.contact_id === contact.id)) continue;
        const key = holds('decision_maker')(contact) ? 'decision_maker' : holds('boss')(contact) ? 'boss' : null;
        const evidence =
          signal.kind === 'bounce'
            ? `mail to them bounced permanently on ${formatDate(signal.received_at.slice(0, 10))}`
            : `their automatic reply on ${formatDate(signal.received_at.slice(0, 10))} says “${signal.excerpt.length > 140 ? `${signal.excerpt.slice(0, 139)}…` : signal.excerpt}”`;
        flags.push({ message: `${contact.name}${key ? ` (${roleName(key)})` : ''} may have left: ${evidence}.`, contact_id: contact.id, severity: key ? 'high' : 'medium' });
      }
      return flags.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'high' ? -1 : 1));
    },
  },
];

export const riskRuleByCode = new Map(riskRules.map((rule) => [rule.code, rule]));

/** This module, whose text decides every assessment (risk-cache.ts fingerprints it). */
export const riskRulesModule = import.meta.url;

/** The levels a score falls into, and "getting_started" for a new account whose chain is not mapped yet. */
export type RiskLevel = ScoreLevel | 'getting_started';
export const riskLevels: RiskLevel[] = [...scoreLevels, 'getting_started'];

export function levelFor(score: number): ScoreLevel {
  return score >= 80 ? 'critical' : score >= 50 ? 'at_risk' : score >= 20 ? 'watch' : 'ok';
}

/** The flags that say a key contact is going or gone: they count from an account's first day. */
const departureCodes = new Set(['key_contact_leaving', 'key_contact_left_unreplaced', 'recovery_in_progress', 'possible_departure']);
const severityRank: Record<Severity, number> = { high: 3, medium: 2, low: 1 };

/** Mapped: someone still there decides, and we know at least two people. */
function chainMapped(input: AccountRiskInput): boolean {
  return activeWith(input, 'decision_maker').length > 0 && input.contacts.filter(isActive).length >= 2;
}

export interface Flag extends RaisedFlag {
  code: string;
  severity: Severity;
  label: string;
  next_action: string;
}

export interface AccountRisk {
  account_id: number;
  score: number;
  level: RiskLevel;
  flags: Flag[];
  decision_maker_meeting: ReturnType<typeof decisionMakerMeeting>;
  /** Everyone with a warm relationship (a touchpoint in 90 days): if they all left, nobody would know us. */
  warm_contacts: { id: number; name: string }[];
}

/** Scores one account: each rule counts its weight once, whatever number of flags it raises; capped at 100. */
export function assessAccount(input: AccountRiskInput, clock: RiskClock): AccountRisk {
  const today = new LocalDay(clock);
  const flags: (Flag & { weight: number })[] = [];
  let score = 0;
  for (const rule of riskRules) {
    const raised = rule.evaluate(input, today);
    if (raised.length === 0) continue;
    score += rule.weight;
    for (const flag of raised)
      flags.push({ code: rule.code, severity: rule.severity, label: rule.label, next_action: rule.next_action, weight: rule.weight, ...flag });
  }
  // A departure holds the level up until the account is safe again (the floor table in the README).
  for (const recovery of recoveriesUnderWay(input, today)) score = Math.max(score, lowestScoreOf[recovery.floor]);
  score = Math.min(100, score);
  const onboarding =
    today.daysSinceInstant(input.account.created_at) < onboardingDays && !chainMapped(input) && !flags.some((flag) => departureCodes.has(flag.code));
  // Listed by severity, then weight, everywhere (the sort is stable: a rule's flags keep their order).
  flags.sort((a, b) => severityRank[b.severity] - severityRank[a.severity] || b.weight - a.weight);
  return {
    account_id: input.account.id,
    score,
    level: onboarding ? 'getting_started' : levelFor(score),
    flags: flags.map(({ weight: _weight, ...flag }) => flag),
    decision_maker_meeting: decisionMakerMeeting(input, today),
    warm_contacts: input.contacts
      .filter(isActive)
      .filter(touchedWithin(today, warmWindowDays))
      .map(({ id, name }) => ({ id, name })),
  };
}
