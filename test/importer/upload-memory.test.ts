import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { factories, testPassword } from '../support/factories.js';
import { freePort } from '../support/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { csrfTokenIn } from '../support/test-app.js';

// The largest file the import page takes (just under 20 MB), posted to an app process whose heap
// is limited to 96 MB (half of what `npm start` gives it): the file is read as a stream into staged
// rows, so the process answers with the preview and its heap stays under the bound below. Before,
// the whole file was parsed into arrays and plan objects at once, and a 15 MB file ran a 192 MB heap out.

const heapLimitMegabytes = 96;
/** The stated bound: the app's peak heap while it takes the largest allowed file. */
const peakHeapBoundMegabytes = 80;
const largestFileBytes = 20 * 1024 * 1024 - 64 * 1024;

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
let database: TestDatabase;
let server: ChildProcess | undefined;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => server!.once('exit', resolve));
  }
  await database.drop();
});

/** Rows of about 1 KB: a contact per row, with a long note in a column the import ignores. */
function* fileChunks(): Generator<Buffer> {
  const note = 'Met at the regional trade fair; wants a quote for the spring fleet renewal. '.repeat(12);
  let written = 0;
  let row = 0;
  const header = Buffer.from('account,status,name,title,email,roles,notes\n');
  written += header.length;
  yield header;
  for (;;) {
    const lines: string[] = [];
    for (let n = 0; n < 64; n++, row++) lines.push(`Heap Account ${Math.floor(row / 10)},customer,Person ${row},Buyer,person${row}@heap.test,user,"${note}"\n`);
    const chunk = Buffer.from(lines.join(''));
    if (written + chunk.length > largestFileBytes) return;
    written += chunk.length;
    yield chunk;
  }
}

/** Posts the file as the import form does (multipart, the CSRF token in the address), streamed from generated chunks. */
function postFile(port: number, action: string, cookie: string): Promise<{ status: number; body: string; bytes: number }> {
  const boundary = '----buychain-heap-test';
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: action, method: 'POST', headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body, bytes }));
      },
    );
    request.on('error', reject);
    let bytes = 0;
    const chunks = fileChunks();
    request.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="largest.csv"\r\nContent-Type: text/csv\r\n\r\n`);
    const pump = () => {
      for (let next = chunks.next(); !next.done; next = chunks.next()) {
        bytes += next.value.length;
        if (!request.write(next.value)) return void request.once('drain', pump);
      }
      request.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
}

it(
  'takes the largest allowed file in a 96 MB heap, with its peak under 80 MB, and shows the preview',
  async () => {
    const rep = await factories(database.db, systemClock).user({ email: 'heap@example.com' });
    const port = await freePort();
    server = spawn(process.execPath, [`--max-old-space-size=${heapLimitMegabytes}`, '--import', 'tsx', 'test/importer/memory-server.ts'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: database.url, PORT: String(port) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: server.stdout! });
    const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve));
    expect(await nextLine()).toBe('listening');

    const base = `http://127.0.0.1:${port}`;
    const loginPage = await fetch(`${base}/login`);
    let cookie = loginPage.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ _csrf: csrfTokenIn(await loginPage.text()), email: rep.email, password: testPassword }).toString(),
    });
    cookie = login.headers.getSetCookie().find((value) => value.startsWith('buychain.sid='))!.split(';')[0]!;
    const page = await (await fetch(`${base}/import`, { headers: { cookie } })).text();
    const action = /action="(\/import\?_csrf[^"]+)"/.exec(page)![1]!.replaceAll('&#x3D;', '=');

    const answer = await postFile(port, action, cookie);
    expect(answer.bytes).toBeGreaterThan(19 * 1024 * 1024);
    expect(answer.status).toBe(200);
    const rows = Number(/<strong>(\d+)<\/strong> new contacts/.exec(answer.body)?.[1]);
    expect(rows).toBeGreaterThan(15_000);
    expect(answer.body).toContain('<strong>0</strong> rows with problems');

    server.stdin!.write('peak\n');
    const { peak } = JSON.parse(await nextLine()) as { peak: number };
    expect(peak / 1024 / 1024).toBeLessThan(peakHeapBoundMegabytes);
  },
  300_000,
);
