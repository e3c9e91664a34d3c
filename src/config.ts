import { z } from 'zod';

const configSchema = z.object({
  DATABASE_URL: z.string().default('sqlite:./data/buychain.sqlite'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  BASE_URL: z.url().optional(),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default('Buychain <buychain@localhost>'),
  SESSION_SECRET: z.string().min(16).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  MAIL_CREDENTIALS_KEY: z.string().optional(),
  MAIL_CAPTURE_ADDRESS: z.email().optional(),
});

export interface Config {
  databaseUrl: string;
  port: number;
  baseUrl: string;
  smtpUrl?: string;
  mailFrom: string;
  sessionSecret: string;
  /** Cookies get the Secure flag when the public address is https. */
  secureCookies: boolean;
  logLevel: z.infer<typeof configSchema>['LOG_LEVEL'];
  /** Headless Chromium for PDFs; when it is missing, reports are printed from the browser. */
  chromiumPath: string;
  /** Encrypts connected mailboxes' app passwords; unset: no mailbox can be connected. */
  mailCredentialsKey?: string;
  /** The capture mailbox (log@…); each user's secret address is log+<token>@…. */
  mailCaptureAddress?: string;
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const values = parsed.data;
  const baseUrl = (values.BASE_URL ?? `http://localhost:${values.PORT}`).replace(/\/$/, '');
  return {
    databaseUrl: values.DATABASE_URL,
    port: values.PORT,
    baseUrl,
    smtpUrl: values.SMTP_URL || undefined,
    mailFrom: values.MAIL_FROM,
    // Without a configured secret, sessions still live in the database; the secret only signs the cookie.
    sessionSecret: values.SESSION_SECRET ?? 'buychain-development-secret-change-me',
    secureCookies: baseUrl.startsWith('https://'),
    logLevel: values.LOG_LEVEL,
    chromiumPath: values.CHROMIUM_PATH,
    mailCredentialsKey: values.MAIL_CREDENTIALS_KEY || undefined,
    mailCaptureAddress: values.MAIL_CAPTURE_ADDRESS || undefined,
  };
}
