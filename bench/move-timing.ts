import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmStartCommand, sampleProcess } from './processes.js';

// The move of the seeded company from its SQLite file into PostgreSQL, with the command line as
// deployed (`dist/src/cli.js move --to …`, the Node options of `npm start`): wall time, CPU seconds
// and peak memory of the command (PostgreSQL's own work is in the wall time, not in the CPU seconds).

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface MoveTiming {
  seconds: number;
  cpu_seconds: number;
  peak_rss_mb: number;
  output: string;
}

export async function timeMove(sqliteFile: string, postgresUrl: string): Promise<MoveTiming> {
  const { nodeOptions } = npmStartCommand();
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, path.join(root, 'dist/src/cli.js'), 'move', '--to', postgresUrl], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: `sqlite:${sqliteFile}`, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sampler = sampleProcess(child.pid!);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Progress, a line per table and per million rows, as it comes.
  child.stderr!.on('data', (chunk: Buffer) => process.stdout.write(chunk.toString().replace(/^(?=.)/gm, '    ')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const { cpuSeconds, peakRssMb } = sampler.stop();
  if (code !== 0) throw new Error(`The move exited with ${code}:\n${output.slice(-2000)}`);
  return { seconds: Math.round((performance.now() - started) / 10) / 100, cpu_seconds: Math.round(cpuSeconds * 100) / 100, peak_rss_mb: peakRssMb, output: output.trim() };
}
