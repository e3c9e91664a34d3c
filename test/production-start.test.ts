import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { freePort } from './support/free-port.js';
import { type TestDatabase, createTestDatabase } from './support/test-database.js';

const repository = path.resolve(import.meta.dirname, '..');
// Starting Node processes on a busy 2-core machine can take several seconds: a generous time limit.
const processTestTimeout = 90_000;

/** Runs `npm start`'s server from source until it listens (then stops it) or exits; answers what it printed. */
function startServer(env: Record<string, string>): Promise<{ code: number | null; output: string[] }> {
  const child = spawn(path.join(repository, 'node_modules/.bin/tsx'), ['src/server.ts'], {
    cwd: repository,
    // Only what the test names, so the environment of whoever runs the tests cannot leak in.
    env: { PATH: process.env.PATH!, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => {
    output.push(line);
    if (/is listening/.test(line)) child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.once('exit', (code) => setTimeout(() => resolve({ code, output }), 50)));
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('what counts as production', () => {
  it('is NODE_ENV=production or a BASE_URL that is not this machine', () => {
    expect(parseConfig({}).production).toBe(false);
    expect(parseConfig({ BASE_URL: 'http://localhost:3000' }).production).toBe(false);
    expect(parseConfig({ BASE_URL: 'http://127.0.0.1:8080' }).production).toBe(false);
    expect(parseConfig({ BASE_URL: 'http://[::1]:8080' }).production).toBe(false);
    expect(parseConfig({ NODE_ENV: 'production' }).production).toBe(true);
    expect(parseConfig({ BASE_URL: 'https://crm.example.com' }).production).toBe(true);
    expect(parseConfig({ BASE_URL: 'http://10.0.0.5:3000' }).production).toBe(true);
  });

  it('asks a server in production for a session secret of its own, of at least 32 characters', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' }, 'server')).toThrow(/SESSION_SECRET must be at least 32/);
    expect(() => parseConfig({ BASE_URL: 'https://crm.example.com', SESSION_SECRET: 'x'.repeat(31) }, 'server')).toThrow(/SESSION_SECRET/);
    expect(parseConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32) }, 'server').sessionSecret).toBe('x'.repeat(32));
    // The command line signs no cookies: it needs no secret.
    expect(parseConfig({ NODE_ENV: 'production' }).production).toBe(true);
  });

  it('reads TRUST_PROXY: loopback by default, none, a hop count or addresses; never everyone', () => {
    expect(parseConfig({}).trustProxy).toBe('loopback');
    expect(parseConfig({ TRUST_PROXY: 'none' }).trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(parseConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(() => parseConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: trusting every proxy lets any client fake its address/);
  });
});

describe('npm start in production', () => {
  it('refuses to start without a session secret, in one line, with a non-zero exit', { timeout: processTestTimeout }, async () => {
    const environments: Record<string, string>[] = [{ NODE_ENV: 'production' }, { BASE_URL: 'https://crm.example.com', SESSION_SECRET: 'too short but sixteen+' }];
    for (const env of environments) {
      const { code, output } = await startServer({ DATABASE_URL: database.url, PORT: String(await freePort()), ...env });
      expect(code).not.toBe(0);
      expect(output).toHaveLength(1);
      expect(output[0]).toMatch(/^Invalid configuration: in production .*SESSION_SECRET must be at least 32 random characters/);
    }
    expect(await database.db.selectFrom('users').select('id').execute()).toEqual([]);
  });

  it('starts on an empty database without the demo company and says how to create the first admin', { timeout: processTestTimeout }, async () => {
    const { output } = await startServer({ DATABASE_URL: database.url, PORT: String(await freePort()), NODE_ENV: 'production', SESSION_SECRET: 'a production secret of at least 32 characters' });
    const log = output.join('\n');
    expect(log).toContain('is listening');
    expect(log).toContain('npm run cli -- user add --email you@example.com --name \\"Your Name\\" --role admin');
    expect(log).not.toContain('buychain-demo');
    expect(log).not.toContain('demo.buychain.test');
    expect(await database.db.selectFrom('users').select('id').execute()).toEqual([]);
  });
});
