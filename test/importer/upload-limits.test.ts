import http from 'node:http';
import type { AddressInfo } from 'node:net';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/scenarios.js';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';
import { testPassword } from '../support/factories.js';

// The import's large body is read only after sign-in and the CSRF check, and a body over any limit
// answers 413 with what to do.

let t: TestApp;
let server: http.Server;
let port: number;
beforeAll(async () => {
  t = await createTestApp();
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

interface Answer {
  status: number;
  body: string;
}

/**
 * Sends the headers of a POST with a body of `declared` bytes and only its first kilobyte, and
 * resolves with the answer. A server that reads the body before refusing would never answer.
 */
function answerBeforeBody(path: string, headers: Record<string, string>, declared: number): Promise<Answer> {
  return new Promise((resolve) => {
    const request = http.request({ port, host: '127.0.0.1', path, method: 'POST', headers: { ...headers, 'content-length': String(declared) } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode!, body });
        request.destroy();
      });
    });
    request.on('error', () => undefined);
    request.write('-'.repeat(1024));
  });
}

/** Signs in over HTTP and returns the session cookie and the import form's address (with its CSRF token). */
async function signedInBrowser(email: string) {
  const base = `http://127.0.0.1:${port}`;
  const loginPage = await fetch(`${base}/login`);
  // Before sign-in there is no session, only the login form's own CSRF cookie.
  let cookie = loginPage.headers.getSetCookie().map((value) => value.split(';')[0]).join('; ');
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrfTokenIn(await loginPage.text()), email, password: testPassword }).toString(),
  });
  cookie = login.headers.getSetCookie().find((value) => value.startsWith('buychain.sid='))!.split(';')[0]!;
  const page = await (await fetch(`${base}/import`, { headers: { cookie } })).text();
  const action = /action="(\/import\?_csrf[^"]+)"/.exec(page)![1]!.replaceAll('&#x3D;', '=');
  return { cookie, action };
}

const multipart = { 'content-type': 'multipart/form-data; boundary=----limit-test' };
const twentyMegabytes = 20 * 1024 * 1024;

describe('the import refuses before it reads', () => {
  it('answers an anonymous upload with 403 without reading its body', async () => {
    const answer = await answerBeforeBody('/import', multipart, twentyMegabytes);
    expect(answer.status).toBe(403);
  });

  it('answers a signed-in upload without the CSRF token with 403 without reading its body', async () => {
    const rep = await t.make.user();
    const { cookie } = await signedInBrowser(rep.email);
    const answer = await answerBeforeBody('/import', { ...multipart, cookie }, twentyMegabytes);
    expect(answer.status).toBe(403);
  });

  it('answers a large form-encoded post to /import with 413, the limit of every form, without parsing it', async () => {
    // Before, /import took 20 MB form bodies and parsed them before the CSRF check.
    const response = await supertest(t.app).post('/import').type('form').send({ csv: 'x'.repeat(5 * 1024 * 1024) });
    expect(response.status).toBe(413);
    expect(response.text).toContain('What you sent is larger than this form takes (200 KB). Go back, shorten it and send it again');
  });

  it('answers a declared file over 20 MB with 413 before reading it, saying what to do', async () => {
    const rep = await t.make.user();
    const { cookie, action } = await signedInBrowser(rep.email);
    const answer = await answerBeforeBody(action, { ...multipart, cookie }, twentyMegabytes + 1024 * 1024);
    expect(answer.status).toBe(413);
    expect(answer.body).toContain('The file is larger than 20 MB. Split it into smaller files');
    expect(answer.body).toContain('npm run cli -- import FILE.csv');
  });
});

describe('a file over the limit sent without a declared length', () => {
  it('is cut off at 20 MB and answered with 413; nothing of it is kept', async () => {
    const rep = await t.make.user();
    const { agent } = await signIn(t.app, rep);
    const page = await agent.get('/import');
    const action = /action="(\/import\?_csrf[^"]+)"/.exec(page.text)![1]!.replaceAll('&#x3D;', '=');
    // One endless line after the header: the reader skips it cheaply, so the test is about the limit.
    const file = Buffer.concat([Buffer.from('account,notes\nAcme,'), Buffer.alloc(twentyMegabytes, 'x')]);
    const response = await agent.post(action).attach('file', file, 'huge.csv');
    expect(response.status).toBe(413);
    expect(response.text).toContain('The file is larger than 20 MB');
    expect(await t.db.selectFrom('import_uploads').select('id').where('user_id', '=', rep.id).execute()).toEqual([]);
  });
});

describe('other bodies over their limit', () => {
  it('answers the API with a JSON 413 that says what to do', async () => {
    const rep = await t.make.user();
    const api = apiClient(t.app, await t.make.apiToken(rep));
    const response = await api.post('/accounts', { name: 'Big', notes: 'x'.repeat(200 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ error: { code: 'payload_too_large', message: 'The request body is larger than 100 KB. Send less in one request (split a big list into several).' } });
  });

  it('answers a page form with a 413 page that says what to do', async () => {
    const rep = await t.make.user();
    const { submit } = await signIn(t.app, rep);
    const response = await submit('/accounts/new', '/accounts', { name: 'Wordy', notes: 'x'.repeat(300 * 1024) });
    expect(response.status).toBe(413);
    expect(response.text).toContain('Go back, shorten it and send it again; to bring in a big spreadsheet use Import');
  });
});
