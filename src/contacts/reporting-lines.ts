import { z } from 'zod';
import { asArray, entityId } from '../http/fields.js';
import type { Contact } from './contacts.service.js';

// Linking the chain when someone new takes a place in it: the decision-maker's new boss is
// offered as their reports-to line, so the org chart shows one over the other, not side by side.

/** The decision-makers still there with no reports-to line yet: who a new boss is offered as manager of. */
export function reportingOffers(boss: Contact, colleagues: Contact[]): Contact[] {
  if (!boss.roles.includes('boss') || boss.status === 'left') return [];
  return colleagues.filter(
    (colleague) => colleague.id !== boss.id && colleague.status !== 'left' && colleague.roles.includes('decision_maker') && colleague.reports_to_contact_id === null,
  );
}

/** The ticked people (an unticked box sends nothing, so none ticked is an empty list). */
export const reportsSchema = z.object({ report_ids: z.preprocess(asArray, z.array(entityId)) });
