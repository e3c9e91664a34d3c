import { createReadStream } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import { RetryingKysely } from '../src/db/transactions.js';
import { runVendorImport } from '../src/importer/vendor-import.js';
import { systemClock } from '../src/clock.js';
const sqlite = new SqliteDatabase('/tmp/sfperf/perf2.db');
sqlite.pragma('journal_mode = WAL'); sqlite.pragma('synchronous = NORMAL');
const totals = new Map<string, { ms: number; n: number }>();
const db = new RetryingKysely<any>({ dialect: new SqliteDialect({ database: sqlite }), log(event) {
  const key = event.query.sql.slice(0, 90);
  const t = totals.get(key) ?? { ms: 0, n: 0 }; t.ms += event.queryDurationMillis; t.n++; totals.set(key, t);
} });
const user = await db.selectFrom('users').select(['id','email','name','role','manager_id','time_zone']).where('role','=','admin').executeTakeFirstOrThrow();
const files = process.argv.slice(2).map((f) => ({ name: f, open: () => createReadStream(f) }));
const started = performance.now();
await runVendorImport(db as any, systemClock, user as any, files);
console.log('total', performance.now() - started);
for (const [k, v] of [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(Math.round(v.ms), v.n, k);
