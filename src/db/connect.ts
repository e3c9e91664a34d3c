import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, Kysely, PostgresDialect, type SqliteDatabase as KyselySqlite, SqliteDialect, SqliteDriver, type SqliteDialectConfig } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

// count(*) and bigint come back from pg as strings; every id and count here fits a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', file: url.slice('sqlite:'.length) };
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got "${url}")`);
}

export function openSqlite(file: string): SqliteDatabase.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return sqlite;
}

/**
 * Our transactions are the write paths, so on SQLite they start with BEGIN IMMEDIATE: the write lock
 * is taken up front and another process waits (busy_timeout) instead of failing with SQLITE_BUSY
 * when its read turns into a write after someone else committed.
 */
class WriteTransactionSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class WriteTransactionSqliteDialect extends SqliteDialect {
  constructor(private readonly sqliteConfig: SqliteDialectConfig) {
    super(sqliteConfig);
  }

  override createDriver(): Driver {
    return new WriteTransactionSqliteDriver(this.sqliteConfig);
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

export function connectDatabase(url: string): Kysely<Database> {
  const target = parseDatabaseUrl(url);
  if (target.kind === 'sqlite') {
    return new Kysely<Database>({ dialect: new WriteTransactionSqliteDialect({ database: withPreparedStatements(openSqlite(target.file)) }) });
  }
  const pool = new pg.Pool({ connectionString: target.url, max: 10 });
  // An idle connection closed by the server (restart, failover, an admin) is already dropped from the
  // pool and replaced on the next query; without a listener pg would crash the process instead.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
