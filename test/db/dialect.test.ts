import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOneOf } from '../../src/db/dialect.js';
import type { CurrentUser } from '../../src/users/users.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';

let t: TestApp;
let rep: CurrentUser;
const accountIds: number[] = [];
beforeAll(async () => {
  t = await createTestApp();
  rep = await t.make.user();
  for (const name of ['Alpha', 'Bravo', 'Charlie']) accountIds.push((await t.make.account(rep, { name })).id);
});
afterAll(() => t.close());

describe('isOneOf', () => {
  const namesOf = async (ids: number[]) =>
    (await t.db.selectFrom('accounts').select('name').where(isOneOf(t.db, 'accounts.id', ids)).orderBy('name').execute()).map((row) => row.name);

  it('matches exactly the listed ids', async () => {
    expect(await namesOf([accountIds[0]!, accountIds[2]!])).toEqual(['Alpha', 'Charlie']);
    expect(await namesOf([accountIds[1]!, 999_999])).toEqual(['Bravo']);
  });

  it('matches nothing for an empty list', async () => {
    expect(await namesOf([])).toEqual([]);
  });

  it('takes thousands of ids as one bound value', async () => {
    const many = Array.from({ length: 40_000 }, (_, index) => 1_000_000 + index).concat(accountIds[1]!);
    expect(await namesOf(many)).toEqual(['Bravo']);
  });
});
