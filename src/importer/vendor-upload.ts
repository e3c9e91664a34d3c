import type { Clock } from '../clock.js';
import type { Db, DbOrTx } from '../db/database.js';
import type { CurrentUser } from '../users/users.service.js';
import type { CsvSource } from './csv-records.js';
import { discardStaleUploads } from './import-staging.js';
import { headerHash, type ImportFileSource, type MappingChoice, readHeader } from './vendor-files.js';

// The files chosen on the import page, kept in import_file_chunks (pieces of 256 KB) between the
// preview and the import, so the person sends them once and any app process can import them; and
// the column mappings people chose, reused when the same header comes again.

const chunkBytes = 256 * 1024;

/** A new upload of `user`, for files to come. */
export async function newVendorUpload(db: Db, clock: Clock, user: CurrentUser): Promise<number> {
  await discardStaleUploads(db, clock);
  const { id } = await db
    .insertInto('import_uploads')
    .values({ user_id: user.id, file_name: 'vendor export', ignored_columns: '[]', created_at: clock.now().toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Keeps a file as it streams in, a piece at a time. */
export async function storeFile(db: Db, uploadId: number, fileIndex: number, fileName: string, source: CsvSource): Promise<void> {
  let held: Buffer[] = [];
  let size = 0;
  let chunk = 0;
  const flush = async () => {
    const bytes = Buffer.concat(held);
    held = [];
    size = 0;
    await db.insertInto('import_file_chunks').values({ upload_id: uploadId, file_index: fileIndex, chunk: chunk++, file_name: fileName, bytes }).execute();
  };
  for await (const piece of source) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    held.push(bytes);
    size += bytes.length;
    if (size >= chunkBytes) await flush();
  }
  if (size > 0 || chunk === 0) await flush();
}

/** The upload's files, each readable from the start as often as needed. */
export async function storedFiles(db: DbOrTx, uploadId: number): Promise<ImportFileSource[]> {
  const files = await db.selectFrom('import_file_chunks').select(['file_index', 'file_name']).where('upload_id', '=', uploadId).where('chunk', '=', 0).orderBy('file_index').execute();
  return files.map(({ file_index, file_name }) => ({
    name: file_name,
    async *open(through: DbOrTx = db) {
      for (let chunk = 0; ; chunk++) {
        const row = await through.selectFrom('import_file_chunks').select('bytes').where('upload_id', '=', uploadId).where('file_index', '=', file_index).where('chunk', '=', chunk).executeTakeFirst();
        if (!row) return;
        yield Buffer.from(row.bytes);
      }
    },
  }));
}

/** The mappings `user` saved for these files' headers, by file. */
export async function savedMappings(db: DbOrTx, user: CurrentUser, files: ImportFileSource[]): Promise<MappingChoice[]> {
  const hashes = await Promise.all(files.map(async (file) => headerHash((await readHeader(file.open())) ?? [])));
  const saved = await db.selectFrom('import_mappings').select(['header_hash', 'mapping']).where('user_id', '=', user.id).where('header_hash', 'in', hashes).execute();
  const byHash = new Map(saved.map((row) => [row.header_hash, JSON.parse(row.mapping) as MappingChoice]));
  return hashes.map((hash) => byHash.get(hash) ?? {});
}

/** Saves what `user` chose for a header, for the next file that comes with it. */
export async function saveMapping(db: DbOrTx, clock: Clock, user: CurrentUser, hash: string, mapping: MappingChoice): Promise<void> {
  await db
    .insertInto('import_mappings')
    .values({ user_id: user.id, header_hash: hash, mapping: JSON.stringify(mapping), updated_at: clock.now().toISOString() })
    .onConflict((conflict) => conflict.columns(['user_id', 'header_hash']).doUpdateSet((eb) => ({ mapping: eb.ref('excluded.mapping'), updated_at: eb.ref('excluded.updated_at') })))
    .execute();
}
