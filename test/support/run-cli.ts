import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run cli -- …args` on `databaseUrl`, as a person runs it; answers the exit code and everything it printed. */
export function runCli(databaseUrl: string, ...args: string[]) {
  const child = spawn(`${projectRoot}node_modules/.bin/tsx`, ['src/cli.ts', ...args], {
    cwd: projectRoot,
    // BASE_URL too: vitest puts its own (a path, not a URL) into the environment.
    env: { ...process.env, DATABASE_URL: databaseUrl, BASE_URL: 'http://buychain.test', LOG_LEVEL: 'silent' },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
}
