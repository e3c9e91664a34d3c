import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';

const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Reads every migration beside this code (migrations/*.ts, or *.js once compiled); their names sort in the order they must run. */
export const migrationsFolderProvider: MigrationProvider = {
  async getMigrations() {
    const migrations: Record<string, Migration> = {};
    for (const file of (await fs.readdir(migrationsFolder)).sort()) {
      if (!/^\d{4}_\d{2}_\d{2}_\d{4}_.+\.(ts|js)$/.test(file) || file.endsWith('.d.ts')) continue;
      migrations[file.replace(/\.(ts|js)$/, '')] = await import(pathToFileURL(path.join(migrationsFolder, file)).href);
    }
    return migrations;
  },
};

/**
 * Runs every pending migration, all in one transaction, under a lock another process starting at the
 * same moment waits for (PostgreSQL: an advisory lock; SQLite: its write lock, see connect.ts). A
 * failure or a crash part-way leaves the database as it was before.
 */
export async function migrateToLatest(db: Kysely<any>, provider = migrationsFolderProvider): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
