import { z } from 'zod';
import { requiredText } from '../http/fields.js';

export const mailboxSchema = z.object({
  host: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
    z.string({ error: 'The IMAP server is required' }).regex(/^[a-z0-9.-]{1,253}$/, 'A host name like imap.gmail.com or outlook.office365.com'),
  ),
  port: z.coerce.number({ error: 'A port like 993' }).int('A port like 993').min(1, 'A port like 993').max(65535, 'A port like 993').default(993),
  /** A checkbox: present means TLS from the start (993); absent means plain, upgraded with STARTTLS when offered. */
  tls: z.preprocess((value) => value === true || value === 'on' || value === '1' || value === 'true', z.boolean()),
  username: requiredText('The user name', 254),
  password: requiredText('The app password', 500),
});

export type MailboxInput = z.output<typeof mailboxSchema>;
