import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { digestCommand } from '../../src/digest/digest.cli.js';
import { recordServerBaseUrl, saveCompanyLogo, saveCompanyName } from '../../src/company/company.service.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { startSmtpServer } from './digest-fixtures.js';

const run = promisify(execFile);
const repository = path.resolve(import.meta.dirname, '../..');

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let north: CurrentUser;
let south: CurrentUser;

beforeAll(async () => {
  t = await createTestApp();
  smtp = await startSmtpServer();
  north = await t.make.user({ role: 'manager', name: 'North Manager', email: 'north@example.com' });
  south = await t.make.user({ role: 'manager', name: 'South Manager', email: 'south@example.com' });
  await t.make.account(await t.make.user({ name: 'North Rep', manager: north }), { name: 'North Unknowns', openedDaysAgo: 60 });
  await t.make.account(await t.make.user({ name: 'South Rep', manager: south }), { name: 'South Unknowns', openedDaysAgo: 60 });
});
afterAll(async () => {
  await smtp.close();
  await t.close();
});

describe('npm run cli -- digest', () => {
  it('--dry-run prints, for each manager, the address and then the plain text', async () => {
    const { stdout } = await run(path.join(repository, 'node_modules/.bin/tsx'), ['src/cli.ts', 'digest', '--week', '2026-W48', '--dry-run'], {
      cwd: repository,
      env: { ...process.env, DATABASE_URL: t.url, BASE_URL: 'http://buychain.test', LOG_LEVEL: 'silent' },
    });
    const northAt = stdout.indexOf('To: North Manager <north@example.com>');
    const southAt = stdout.indexOf('To: South Manager <south@example.com>');
    expect(northAt).toBeGreaterThanOrEqual(0);
    expect(southAt).toBeGreaterThan(northAt);
    const northPart = stdout.slice(northAt, southAt);
    expect(northPart).toContain('Subject: Team risk digest 2026-W48 (23–29 Nov 2026): 1 account at risk');
    expect(northPart).toContain('Buychain weekly risk digest — week 2026-W48');
    expect(northPart).toContain('* North Unknowns — Critical (100), owner North Rep');
    expect(northPart).not.toContain('South Unknowns');
    expect(await t.db.selectFrom('digest_deliveries').selectAll().execute()).toEqual([]);
  });

  it('--send sends once a week; --force sends again', async () => {
    const config = parseConfig({ DATABASE_URL: t.url, BASE_URL: 'http://buychain.test', SMTP_URL: smtp.url, MAIL_FROM: 'Buychain <digest@buychain.test>' });
    const lines: string[] = [];
    const cli = (...args: string[]) => digestCommand(t.db, t.clock, config, args, (line) => lines.push(line));

    await cli('--week', '2026-W48', '--send');
    expect(lines.splice(0)).toEqual([expect.stringMatching(/^north@example\.com 2026-W48: sent \(<.+>\)$/), expect.stringMatching(/^south@example\.com 2026-W48: sent/)]);
    await cli('--week', '2026-W48', '--send');
    expect(lines.splice(0)).toEqual(['north@example.com 2026-W48: not sent: already sent', 'south@example.com 2026-W48: not sent: already sent']);
    await cli('--week', '2026-W48', '--send', '--force', '--manager', 'south@example.com');
    expect(lines.splice(0)).toEqual([expect.stringMatching(/^south@example\.com 2026-W48: sent/)]);
    expect(smtp.received.map((mail) => mail.to && !Array.isArray(mail.to) && mail.to.text)).toEqual(['north@example.com', 'south@example.com', 'south@example.com']);

    await expect(cli('--week', '2026-W48')).rejects.toMatchObject({ fields: { mode: 'digest needs either --dry-run or --send' } });
    await expect(cli('--week', 'soon', '--dry-run')).rejects.toMatchObject({ fields: { week: 'There is no week soon' } });
  });

  it('links to where the server runs without BASE_URL, as the server itself does, and names the company', async () => {
    // The server, started with PORT=4123, recorded its address; the command runs with no PORT or BASE_URL.
    await recordServerBaseUrl(t.db, t.clock, 'http://localhost:4123');
    await saveCompanyName(t.db, t.clock, 'Bluewater Office Systems');
    await saveCompanyLogo(t.db, t.clock, { contentType: 'image/png', data: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') });
    const config = parseConfig({ DATABASE_URL: t.url, SMTP_URL: smtp.url });
    const lines: string[] = [];
    const warnings: string[] = [];
    await digestCommand(t.db, t.clock, config, ['--week', '2026-W48', '--dry-run', '--manager', 'north@example.com'], (line) => lines.push(line), (line) => warnings.push(line));
    expect(lines.join('\n')).toContain('http://localhost:4123/accounts/');
    expect(lines.join('\n')).toContain('Bluewater Office Systems weekly risk digest — week 2026-W48');
    expect(warnings).toEqual([expect.stringContaining('Links point to http://localhost:4123 (where the server said it listens at its last start); set BASE_URL to choose.')]);

    // BASE_URL, when set, wins everywhere; the logo travels inside the message.
    const withBase = parseConfig({ DATABASE_URL: t.url, SMTP_URL: smtp.url, BASE_URL: 'https://crm.example.com' });
    await digestCommand(t.db, t.clock, withBase, ['--week', '2026-W48', '--send', '--force', '--manager', 'north@example.com'], () => undefined, (line) => warnings.push(line));
    const mail = smtp.received.at(-1)!;
    expect(mail.html).toContain('https://crm.example.com/accounts/');
    // mailparser inlines cid: images as data: addresses when it reads the message.
    expect(mail.html).toMatch(/<img src="(cid:company-logo@buychain|data:image\/png;base64,[^"]+)"/);
    expect(mail.attachments.map((file) => [file.cid, file.contentType])).toEqual([['company-logo@buychain', 'image/png']]);
    expect(warnings).toHaveLength(1);
  });
});
