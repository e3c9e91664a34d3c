import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

// Another process holding a SQLite file's write lock (BEGIN IMMEDIATE), as a backup, a long import or
// a second app process would. It must be another process: better-sqlite3 waits for a busy lock
// synchronously, so a holder in this process could never let go while this process waits.
const holder = `
const Database = require('better-sqlite3');
const sqlite = new Database(process.argv[1]);
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, ms] = line.split(' ');
  if (command === 'lock') {
    sqlite.exec('begin immediate');
    console.log('locked');
    if (ms) setTimeout(() => { sqlite.exec('rollback'); console.log('released'); }, Number(ms));
  } else if (command === 'release') {
    sqlite.exec('rollback');
    console.log('released');
  } else process.exit(0);
});
`;

export interface SqliteWriteLock {
  /** Takes the write lock; with `forMs`, the other process lets go by itself after that long, whatever this one is doing. */
  lock(forMs?: number): Promise<void>;
  /** Resolves when the lock is let go (at once after `release()`, or when a timed hold ends). */
  released(): Promise<void>;
  release(): Promise<void>;
  stop(): Promise<void>;
}

export function sqliteWriteLockHolder(file: string): SqliteWriteLock {
  const child: ChildProcess = spawn(process.execPath, ['-e', holder, file], { cwd: projectRoot, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map<string, (() => void)[]>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    for (const resolve of waiting.get(line) ?? []) resolve();
    waiting.delete(line);
  });
  const next = (line: string) => new Promise<void>((resolve) => waiting.set(line, [...(waiting.get(line) ?? []), resolve]));
  return {
    lock(forMs) {
      const locked = next('locked');
      child.stdin!.write(`lock${forMs ? ` ${forMs}` : ''}\n`);
      return locked;
    },
    released: () => next('released'),
    release() {
      const released = next('released');
      child.stdin!.write('release\n');
      return released;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.write('quit\n');
      await exited;
    },
  };
}
