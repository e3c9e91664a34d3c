// `npm run test:pg [-- vitest args]`: the whole test suite on PostgreSQL.
// With TEST_DATABASE_URL or DATABASE_URL (postgres://…) it uses that server; otherwise it starts a
// throwaway cluster from the machine's PostgreSQL binaries and always removes it afterwards.
import { type SpawnOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startThrowawayCluster } from './pg-cluster.js';

const vitestArgs = process.argv.slice(2);
const givenUrl = [process.env.TEST_DATABASE_URL, process.env.DATABASE_URL].find((url) => url && /^postgres(ql)?:\/\//.test(url));

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
  // Stay alive on Ctrl-C (vitest gets it too and stops) so the cluster is always removed.
  const ignoreInterrupt = () => undefined;
  process.on('SIGINT', ignoreInterrupt);
  try {
    const cluster = await startThrowawayCluster();
    try {
      console.log(`PostgreSQL ${cluster.version} running at ${cluster.url} (throwaway cluster)`);
      return await work(cluster.url);
    } finally {
      cluster.stop();
    }
  } finally {
    process.off('SIGINT', ignoreInterrupt);
  }
}

process.exitCode = givenUrl ? await runVitest(givenUrl) : await withThrowawayCluster(runVitest);
