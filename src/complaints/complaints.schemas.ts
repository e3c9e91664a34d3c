import { z } from 'zod';
import { blankToUndefined, clearableDate, clearableText, optionalDate, optionalEntityId, optionalText, requiredText } from '../http/fields.js';

export const newComplaintSchema = z.object({
  category: requiredText('Category', 50),
  issue: requiredText('The issue', 5000),
  contact_id: optionalEntityId,
  raised_on: optionalDate,
  internal_notes: optionalText(5000),
});

/** Yes/no from the API (true/false) or a form ("yes"/"no"); null clears it. */
const satisfied = z.preprocess(
  (value) => (value === 'yes' || value === 'true' ? true : value === 'no' || value === 'false' ? false : value === '' ? undefined : value),
  z.boolean({ error: 'Say yes or no' }).nullable().optional(),
);

/** Each step of service recovery is a few of these fields; an absent field stays as it is, null clears it. */
export const complaintPatchSchema = z.object({
  acknowledged_on: clearableDate,
  resolution: clearableText(5000),
  response: clearableText(5000),
  resolved_on: clearableDate,
  follow_up_due_on: clearableDate,
  verified_on: clearableDate,
  satisfied,
  outcome: clearableText(5000),
  internal_notes: z.preprocess((value) => (value === null ? '' : typeof value === 'string' ? value.trim() : value), z.string().max(5000, 'Keep it under 5000 characters').optional()),
});

export const newCategorySchema = z.object({
  name: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
    z.string({ error: 'Name the category' }).min(1, 'Name the category').max(40, 'Keep it under 40 characters'),
  ),
});

export const categoryChangeSchema = z.object({ active: z.preprocess(blankToUndefined, z.enum(['0', '1'], { error: 'Choose retire or restore' })) });

export type NewComplaintInput = z.output<typeof newComplaintSchema>;
export type ComplaintPatch = z.output<typeof complaintPatchSchema>;
