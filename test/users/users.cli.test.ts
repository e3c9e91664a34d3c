import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/users/tokens.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';
import { startSmtpServer } from '../digest/digest-fixtures.js';

const run = promisify(execFile);
const repository = path.resolve(import.meta.dirname, '../..');
// Each command starts Node: a generous time limit on a busy machine.
const cliTimeout = 60_000;

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
beforeAll(async () => {
  t = await createTestApp();
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  await t.close();
});

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(path.join(repository, 'node_modules/.bin/tsx'), ['src/cli.ts', ...args], {
      cwd: repository,
      env: { ...process.env, DATABASE_URL: t.url, BASE_URL: 'http://buychain.test', SMTP_URL: smtp.url, LOG_LEVEL: 'silent', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run cli -- user …', () => {
  it('reset-link emails a one-time link, and --print shows it on the last line', { timeout: cliTimeout }, async () => {
    const user = await t.make.user({ email: 'cli-reset@example.com', name: 'Cli Reset' });
    const { code, stdout } = await cli(['user', 'reset-link', '--email', user.email, '--print']);
    expect(code).toBe(0);
    expect(stdout).toContain('Emailed cli-reset@example.com a link to set a new password');
    const link = stdout.trim().split('\n').at(-1)!;
    expect(link).toMatch(/^http:\/\/buychain\.test\/reset-password\?token=/);
    await expect.poll(() => smtp.received.some((mail) => mail.text?.includes(link))).toBe(true);

    const browser = supertest.agent(t.app);
    const form = await browser.get(link.replace('http://buychain.test', ''));
    expect(form.status).toBe(200);
    const token = new URL(link).searchParams.get('token');
    await browser.post('/reset-password').type('form').send({ _csrf: csrfTokenIn(form.text), token, new_password: 'set from the cli', new_password_again: 'set from the cli' });
    await expect(signIn(t.app, user, 'set from the cli')).resolves.toBeDefined();
    expect((await cli(['user', 'reset-link', '--email', 'nobody@example.com'])).code).toBe(2);
  });

  it('sign-out-everywhere ends the sessions and, with --revoke-tokens, the tokens', { timeout: cliTimeout }, async () => {
    const user = await t.make.user();
    const session = await signIn(t.app, user);
    const token = await t.make.apiToken(user);
    const { code, stdout } = await cli(['user', 'sign-out-everywhere', '--email', user.email, '--revoke-tokens']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Signed ${user.email} out everywhere and revoked 1 API token.`);
    expect((await session.agent.get('/accounts')).status).toBe(302);
    expect((await t.db.selectFrom('api_tokens').select('revoked_at').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow()).revoked_at).not.toBeNull();
  });

  it('delete moves the accounts first, and refuses the last admin', { timeout: cliTimeout }, async () => {
    const leaver = await t.make.user({ email: 'cli-leaver@example.com' });
    const heir = await t.make.user({ email: 'cli-heir@example.com', name: 'Cli Heir' });
    const account = await t.make.account(leaver);
    const refused = await cli(['user', 'delete', '--email', leaver.email]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Choose who takes over');
    const done = await cli(['user', 'delete', '--email', leaver.email, '--accounts-to', heir.email]);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('1 accounts and 0 open promises now belong to Cli Heir');
    expect((await t.db.selectFrom('accounts').select('owner_id').where('id', '=', account.id).executeTakeFirstOrThrow()).owner_id).toBe(heir.id);

    const admin = await t.make.user({ role: 'admin', email: 'only-admin@example.com', name: 'Only Admin' });
    const lastAdmin = await cli(['user', 'delete', '--email', admin.email]);
    expect(lastAdmin.code).toBe(2);
    expect(lastAdmin.stderr).toContain('Only Admin is the last admin; add another admin first');
  });
});

describe('npm run cli -- token create --expires-in-days', () => {
  it('creates a token that expires', { timeout: cliTimeout }, async () => {
    const user = await t.make.user();
    const { code, stdout } = await cli(['token', 'create', '--email', user.email, '--expires-in-days', '30']);
    expect(code).toBe(0);
    const token = stdout.trim().split('\n').at(-1)!;
    const row = await t.db.selectFrom('api_tokens').select('expires_at').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();
    expect(Date.parse(row.expires_at!) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    expect((await cli(['token', 'create', '--email', user.email, '--expires-in-days', 'soon'])).code).toBe(2);
  });
});

describe('npm run cli -- seed --demo', () => {
  it('is refused in production, where its published logins would be an open door', { timeout: cliTimeout }, async () => {
    const { code, stderr, stdout } = await cli(['seed', '--demo'], { NODE_ENV: 'production' });
    expect(code).toBe(2);
    expect(stderr).toContain('seed --demo is refused in production');
    expect(`${stdout}${stderr}`).not.toContain('buychain-demo');
  });
});
