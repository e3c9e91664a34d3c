// A throwaway PostgreSQL cluster from the machine's server binaries, for `npm run test:pg` and
// `npm run bench -- --db postgres`: created in a temporary folder, removed by stop().
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/support/free-port.js';

/** The newest installed PostgreSQL server binaries (Debian puts them under /usr/lib/postgresql/<major>/bin). */
export function postgresBinaries(): string {
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

export interface ThrowawayCluster {
  url: string;
  version: string;
  /** Stops the server the hard way (as a crash or `pg_ctl -m immediate` would) and starts it again, without blocking. */
  restart(): Promise<void>;
  stop(): void;
}

/**
 * Starts a cluster without durability (pointless for a database deleted in a minute; turning it off
 * makes tests faster). `settings` are more `-c name=value` server settings.
 */
export async function startThrowawayCluster(settings: string[] = []): Promise<ThrowawayCluster> {
  const bin = postgresBinaries();
  const folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-pg-'));
  const dataFolder = path.join(folder, 'data');
  if (process.getuid?.() === 0) {
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(folder, Number(owner.stdout), Number(group.stdout));
  }
  let port: number;
  let serverOptions: string;
  try {
    runChecked(path.join(bin, 'initdb'), ['-D', dataFolder, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    port = await freePort();
    serverOptions = [`-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`, ...settings.map((setting) => `-c ${setting}`)].join(' ');
    runChecked(path.join(bin, 'pg_ctl'), ['-D', dataFolder, '-l', path.join(folder, 'server.log'), '-o', serverOptions, '-w', 'start']);
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    version: path.basename(path.dirname(bin)),
    async restart() {
      const pgCtl = (args: string[]) => promisify(execFile)(...asClusterOwner(path.join(bin, 'pg_ctl'), ['-D', dataFolder, ...args]));
      await pgCtl(['-m', 'immediate', '-w', 'stop']);
      await pgCtl(['-l', path.join(folder, 'server.log'), '-o', serverOptions, '-w', 'start']);
    },
    stop() {
      try {
        runChecked(path.join(bin, 'pg_ctl'), ['-D', dataFolder, '-m', 'immediate', '-w', 'stop']);
      } catch (error) {
        console.error(String(error));
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
