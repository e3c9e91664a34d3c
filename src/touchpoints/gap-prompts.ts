import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import { type Contact, getContactForUser, updateContact } from '../contacts/contacts.service.js';
import { addContact, sameName } from '../contacts/duplicates.js';
import type { ContactRole } from '../contacts/contacts.table.js';
import { ValidationFailed } from '../http/errors.js';
import { inPart } from '../http/validation.js';
import { blankToUndefined, optionalEntityId, optionalText } from '../http/fields.js';
import { nameSuccessor } from '../playbook/playbook.service.js';
import type { AccountRisk } from '../risk/risk.rules.js';
import type { CurrentUser } from '../users/users.service.js';

// After a meeting the rep may have learned what the buying chain is missing. Each open gap
// (a raised flag) becomes a question on the touchpoint form with a one-line answer.

export const gapKeys = ['decision_maker', 'boss', 'user', 'influencer', 'successor'] as const;
export type GapKey = (typeof gapKeys)[number];

const gapFlag: Record<GapKey, string> = {
  decision_maker: 'no_decision_maker',
  boss: 'boss_unknown',
  user: 'no_users_engaged',
  influencer: 'no_influencers',
  successor: 'key_contact_leaving',
};

export interface GapPrompt {
  key: GapKey;
  question: string;
  /** For a successor: the contact who is leaving. */
  for_contact_id?: number;
}

/** The questions to ask: exactly the gaps whose flag is raised on the account now. */
export function openGapPrompts(risk: AccountRisk, contacts: Contact[]): GapPrompt[] {
  const raised = new Set(risk.flags.map((flag) => flag.code));
  const decisionMaker = contacts.find((contact) => contact.status !== 'left' && contact.roles.includes('decision_maker'));
  const leaving = risk.flags.find((flag) => flag.code === 'key_contact_leaving' && flag.contact_id !== undefined);
  const leaver = contacts.find((contact) => contact.id === leaving?.contact_id);
  const questions: Record<GapKey, () => GapPrompt | null> = {
    decision_maker: () => ({ key: 'decision_maker', question: 'Did you learn who makes the decision?' }),
    boss: () => ({ key: 'boss', question: `Did you learn who ${decisionMaker ? decisionMaker.name : 'the decision-maker'} reports to?` }),
    user: () => ({ key: 'user', question: 'Did you meet anyone who uses what you sell day to day?' }),
    influencer: () => ({ key: 'influencer', question: 'Who else has a say in the purchase?' }),
    successor: () =>
      leaver && leaver.replacement_contact_id === null
        ? { key: 'successor', question: `Who will decide after ${leaver.name} leaves?`, for_contact_id: leaver.id }
        : null,
  };
  return gapKeys.filter((key) => raised.has(gapFlag[key])).flatMap((key) => questions[key]() ?? []);
}

const gapAnswer = z
  .object({
    contact_id: optionalEntityId,
    name: optionalText(200),
    title: optionalText(200),
    for_contact_id: optionalEntityId,
  })
  .refine((answer) => !(answer.contact_id && answer.name), { message: 'Pick someone already here or type a new name, not both', path: ['name'] });

/** Unanswered questions arrive blank and are simply skipped. */
export const gapAnswersSchema = z.preprocess(
  (value) =>
    value && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).filter(([, answer]) => answer && typeof answer === 'object' && ['contact_id', 'name'].some((key) => blankToUndefined((answer as Record<string, unknown>)[key]) !== undefined)))
      : value,
  z.partialRecord(z.enum(gapKeys), gapAnswer).default({}),
);
export type GapAnswers = z.output<typeof gapAnswersSchema>;

const roleFor: Record<Exclude<GapKey, 'successor'>, ContactRole> = {
  decision_maker: 'decision_maker',
  boss: 'boss',
  user: 'user',
  influencer: 'influencer',
};

/**
 * Applies the answers: creates the new people or gives existing ones the missing role, links the
 * decision-maker to their boss, names a successor. Returns who was created and who, as a user
 * met at the meeting, took part in it.
 */
export async function answerGaps(db: DbOrTx, clock: Clock, user: CurrentUser, accountId: number, answers: GapAnswers, context: string, addedAbove: Contact[] = []) {
  const created: Contact[] = [];
  const participants: number[] = [];
  for (const key of gapKeys) {
    const answer = answers[key];
    if (!answer) continue;
    const at = (field: string) => `gap_answers.${key}.${field}`;
    let person: Contact;
    if (answer.contact_id !== undefined) {
      person = await inPart(at('contact_id'), () => getContactForUser(db, user, answer.contact_id!));
      if (person.account_id !== accountId) throw new ValidationFailed({ [at('contact_id')]: 'Not a contact at this account' });
    } else {
      // Someone typed above ("met someone new") or in an earlier answer is that person, not a second one.
      const typedBefore = [...addedAbove, ...created].find((contact) => sameName(contact.name, answer.name!));
      if (typedBefore) person = typedBefore;
      else {
        const roles: ContactRole[] = key === 'successor' ? [] : [roleFor[key]];
        person = await inPart(`gap_answers.${key}`, () => addContact(db, clock, user, accountId, { name: answer.name!, title: answer.title, roles }, { context }));
        created.push(person);
      }
    }
    if (key === 'successor') {
      if (answer.for_contact_id === undefined) throw new ValidationFailed({ [at('name')]: 'Say who is leaving' });
      await nameSuccessor(db, clock, user, answer.for_contact_id, person.id, context);
      continue;
    }
    const role = roleFor[key];
    if (!person.roles.includes(role)) person = await updateContact(db, clock, user, person.id, { roles: [...person.roles, role] }, { context });
    if (key === 'user') participants.push(person.id);
    if (key === 'boss') {
      const decisionMakers = await db
        .selectFrom('contact_roles')
        .innerJoin('contacts', 'contacts.id', 'contact_roles.contact_id')
        .select('contacts.id')
        .where('contact_roles.account_id', '=', accountId)
        .where('contact_roles.role', '=', 'decision_maker')
        .where('contacts.reports_to_contact_id', 'is', null)
        .where('contacts.status', '!=', 'left')
        .where('contacts.id', '!=', person.id)
        .execute();
      for (const { id } of decisionMakers) await updateContact(db, clock, user, id, { reports_to_contact_id: person.id }, { context });
    }
  }
  return { created, participants };
}
