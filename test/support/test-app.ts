import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config.js';
import { createMailer, type Mailer } from '../../src/mail/mailer.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { factories, testPassword } from './factories.js';
import type { CurrentUser } from '../../src/users/users.service.js';

/** The moment every test starts at unless it moves the clock: Monday 23 November 2026, 14:00 UTC. */
export const testNow = '2026-11-23T14:00:00.000Z';

export interface TestApp extends TestDatabase {
  app: ReturnType<typeof createApp>;
  clock: ReturnType<typeof fixedClock>;
  mailer: Mailer;
  make: ReturnType<typeof factories>;
  close(): Promise<void>;
}

/** A migrated database of its own, the app built on it, a fixed clock and factories. */
export async function createTestApp(options: { mailer?: Mailer; now?: string; env?: Record<string, string> } = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const clock = fixedClock(options.now ?? testNow);
  const mailer = options.mailer ?? createMailer({ from: 'test@buychain.test', outboxFolder: mkdtempSync(path.join(os.tmpdir(), 'buychain-outbox-')) });
  const config = parseConfig({ DATABASE_URL: database.url, BASE_URL: 'http://buychain.test', LOG_LEVEL: 'silent', ...options.env });
  const app = createApp({ db: database.db, clock, mailer, config, logger: pino({ level: 'silent' }) });
  return { ...database, app, clock, mailer, make: factories(database.db, clock), close: () => database.drop() };
}

export const csrfTokenIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** A browser-like session: cookies kept, CSRF token read from the last page like a form would. */
export async function signIn(app: TestApp['app'], user: Pick<CurrentUser, 'email'>, password = testPassword) {
  const agent = supertest.agent(app);
  const loginPage = await agent.get('/login');
  const response = await agent.post('/login').type('form').send({ _csrf: csrfTokenIn(loginPage.text), email: user.email, password });
  if (response.status !== 302) throw new Error(`sign-in failed with ${response.status}`);
  return {
    agent,
    /** GETs a page and posts a form from it, like a person filling it in. */
    async submit(formPage: string, action: string, fields: Record<string, unknown>) {
      const page = await agent.get(formPage);
      return agent.post(action).type('form').send({ _csrf: csrfTokenIn(page.text), ...fields });
    },
  };
}
