import { DateTime } from 'luxon';
import { z } from 'zod';
import { asArray, blankToUndefined, clearableDate, clearableText, entityId, optionalDate, optionalText } from '../http/fields.js';
import { contactPatchSchema, newContactRequestSchema } from '../contacts/contacts.schemas.js';
import { gapAnswersSchema } from './gap-prompts.js';
import { kindNeedsParticipants, participantsRequired, touchpointKinds, touchpointLocations } from './touchpoints.table.js';

/**
 * When it happened: an ISO-8601 instant with an offset (API), or a local date-time from a
 * datetime-local input, read in the viewer's time zone (form). Stored as UTC.
 */
const occurredAt = (zone: string) =>
  z.string({ error: 'Say when it happened' }).transform((value, ctx) => {
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(value);
    const parsed = hasOffset ? DateTime.fromISO(value, { setZone: true }) : DateTime.fromISO(value, { zone });
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) || !parsed.isValid) {
      ctx.addIssue({ code: 'custom', message: 'Use a date and time like 2026-11-23T07:30' });
      return z.NEVER;
    }
    return parsed.toUTC().toISO()!;
  });

/** What was learned about someone who took part; `note` is kept in their change history. */
export const contactUpdateSchema = contactPatchSchema
  .pick({ title: true, roles: true, reports_to_contact_id: true, status: true, leaving_on: true, notice: true })
  .extend({ contact_id: entityId, note: optionalText(2000) });

/** The fields in one zone; built once per zone, because building a zod object schema costs more than parsing with it. */
const fieldsByZone = new Map<string, ReturnType<typeof touchpointFields>>();

function touchpointFields(zone: string) {
  return z
    .object({
      contact_ids: z.preprocess(asArray, z.array(entityId)).default([]),
      kind: z.enum(touchpointKinds, { error: 'Choose what kind of touchpoint it was' }),
      occurred_at: z.preprocess(blankToUndefined, occurredAt(zone).optional()),
      location: z.enum(touchpointLocations, { error: 'Choose where it happened' }),
      summary: optionalText(5000),
      internal_notes: optionalText(5000),
      value_delivered: optionalText(2000),
      testimonial_url: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/, error: 'Enter a full link starting with https://' }).optional()),
      next_step: optionalText(500),
      next_step_due_on: optionalDate,
      contact_updates: z.array(contactUpdateSchema).default([]),
      new_contacts: z.array(newContactRequestSchema).max(20).default([]),
      gap_answers: gapAnswersSchema,
    });
}

/** A next step given without a due date is due this many days after the day it is logged. */
export const nextStepDefaultDays = 7;

/** The default due date of a next step logged at `now` in `zone`. */
export const defaultNextStepDueOn = (zone: string, now: Date) => DateTime.fromJSDate(now).setZone(zone).plus({ days: nextStepDefaultDays }).toISODate()!;

/**
 * A touchpoint as logged by someone in `zone` at `now`: when it happened defaults to now and is never
 * a day ahead; a next step without a due date falls due in a week, so it becomes a promise too.
 */
export function touchpointSchema(zone: string, now: Date) {
  let fields = fieldsByZone.get(zone);
  if (!fields) fieldsByZone.set(zone, (fields = touchpointFields(zone)));
  // The checks across fields, once the fields themselves are valid; each error beside its field.
  return fields.transform((input, ctx) => {
    const occurred_at = input.occurred_at ?? now.toISOString();
    const problems: { path: string; message: string }[] = [];
    if (input.next_step_due_on && !input.next_step) problems.push({ path: 'next_step', message: 'Say what the next step is, or clear its due date' });
    // New people and a user met (a gap answer) take part as well as those ticked.
    const people = input.contact_ids.length + input.new_contacts.length + (input.gap_answers.user ? 1 : 0);
    if (kindNeedsParticipants(input.kind) && people === 0) problems.push({ path: 'contact_ids', message: participantsRequired });
    if (occurred_at > new Date(now.getTime() + 24 * 3600 * 1000).toISOString())
      problems.push({ path: 'occurred_at', message: 'That is in the future; log a touchpoint after it happens' });
    for (const { path, message } of problems) ctx.addIssue({ code: 'custom', path: [path], message });
    const next_step_due_on = input.next_step_due_on ?? (input.next_step ? defaultNextStepDueOn(zone, now) : undefined);
    return problems.length > 0 ? z.NEVER : { ...input, occurred_at, next_step_due_on };
  });
}

export type TouchpointInput = z.output<ReturnType<typeof touchpointSchema>>;

/**
 * A correction to a logged touchpoint (PATCH and the edit page): an absent field stays as it is,
 * null or "" clears an optional one. The checks across fields run on the corrected whole (see
 * editTouchpoint), since a patch alone cannot tell.
 */
export function touchpointPatchSchema(zone: string) {
  return z.object({
    contact_ids: z.preprocess((value) => (value === undefined ? undefined : asArray(value)), z.array(entityId).optional()),
    kind: z.enum(touchpointKinds, { error: 'Choose what kind of touchpoint it was' }).optional(),
    occurred_at: z.preprocess(blankToUndefined, occurredAt(zone).optional()),
    location: z.enum(touchpointLocations, { error: 'Choose where it happened' }).optional(),
    summary: clearableText(5000),
    internal_notes: clearableText(5000),
    value_delivered: clearableText(2000),
    testimonial_url: z.preprocess(
      (value) => (value === '' ? null : blankToUndefined(value)),
      z.url({ protocol: /^https?$/, error: 'Enter a full link starting with https://' }).nullable().optional(),
    ),
    next_step: clearableText(500),
    next_step_due_on: clearableDate,
  });
}

export type TouchpointPatch = z.output<ReturnType<typeof touchpointPatchSchema>>;
