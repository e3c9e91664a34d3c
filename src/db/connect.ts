import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type DialectAdapter, type Driver, type Kysely, type LogEvent, type MigrationLockOptions, PostgresAdapter, PostgresDialect, type SqliteDatabase as KyselySqlite, SqliteAdapter, SqliteDialect, SqliteDriver, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';
import { RetryingKysely } from './transactions.js';

// count(*) and bigint come back from pg as strings; every id and count here fits a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', file: url.slice('sqlite:'.length) };
  throw new DatabaseRefused(`DATABASE_URL must start with sqlite: or postgres:// (got "${url}"), e.g. sqlite:./data/buychain.sqlite`);
}

/** How long a SQLite write waits for another connection's write lock before it fails with SQLITE_BUSY. */
const busyTimeoutMs = 5000;
/** How long a process starting up waits for another one's migrations to finish before it gives up. */
const migrationWaitMs = 10 * 60 * 1000;

/** The database cannot be used as configured; the message says why, in one sentence a person can act on. */
export class DatabaseRefused extends Error {}

/**
 * SQLite opens a file it may not write read-only without a word, and the first write then fails deep
 * inside a request (or a migration). Refuse at once instead: the file and its folder (where SQLite
 * keeps the -wal and -shm files) must be writable.
 */
function refuseReadOnly(file: string): void {
  for (const [target, what] of [[file, 'file'], [path.dirname(file), 'folder']] as const) {
    try {
      fs.accessSync(target, fs.constants.W_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // created on opening
      throw new DatabaseRefused(`The database ${what} ${target} is read-only: give the user running Buychain write access to it, or set DATABASE_URL to a writable file.`);
    }
  }
}

export function openSqlite(file: string): SqliteDatabase.Database {
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    refuseReadOnly(path.resolve(file));
  }
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  return sqlite;
}

/**
 * Our transactions are the write paths, so on SQLite they start with BEGIN IMMEDIATE: the write lock
 * is taken up front and another process waits (busy_timeout) instead of failing with SQLITE_BUSY
 * when its read turns into a write after someone else committed.
 */
class WriteTransactionSqliteDriver extends SqliteDriver {
  constructor(
    private readonly sqlite: SqliteDatabase.Database,
    database: KyselySqlite,
  ) {
    super({ database });
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  // After SQLITE_FULL (disk full), SQLITE_IOERR and a few others SQLite has already rolled the
  // transaction back; a ROLLBACK then fails with "no transaction is active", and that error would
  // replace the one that says what happened.
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.sqlite.inTransaction) await super.rollbackTransaction(connection);
  }
}

/**
 * Kysely runs migrations in one transaction only where the adapter says DDL is transactional, and its
 * SQLite adapter says no and takes no lock: two processes starting together both ran a pending
 * migration ("duplicate column name"), and a crash between two statements left it half done. SQLite's
 * DDL is transactional, so say so: all pending migrations then run in one BEGIN IMMEDIATE transaction,
 * which another process waits for (up to migrationWaitMs) and after which it finds nothing pending.
 */
class SqliteMigrationAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  override async acquireMigrationLock(db: Kysely<any>): Promise<void> {
    await sql.raw(`pragma busy_timeout = ${migrationWaitMs}`).execute(db);
  }

  override async releaseMigrationLock(db: Kysely<any>): Promise<void> {
    await sql.raw(`pragma busy_timeout = ${busyTimeoutMs}`).execute(db);
  }
}

class WriteTransactionSqliteDialect extends SqliteDialect {
  private readonly database: KyselySqlite;

  constructor(private readonly sqlite: SqliteDatabase.Database) {
    const database = withPreparedStatements(sqlite);
    super({ database });
    this.database = database;
  }

  override createDriver(): Driver {
    return new WriteTransactionSqliteDriver(this.sqlite, this.database);
  }

  override createAdapter(): DialectAdapter {
    return new SqliteMigrationAdapter();
  }
}

/** The most recently used statements kept prepared; the rest are prepared again when next used. */
const preparedStatementsKept = 500;

/**
 * Kysely prepares every statement each time it runs it; parsing and planning the SQL is a fair part
 * of a small write's cost. This keeps statements prepared by their text, least recently used out
 * first. Kysely holds SQLite's one connection for a whole query or stream, so a kept statement is
 * never in use twice at once.
 */
export function withPreparedStatements(sqlite: SqliteDatabase.Database): KyselySqlite {
  const prepared = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      let statement = prepared.get(sql);
      // Deleting and setting again moves it to the back: the Map's order is the order of last use.
      if (statement) prepared.delete(sql);
      else statement = sqlite.prepare(sql);
      prepared.set(sql, statement);
      if (prepared.size > preparedStatementsKept) prepared.delete(prepared.keys().next().value!);
      return statement;
    },
  };
}

/**
 * PostgreSQL connection settings, chosen rather than inherited (the README's PostgreSQL section says
 * why). `statement_timeout` and `application_name` can be changed per deployment as parameters of
 * DATABASE_URL (`?statement_timeout=60000&application_name=buychain-eu`), which take precedence.
 */
export const postgresSettings = {
  /** Connections per app process: with N processes the server needs N × max below its max_connections. */
  max: 10,
  /** Waiting longer than this for a free or new connection answers "try again" instead of hanging. */
  connectionTimeoutMillis: 5000,
  /** No page or write needs more than a few seconds; a statement stuck for 30 s is ended. */
  statement_timeout: 30_000,
  /** A transaction left open (a bug, a stuck process) never holds its row locks longer than this. */
  idle_in_transaction_session_timeout: 60_000,
  /** How our connections show in pg_stat_activity (and what an administrator kills). */
  application_name: 'buychain',
  keepAlive: true,
};

/** Migrations may rebuild big tables and indexes: the statement timeout is for requests, not for them. */
class PostgresMigrationAdapter extends PostgresAdapter {
  override async acquireMigrationLock(db: Kysely<any>, options: MigrationLockOptions): Promise<void> {
    await super.acquireMigrationLock(db, options);
    await sql`set statement_timeout = 0`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<any>, options: MigrationLockOptions): Promise<void> {
    await sql`reset statement_timeout`.execute(db);
    await super.releaseMigrationLock(db, options);
  }
}

class PostgresWithMigrationsDialect extends PostgresDialect {
  override createAdapter(): DialectAdapter {
    return new PostgresMigrationAdapter();
  }
}

/** `log`: Kysely's hook, told of every statement (the benchmark counts them per request: statement-count.ts). */
export function connectDatabase(url: string, options: { log?: (event: LogEvent) => void } = {}): Kysely<Database> {
  const target = parseDatabaseUrl(url);
  const { log } = options;
  if (target.kind === 'sqlite') return new RetryingKysely<Database>({ dialect: new WriteTransactionSqliteDialect(openSqlite(target.file)), log });
  const pool = new pg.Pool({ connectionString: target.url, ...postgresSettings });
  // A connection the server closes (restart, failover, pg_terminate_backend) makes its client emit
  // 'error', and an 'error' event nobody listens to ends the process. Idle clients report it through
  // the pool; a client in use fails its query too, and that rejection is what the request answers
  // (503, try again). Either way the dead client is dropped and the next query gets a new connection.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new RetryingKysely<Database>({ dialect: new PostgresWithMigrationsDialect({ pool }), log });
}
