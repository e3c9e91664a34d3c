import { pino } from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { accountPolicy, addressPolicy, throttleKey, waitAfter } from '../../src/users/login-throttle.js';
import { testPassword } from '../support/factories.js';
import { type TestApp, createTestApp, csrfTokenIn, testNow } from '../support/test-app.js';
import { startSmtpServer } from '../digest/digest-fixtures.js';

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({ mailer: smtp.mailer() });
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

/** A second app process on the same database: its own connection, nothing shared in memory. */
const secondInstance = (env: Record<string, string> = {}) =>
  createApp({
    db: t.reconnect(),
    clock: t.clock,
    mailer: t.mailer,
    config: parseConfig({ DATABASE_URL: t.url, BASE_URL: 'http://buychain.test', LOG_LEVEL: 'silent', ...env }),
    logger: pino({ level: 'silent' }),
  });

/** One sign-in attempt as a fresh browser, claiming to come from `forwardedFor`. */
async function attempt(app: TestApp['app'], email: string, password: string, forwardedFor?: string) {
  const agent = supertest.agent(app);
  const page = await agent.get('/login');
  const post = agent.post('/login').type('form');
  if (forwardedFor) post.set('X-Forwarded-For', forwardedFor);
  return post.send({ _csrf: csrfTokenIn(page.text), email, password });
}

// Dozens of sign-ins, each a real Argon2 hash, on a machine other tests share: a generous time limit.
const manySignIns = { timeout: 120_000 };

const later = (seconds: number) => t.clock.set(new Date(t.clock.now().getTime() + seconds * 1000));
const throttleRow = (kind: 'account' | 'address', value: string) => t.db.selectFrom('login_throttles').selectAll().where('key', '=', throttleKey(kind, value)).executeTakeFirst();

describe('the growing waits', () => {
  it('are free for four failures, then double from 15 seconds, then lock for 15 minutes at ten', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((failures) => waitAfter(accountPolicy, failures))).toEqual([0, 0, 0, 0, 15, 30, 60, 120, 240, 900, 1800]);
    expect(waitAfter(accountPolicy, 40)).toBe(24 * 3600);
    expect(waitAfter(addressPolicy, addressPolicy.freeAttempts)).toBe(0);
  });
});

describe('brute force against one account', () => {
  it('is counted in the database across two app instances; rotating X-Forwarded-For does not help; a correct password cannot bypass the lock', manySignIns, async () => {
    t.clock.set(testNow);
    const victim = await t.make.user({ email: 'victim@example.com', name: 'Vicky Tim' });
    const apps = [t.app, secondInstance()];
    const statuses: number[] = [];
    // Ten wrong guesses, alternating between the processes, each from a "new" address, waiting out each delay.
    for (let guess = 1; guess <= accountPolicy.lockAfter; guess++) {
      const response = await attempt(apps[guess % 2]!, victim.email, `guess ${guess}`, `203.0.113.${guess}`);
      statuses.push(response.status);
      if (guess === 5) expect(response.text).toContain('Wait 15 seconds before trying again.');
      if (guess < accountPolicy.lockAfter && waitAfter(accountPolicy, guess) > 0) {
        // Straight away, even the other process and another address are refused, without checking the password.
        const tooSoon = await attempt(apps[(guess + 1) % 2]!, victim.email, testPassword, `198.51.100.${guess}`);
        expect(tooSoon.status).toBe(429);
        expect(tooSoon.headers['retry-after']).toBe(String(waitAfter(accountPolicy, guess)));
        later(waitAfter(accountPolicy, guess));
      }
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
    expect((await throttleRow('account', victim.email))!.failures).toBe(10);

    // Locked: the right password, from either process and any address, is refused with Retry-After.
    for (const [index, app] of apps.entries()) {
      const refused = await attempt(app, victim.email, testPassword, `192.0.2.${index}`);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('900');
      expect(refused.text).toContain('This account is locked for 15 minutes after too many failed sign-ins');
      expect(refused.text).toContain('value="victim@example.com"');
    }
    // Refused attempts are not checked, so they do not count either.
    expect((await throttleRow('account', victim.email))!.failures).toBe(10);

    // The owner was told, once.
    await expect.poll(() => smtp.received.filter((mail) => mail.subject?.includes('locked')).length).toBe(1);
    const notice = smtp.received.find((mail) => mail.subject?.includes('locked'))!;
    expect(notice.to).toMatchObject({ text: 'victim@example.com' });
    expect(notice.text).toContain('with a wrong password 10 times');
    expect(notice.text).toContain('locked until Mon 23 Nov 2026, 14:');

    later(15 * 60);
    const signedIn = await attempt(apps[1]!, victim.email, testPassword, '192.0.2.99');
    expect(signedIn.status).toBe(302);
    expect(await throttleRow('account', victim.email)).toBeUndefined();
    t.clock.set(testNow);
  });

  it('counts an unknown email the same way, and emails nobody', manySignIns, async () => {
    t.clock.set('2026-11-24T09:00:00.000Z');
    const before = smtp.received.length;
    for (let guess = 1; guess <= 5; guess++) expect((await attempt(t.app, 'nobody@example.com', 'guess', `203.0.113.${guess}`)).status).toBe(401);
    expect((await attempt(t.app, 'nobody@example.com', 'guess')).status).toBe(429);
    expect(smtp.received.length).toBe(before);
    t.clock.set(testNow);
  });

  it('forgets the failures after a correct password', manySignIns, async () => {
    t.clock.set('2026-11-25T09:00:00.000Z');
    const user = await t.make.user();
    for (let guess = 1; guess <= 3; guess++) await attempt(t.app, user.email, 'wrong');
    expect((await attempt(t.app, user.email, testPassword)).status).toBe(302);
    expect(await throttleRow('account', user.email)).toBeUndefined();
    t.clock.set(testNow);
  });
});

describe('brute force from one address against many accounts', () => {
  it('slows the address down, and X-Forwarded-For cannot change the address of a direct client when no proxy is trusted', manySignIns, async () => {
    t.clock.set('2026-11-26T09:00:00.000Z');
    const direct = secondInstance({ TRUST_PROXY: 'none' });
    const statuses: number[] = [];
    for (let guess = 1; guess <= addressPolicy.freeAttempts + 2; guess++)
      statuses.push((await attempt(direct, `spray${guess}@example.com`, 'Winter2026!', `203.0.113.${guess}`)).status);
    expect(statuses.slice(0, addressPolicy.freeAttempts + 1).every((status) => status === 401)).toBe(true);
    const refused = statuses.at(-1);
    expect(refused).toBe(429);
    const last = await attempt(direct, 'spray-last@example.com', 'Winter2026!', '198.51.100.7');
    expect(last.status).toBe(429);
    expect(last.text).toContain('Too many failed sign-ins from your network');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    t.clock.set(testNow);
  });
});
