// Test hook, run as its own process by backup.test.ts: keeps adding accounts, one transaction each,
// until it reads a line on stdin. Says "writing" after its first commit.
import { createInterface } from 'node:readline';
import { connectDatabase } from '../../src/db/connect.js';

const db = connectDatabase(process.env.DATABASE_URL!);
let stopped = false;
const commands = createInterface({ input: process.stdin });
commands.once('line', () => {
  stopped = true;
  commands.close();
});
for (let written = 0; !stopped; written++) {
  await db.transaction().execute((trx) =>
    trx
      .insertInto('accounts')
      .values({ name: `Load ${written}`, owner_id: Number(process.env.OWNER_ID), status: 'prospect', notes: 'written during the backup', created_at: new Date().toISOString(), updated_at: new Date().toISOString() })
      .execute(),
  );
  if (written === 0) console.log('writing');
  // Let the stdin listener run between writes.
  await new Promise((resolve) => setImmediate(resolve));
}
await db.destroy();
