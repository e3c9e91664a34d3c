import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleCapturedMessage } from '../../src/mailbox/capture-address.js';
import { MessageRefused } from '../../src/mail-in/message-reader.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type Session, sessionsAndClients } from '../support/scenarios.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '..', 'mail-in', 'fixtures', name));

let t: TestApp;
let riley: CurrentUser;
let as: Record<'riley' | 'outsider', Session>;
let address: string;

beforeAll(async () => {
  t = await createTestApp({ env: { MAIL_CAPTURE_ADDRESS: 'log@capture.buychain.test' } });
  riley = await t.make.user({ name: 'Riley Morgan', email: 'riley@seller.test', time_zone: 'America/Chicago' });
  const outsider = await t.make.user({ name: 'Olga Other', email: 'olga@seller.test' });
  const fjord = await t.make.account(riley, { name: 'Blue Fjord' });
  await t.make.contact(riley, fjord.id, { name: 'Anna Berg', email: 'anna.berg@bluefjord.test', roles: ['decision_maker'] });
  ({ as } = await sessionsAndClients(t, { riley, outsider }));
});
afterAll(() => t.close());

describe('the capture address', () => {
  it('is created on the settings page, shown once, stored only as a hash', async () => {
    const response = await as.riley.submit('/settings/mailbox', '/settings/mailbox/capture-address', {});
    expect(response.status).toBe(200);
    address = /log\+[0-9a-f]{24}@capture\.buychain\.test/.exec(response.text)![0];
    const token = address.slice(4, 28);
    const rows = await t.db.selectFrom('capture_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect((await as.riley.agent.get('/settings/mailbox')).text).not.toContain(token);
  });

  it('logs a message whose token and From both belong to the user', async () => {
    const outcome = await handleCapturedMessage(t.db, t.clock, address.toUpperCase().replace('LOG+', 'log+'), fixture('forward-attached-outlook.eml'));
    expect(outcome).toMatchObject({ kind: 'touchpoints' });
  });

  it('refuses a spoofed sender, an unknown token, and the token of another user', async () => {
    await expect(handleCapturedMessage(t.db, t.clock, address, fixture('email-from-contact.eml'))).rejects.toThrow(/spoofed/);
    await expect(handleCapturedMessage(t.db, t.clock, 'log+0123456789abcdef01234567@capture.buychain.test', fixture('forward-attached-outlook.eml'))).rejects.toThrow(MessageRefused);
    const other = await as.outsider.submit('/settings/mailbox', '/settings/mailbox/capture-address', {});
    const otherAddress = /log\+[0-9a-f]{24}@capture\.buychain\.test/.exec(other.text)![0];
    await expect(handleCapturedMessage(t.db, t.clock, otherAddress, fixture('email-sent-html-only.eml'))).rejects.toThrow(/spoofed/);
  });

  it('a new address replaces the old one', async () => {
    await as.riley.submit('/settings/mailbox', '/settings/mailbox/capture-address', {});
    await expect(handleCapturedMessage(t.db, t.clock, address, fixture('email-sent-html-only.eml'))).rejects.toThrow(/unknown capture address/);
  });
});
