import { z } from 'zod';
import { blankToUndefined, isoDate, optionalEntityId, requiredText } from '../http/fields.js';

export const newCommitmentSchema = z.object({
  description: requiredText('What you promised', 500),
  due_on: z.preprocess(blankToUndefined, z.string({ error: 'Say by when' }).pipe(isoDate)),
  contact_id: optionalEntityId,
});

/** `{done: true}` marks it done, `{done: false}` reopens it; forms send "1" / "0". */
export const commitmentPatchSchema = z.object({
  done: z.preprocess(
    (value) => (value === '1' || value === 'true' ? true : value === '0' || value === 'false' ? false : value),
    z.boolean({ error: 'Send done: true or false' }),
  ),
});

export type NewCommitmentInput = z.output<typeof newCommitmentSchema>;
export type CommitmentPatch = z.output<typeof commitmentPatchSchema>;
