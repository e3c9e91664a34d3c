import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readCsvRecords } from '../../src/importer/csv-records.js';
import { importCsvCommand } from '../../src/importer/importer.cli.js';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';

// Bad bytes are problems, not surprises: a row with bytes that are not UTF-8, a NUL or another
// control character, or a broken quote is a problem row with its line; every other row imports.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const text = (value: string) => Buffer.from(value, 'utf8');

/** Every kind of bad row between good ones, with a byte-order mark and CRLF line ends. */
const fileOf = (prefix: string) =>
  Buffer.concat([
    text(`\uFEFFaccount,name,email,title\r\n`),
    text(`${prefix} Good One,Ann Lee,ann@${prefix}.test,Buyer\r\n`),
    text(`${prefix} Latin,Bad `),
    Buffer.from([0xc3, 0x28]), // not UTF-8
    text(`,bad@${prefix}.test,\r\n`),
    text(`${prefix} Good One,Nul Byte,nul@${prefix}.test,Head\u0000of\r\n`),
    text(`${prefix} Good One,Bell,bell@${prefix}.test,\u0007Boss\r\n`),
    text(`${prefix} Good One,"Carl" Roe,carl@${prefix}.test,\r\n`), // text after a closing quote
    text(`${prefix} Good Two,"Dee Sun,dee@${prefix}.test,\r\n`), // a quote never closed
    text(`${prefix} Good Two,Eve Ray,eve@${prefix}.test,"Head of\r\nSales"\r\n`),
    text(`${prefix} Good Two,Fay 5" Tall,fay@${prefix}.test,\t'=Formula\r\n`),
  ]);

const expectedProblems = [
  '3: this row has bytes that are not UTF-8 text: save the file as &quot;CSV UTF-8&quot; and try again',
  '4: title: contains a control character (U+0000); remove it and import the row again',
  '5: title: contains a control character (U+0007); remove it and import the row again',
  '6: text after the closing quote of a cell: put quotes around the whole cell, and double any quote inside it',
  '7: a quote (&quot;) opens a cell that never closes: put quotes around the whole cell, and double any quote inside it',
];

describe('a file with bad bytes and broken quotes', () => {
  it('on the page: each bad row is a problem with its line, and the good rows import', async () => {
    const rep = await t.make.user();
    const { agent } = await signIn(t.app, rep);
    const page = await agent.get('/import');
    const action = /action="(\/import\?_csrf[^"]+)"/.exec(page.text)![1]!.replaceAll('&#x3D;', '=');
    const preview = await agent.post(action).attach('file', fileOf('page'), 'contacts.csv');
    expect(preview.status).toBe(200);
    const problems = [...preview.text.matchAll(/<tr><td>(\d+)<\/td><td>(.*?)<\/td><\/tr>/g)].map(([, line, message]) => `${line}: ${message}`);
    expect(problems).toEqual(expectedProblems);
    expect(preview.text).toContain('<strong>2</strong> new accounts, <strong>3</strong> new contacts');

    const confirm = /action="(\/import\/\d+)"/.exec(preview.text)![1]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(preview.text)![1]!;
    expect((await agent.post(confirm).type('form').send({ _csrf: csrf })).status).toBe(302);
    const people = await t.db
      .selectFrom('contacts')
      .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
      .select(['contacts.name', 'contacts.title'])
      .where('accounts.owner_id', '=', rep.id)
      .orderBy('contacts.name')
      .execute();
    expect(people).toEqual([
      { name: 'Ann Lee', title: 'Buyer' },
      { name: 'Eve Ray', title: 'Head of\r\nSales' },
      // A quote inside a cell that does not start with one is kept; the export's apostrophe before a formula is undone.
      { name: 'Fay 5" Tall', title: '=Formula' },
    ]);
  });

  it('on the command line: the same problems, no crash, and the valid rows are written', async () => {
    const rep = await t.make.user({ email: 'bad-bytes-cli@example.com' });
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'buychain-bad-bytes-')), 'contacts.csv');
    writeFileSync(file, fileOf('cli'));
    const output: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
    try {
      await importCsvCommand(t.db, t.clock, [file, '--as', rep.email]);
    } finally {
      log.mockRestore();
    }
    for (const problem of expectedProblems) {
      const [line, message] = problem.replaceAll('&quot;', '"').split(/: (.*)/s);
      expect(output.join('\n')).toContain(`! row ${line}: ${message}`);
    }
    expect(output.at(-1)).toBe('Imported 2 accounts and 3 contacts as bad-bytes-cli@example.com.');
  });
});

describe('reading CSV as it streams in', () => {
  async function recordsOf(chunks: Buffer[]) {
    const records = [];
    for await (const record of readCsvRecords(chunks)) records.push(record);
    return records;
  }

  it('reads the same rows and lines whatever the chunks, even with a character or a quote cut in two', async () => {
    const file = fileOf('chunks');
    const whole = await recordsOf([file]);
    expect(whole.map((record) => record.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10]);
    for (const size of [1, 2, 3, 7, 64])
      expect(await recordsOf(Array.from({ length: Math.ceil(file.length / size) }, (_, index) => file.subarray(index * size, (index + 1) * size)))).toEqual(whole);
  });

  it('takes a quote opened and never closed at the end of the file as a problem of its line only', async () => {
    expect(await recordsOf([text('account,name\nAcme,"Maria\nBeta,Bob\n"Gamma')])).toEqual([
      { line: 1, cells: ['account', 'name'] },
      { line: 2, problem: expect.stringContaining('never closes') },
      { line: 3, cells: ['Beta', 'Bob'] },
      { line: 4, problem: expect.stringContaining('never closes') },
    ]);
  });
});
