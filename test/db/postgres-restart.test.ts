import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ThrowawayCluster, startThrowawayCluster } from '../../scripts/pg-cluster.js';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { apiClient } from '../support/scenarios.js';

// PostgreSQL restarts (here: stopped the hard way and started again, as after a crash) while the
// app keeps writing. Requests in flight or sent while it is down answer 503 "try again"; the same
// app, without a restart of its own, writes again once PostgreSQL is back, and every write it
// acknowledged is there. A cluster of this file's own (under `npm test` and `npm run test:pg`
// alike), since it must be restarted.

let cluster: ThrowawayCluster;
let given: string | undefined;
let t: TestApp;
beforeAll(async () => {
  // Commits acknowledged only once in the WAL, as in production: the restart is a hard stop.
  cluster = await startThrowawayCluster(['synchronous_commit=on']);
  given = process.env.TEST_DATABASE_URL;
  process.env.TEST_DATABASE_URL = cluster.url;
  t = await createTestApp();
}, 60_000);
afterAll(async () => {
  await t?.close();
  if (given === undefined) delete process.env.TEST_DATABASE_URL;
  else process.env.TEST_DATABASE_URL = given;
  cluster?.stop();
});

describe('a PostgreSQL restart while the app writes', () => {
  it('costs only the requests it meets (503, try again), and the same app writes again after it', async () => {
    const { rep } = await t.make.team('Restart');
    const api = apiClient(t.app, await t.make.apiToken(rep));
    const account = await t.make.account(rep, { name: 'Restart Inc' });
    const contact = await t.make.contact(rep, account.id, { name: 'Rita Restart' });
    const statuses: number[] = [];
    let writing = true;
    // Four clients writing one after another, as long as `writing`.
    const writers = [1, 2, 3, 4].map(async (writer) => {
      for (let n = 0; writing; n++) {
        const response = await api.post(`/accounts/${account.id}/touchpoints`, { contact_ids: [contact.id], kind: 'call', location: 'phone', summary: `Writer ${writer} call ${n}` });
        statuses.push(response.status);
        if (response.status === 503) expect(response.headers['retry-after']).toBe('5');
        // While PostgreSQL is down the answers come at once: do not spin.
        if (response.status !== 201) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    const acknowledgedBy = (count: number) => statuses.filter((status) => status === 201).length >= count;
    while (!acknowledgedBy(20)) await new Promise((resolve) => setTimeout(resolve, 20));
    await cluster.restart();
    const afterRestart = statuses.length;
    // Served again: twenty more writes acknowledged after PostgreSQL came back.
    while (statuses.slice(afterRestart).filter((status) => status === 201).length < 20) await new Promise((resolve) => setTimeout(resolve, 20));
    writing = false;
    await Promise.all(writers);

    expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
    expect(statuses).toContain(503);
    const logged = await t.db.selectFrom('touchpoints').select((eb) => eb.fn.countAll<number>().as('count')).where('account_id', '=', account.id).executeTakeFirstOrThrow();
    expect(Number(logged.count)).toBe(statuses.filter((status) => status === 201).length);
  }, 60_000);
});
