import { existsSync } from 'node:fs';
import { openSqlite } from './connect.js';

export const postgresBackupAdvice = `On PostgreSQL, back up with PostgreSQL's own tools (they take a consistent snapshot while the app runs):
  pg_dump --format=custom --file=buychain.dump "$DATABASE_URL"
and restore into an empty database with:
  pg_restore --no-owner --dbname="$DATABASE_URL" buychain.dump`;

/**
 * A consistent copy of a live SQLite database, taken with SQLite's online backup API while the app
 * keeps writing. After a first small step, the rest is copied in one step under one read transaction,
 * so a write by another process cannot make the copy start over again and again.
 */
export async function backupSqlite(sourceFile: string, destination: string): Promise<{ pages: number }> {
  if (existsSync(destination)) throw new Error(`${destination} already exists; choose a new file name.`);
  const source = openSqlite(sourceFile);
  try {
    const { totalPages } = await source.backup(destination, { progress: () => 0x7fffffff });
    return { pages: totalPages };
  } finally {
    source.close();
  }
}
