// `npm run test:pg [-- vitest args]`: the whole test suite on PostgreSQL.
// With TEST_DATABASE_URL or DATABASE_URL (postgres://…) it uses that server; otherwise it starts a
// throwaway cluster from the machine's PostgreSQL binaries and always removes it afterwards.
import { type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/free-port.js';

const vitestArgs = process.argv.slice(2);
const givenUrl = [process.env.TEST_DATABASE_URL, process.env.DATABASE_URL].find((url) => url && /^postgres(ql)?:\/\//.test(url));

/** The newest installed PostgreSQL server binaries (Debian puts them under /usr/lib/postgresql/<major>/bin). */
function postgresBinaries(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = majors.map((major) => path.join(root, major, 'bin')).find((folder) => existsSync(path.join(folder, 'initdb')));
  if (!bin) throw new Error('No PostgreSQL server binaries under /usr/lib/postgresql: install Debian\'s postgresql package, or set TEST_DATABASE_URL.');
  return bin;
}

/** PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user. */
const asClusterOwner = (command: string, args: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];

function runChecked(command: string, args: string[]): void {
  const [program, programArgs] = asClusterOwner(command, args);
  const result = spawnSync(program, programArgs, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} failed:\n${result.stdout}${result.stderr}`);
}

function run(command: string, args: string[], options: SpawnOptions): Promise<number> {
  const child = spawn(command, args, { stdio: 'inherit', ...options });
  // Ctrl-C reaches vitest through the terminal's process group; a SIGTERM sent to us alone is passed on.
  const forward = () => child.kill('SIGTERM');
  process.on('SIGTERM', forward);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    }),
  );
}

const runVitest = (databaseUrl: string) =>
  run(fileURLToPath(new URL('../node_modules/.bin/vitest', import.meta.url)), ['run', ...vitestArgs], { env: { ...process.env, TEST_DATABASE_URL: databaseUrl, DATABASE_URL: undefined } });

async function withThrowawayCluster(work: (url: string) => Promise<number>): Promise<number> {
  const bin = postgresBinaries();
  const folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-pg-'));
  const dataFolder = path.join(folder, 'data');
  if (process.getuid?.() === 0) {
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(folder, Number(owner.stdout), Number(group.stdout));
  }
  // Stay alive on Ctrl-C (vitest gets it too and stops) so the cluster is always removed.
  const ignoreInterrupt = () => undefined;
  process.on('SIGINT', ignoreInterrupt);
  let started = false;
  try {
    runChecked(path.join(bin, 'initdb'), ['-D', dataFolder, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    // Durability is pointless for a database that is deleted in a minute; turning it off makes tests faster.
    const serverOptions = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    runChecked(path.join(bin, 'pg_ctl'), ['-D', dataFolder, '-l', path.join(folder, 'server.log'), '-o', serverOptions, '-w', 'start']);
    started = true;
    console.log(`PostgreSQL ${path.basename(path.dirname(bin))} running on 127.0.0.1:${port} (throwaway cluster in ${folder})`);
    return await work(`postgres://postgres@127.0.0.1:${port}/postgres`);
  } finally {
    if (started) {
      try {
        runChecked(path.join(bin, 'pg_ctl'), ['-D', dataFolder, '-m', 'immediate', '-w', 'stop']);
      } catch (error) {
        console.error(String(error));
      }
    }
    rmSync(folder, { recursive: true, force: true });
    process.off('SIGINT', ignoreInterrupt);
  }
}

process.exitCode = givenUrl ? await runVitest(givenUrl) : await withThrowawayCluster(runVitest);
