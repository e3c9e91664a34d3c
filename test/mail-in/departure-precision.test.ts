import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleMessage } from '../../src/mail-in/mail-in.service.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

// Precision and recall of departure detection on the fixture corpus, computed from what the one
// mail path does with each message, and the numbers the README and the user guide report.

const corpusFolder = path.join(import.meta.dirname, 'fixtures', 'corpus');
const corpus = JSON.parse(readFileSync(path.join(corpusFolder, 'corpus.json'), 'utf8')) as {
  departures: { file: string; contact: string }[];
  not_departures: string[];
};
const readme = readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const userGuide = readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'user-guide.md'), 'utf8');

let t: TestApp;
let rep: CurrentUser;
const contactIds = new Map<string, number>();

beforeAll(async () => {
  t = await createTestApp({ now: '2026-12-02T15:00:00.000Z' });
  rep = await t.make.user({ name: 'Riley Morgan', email: 'riley@seller.test' });
  // Everyone a message of the corpus is from or about is a known contact (the look-alikes come from
  // the same people), so a look-alike is judged by its content, not discarded as unknown mail.
  const accounts = new Map<string, number>();
  for (const email of new Set(corpus.departures.map((entry) => entry.contact))) {
    const domain = email.split('@')[1]!;
    if (!accounts.has(domain)) accounts.set(domain, (await t.make.account(rep, { name: domain })).id);
    contactIds.set(email, (await t.make.contact(rep, accounts.get(domain)!, { name: email.split('@')[0]!.replace('.', ' '), email, roles: ['decision_maker'] })).id);
  }
});
afterAll(() => t.close());

describe('departure detection on the corpus', () => {
  it('is measured as the README and the user guide report it', async () => {
    let truePositives = 0;
    let falsePositives = 0;
    for (const expected of corpus.departures) {
      const outcome = await handleMessage(t.db, t.clock, rep, readFileSync(path.join(corpusFolder, expected.file)));
      const raised = outcome.kind === 'departure_signals' ? outcome.contactIds : [];
      if (raised.includes(contactIds.get(expected.contact)!)) truePositives++;
      falsePositives += raised.filter((id) => id !== contactIds.get(expected.contact)).length;
    }
    for (const file of corpus.not_departures) {
      const outcome = await handleMessage(t.db, t.clock, rep, readFileSync(path.join(corpusFolder, file)));
      if (outcome.kind === 'departure_signals') falsePositives += outcome.contactIds.length;
    }
    const recall = truePositives / corpus.departures.length;
    const precision = truePositives / (truePositives + falsePositives);
    const reported = `${truePositives} of ${corpus.departures.length} departures found (recall ${recall.toFixed(1)}), ${falsePositives} of ${corpus.not_departures.length} look-alikes taken for one (precision ${precision.toFixed(1)})`;
    expect(readme.replace(/\s+/g, ' ')).toContain(reported);
    expect(userGuide.replace(/\s+/g, ' ')).toContain(reported);
    // The target: every departure found, no out-of-office reply taken for one.
    expect({ recall, precision }).toEqual({ recall: 1, precision: 1 });
  });
});
