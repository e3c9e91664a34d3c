// Test hook, run as its own process by migrations.test.ts: connects to DATABASE_URL, says "ready",
// waits for "go" on stdin so every process starts together, then migrates to the latest migrations
// plus one made up for the test (TEST_MIGRATION): "slow" adds two columns a second apart; "crash"
// adds a column and then the process dies (SIGKILL, as kill -9 or a power cut would). Prints the
// migrations it applied as JSON.
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import type { Kysely, Migration } from 'kysely';
import { connectDatabase } from '../../src/db/connect.js';
import { migrateToLatest, migrationsFolderProvider } from '../../src/db/migrate.js';

const testMigrations: Record<string, Migration> = {
  slow: {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('accounts').addColumn('test_region', 'text').execute();
      await sleep(1000);
      await db.schema.alterTable('accounts').addColumn('test_segment', 'text').execute();
    },
  },
  crash: {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('accounts').addColumn('test_region', 'text').execute();
      process.kill(process.pid, 'SIGKILL');
      await sleep(60_000);
    },
  },
};

const kind = process.env.TEST_MIGRATION!;
const db = connectDatabase(process.env.DATABASE_URL!);
await db.selectFrom('accounts').select('id').limit(1).execute(); // connected and ready to race
console.log('ready');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const applied = await migrateToLatest(db, {
  getMigrations: async () => ({ ...(await migrationsFolderProvider.getMigrations()), [`2099_01_01_0000_test_${kind}`]: testMigrations[kind]! }),
});
console.log(JSON.stringify(applied));
await db.destroy();
process.exit(0);
