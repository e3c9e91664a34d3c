import { z } from 'zod';

/** Addresses a person types for "this machine": a BASE_URL on one of them is a developer's. */
const isLoopbackHost = (hostname: string) =>
  hostname === 'localhost' || hostname.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === '[::1]';

/**
 * Which proxies may tell us the client's address in X-Forwarded-For. `true` ("trust everyone")
 * is refused: any client could then pick the address its failed logins are counted against.
 */
const trustProxy = z
  .string()
  .trim()
  .default('loopback')
  .transform((value, context): string | number | false => {
    if (/^(none|false|0)$/i.test(value)) return false;
    if (/^\d+$/.test(value)) return Number(value);
    if (/^(true|all|\*)$/i.test(value)) {
      context.addIssue({ code: 'custom', message: 'trusting every proxy lets any client fake its address; name the proxies (e.g. "loopback, 10.0.0.0/8") or a hop count' });
      return z.NEVER;
    }
    return value;
  });

const configSchema = z.object({
  NODE_ENV: z.string().optional(),
  DATABASE_URL: z.string().default('sqlite:./data/buychain.sqlite'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  BASE_URL: z.url().optional(),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default('Buychain <buychain@localhost>'),
  SESSION_SECRET: z.string().min(16).optional(),
  TRUST_PROXY: trustProxy,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  MAIL_CREDENTIALS_KEY: z.string().optional(),
  MAIL_CAPTURE_ADDRESS: z.email().optional(),
  MAIL_CAPTURE_IMAP_HOST: z.string().trim().optional(),
  MAIL_CAPTURE_IMAP_PORT: z.coerce.number().int().min(1).max(65535).default(993),
  MAIL_CAPTURE_IMAP_TLS: z
    .string()
    .trim()
    .regex(/^(true|false|1|0|yes|no)$/i, 'true or false')
    .default('true')
    .transform((value) => /^(true|1|yes)$/i.test(value)),
  MAIL_CAPTURE_IMAP_USER: z.string().optional(),
  MAIL_CAPTURE_IMAP_PASSWORD: z.string().optional(),
  STATEMENT_LOG: z.string().optional(),
});

export interface Config {
  databaseUrl: string;
  port: number;
  baseUrl: string;
  /** NODE_ENV=production or a public BASE_URL: no demo company, a real session secret required. */
  production: boolean;
  /** Whether BASE_URL was set, rather than guessed from PORT (see linkBaseUrl). */
  baseUrlFromEnvironment: boolean;
  smtpUrl?: string;
  mailFrom: string;
  sessionSecret: string;
  /** Cookies get the Secure flag when the public address is https. */
  secureCookies: boolean;
  /** Express's `trust proxy`: false, a hop count, or the proxies' addresses and subnets. */
  trustProxy: string | number | false;
  logLevel: z.infer<typeof configSchema>['LOG_LEVEL'];
  /** Headless Chromium for PDFs; when it is missing, reports are printed from the browser. */
  chromiumPath: string;
  /** Encrypts connected mailboxes' app passwords; unset: no mailbox can be connected. */
  mailCredentialsKey?: string;
  /** The capture mailbox (log@…); each user's secret address is log+<token>@…. */
  mailCaptureAddress?: string;
  /** Where the capture mailbox is read over IMAP; unset: its mail is delivered with `mail-in --to`. */
  mailCaptureImap?: { host: string; port: number; tls: boolean; username: string; password: string };
  /** The benchmark's: a file where requests marked `x-count-statements` log how many statements they sent. */
  statementLog?: string;
}

const minimumProductionSecret = 32;
const developmentSecret = 'buychain-development-secret-change-me';

/**
 * The environment, parsed. `server` also insists on what only a server needs: in production a
 * session secret of its own (the development one is published in this repository).
 */
export function parseConfig(env: NodeJS.ProcessEnv, purpose: 'server' | 'tool' = 'tool'): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  const baseUrl = (values.BASE_URL ?? `http://localhost:${values.PORT}`).replace(/\/$/, '');
  if (values.MAIL_CAPTURE_IMAP_HOST) {
    const missing = (['MAIL_CAPTURE_ADDRESS', 'MAIL_CAPTURE_IMAP_USER', 'MAIL_CAPTURE_IMAP_PASSWORD'] as const).filter((name) => !values[name]);
    if (missing.length > 0) throw new Error(`Invalid configuration: reading the capture mailbox (MAIL_CAPTURE_IMAP_HOST) also needs ${missing.join(', ')}`);
  }
  const production = values.NODE_ENV === 'production' || !isLoopbackHost(new URL(baseUrl).hostname);
  if (purpose === 'server' && production && (values.SESSION_SECRET ?? '').length < minimumProductionSecret)
    throw new Error(
      `Invalid configuration: in production (NODE_ENV=production or a public BASE_URL) SESSION_SECRET must be at least ${minimumProductionSecret} random characters; make one with: openssl rand -hex 32`,
    );
  return {
    databaseUrl: values.DATABASE_URL,
    port: values.PORT,
    baseUrl,
    production,
    baseUrlFromEnvironment: values.BASE_URL !== undefined,
    smtpUrl: values.SMTP_URL || undefined,
    mailFrom: values.MAIL_FROM,
    // Sessions live in the database; the secret only signs the cookie.
    sessionSecret: values.SESSION_SECRET ?? developmentSecret,
    secureCookies: baseUrl.startsWith('https://'),
    trustProxy: values.TRUST_PROXY,
    logLevel: values.LOG_LEVEL,
    chromiumPath: values.CHROMIUM_PATH,
    mailCredentialsKey: values.MAIL_CREDENTIALS_KEY || undefined,
    mailCaptureAddress: values.MAIL_CAPTURE_ADDRESS || undefined,
    mailCaptureImap: values.MAIL_CAPTURE_IMAP_HOST
      ? {
          host: values.MAIL_CAPTURE_IMAP_HOST,
          port: values.MAIL_CAPTURE_IMAP_PORT,
          tls: values.MAIL_CAPTURE_IMAP_TLS,
          username: values.MAIL_CAPTURE_IMAP_USER!,
          password: values.MAIL_CAPTURE_IMAP_PASSWORD!,
        }
      : undefined,
    statementLog: values.STATEMENT_LOG || undefined,
  };
}

/** For entry points: a bad environment ends the process with one line saying what to fix. */
export function parseConfigOrExit(env: NodeJS.ProcessEnv, purpose: 'server' | 'tool'): Config {
  try {
    return parseConfig(env, purpose);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}

/**
 * The address links in mail start with, for the server and the command line alike: BASE_URL when
 * it is set; otherwise the address the server announced at its last start (recorded in the
 * database), so `npm run cli -- digest` links to a server running on another port; otherwise
 * http://localhost:PORT.
 */
export function linkBaseUrl(config: Pick<Config, 'baseUrl' | 'baseUrlFromEnvironment'>, announcedByServer: string | null): string {
  return config.baseUrlFromEnvironment ? config.baseUrl : (announcedByServer ?? config.baseUrl);
}
