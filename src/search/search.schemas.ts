import { z } from 'zod';
import { minimumQueryLength } from './search.service.js';

export const searchQuerySchema = z.object({
  q: z
    .string({ error: 'Say what to look for' })
    .trim()
    .min(minimumQueryLength, `Type at least ${minimumQueryLength} letters`)
    .max(200, 'Keep it under 200 characters'),
});
