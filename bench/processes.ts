import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerProcess {
  url: string;
  pid: number;
  /** Resident memory now and at its peak (VmHWM), in MB. */
  memory(): { rssMb: number; peakMb: number };
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

function memoryOf(pid: number) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kilobytes('VmRSS') / 1024), peakMb: Math.round(kilobytes('VmHWM') / 1024) };
}

/** utime + stime of a live process, in seconds (from /proc; the clock tick is 100 Hz on Linux). */
function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Follows a child process's CPU seconds and peak memory until stop(). /proc holds its figures only
 * while it runs, so they are sampled every 50 ms.
 */
export function sampleProcess(pid: number): { stop(): { cpuSeconds: number; peakRssMb: number } } {
  let cpuSeconds = 0;
  let peakRssMb = 0;
  const sample = () => {
    try {
      // Once it has exited and not yet been reaped, the process has its final CPU time but no memory figures.
      cpuSeconds = Math.max(cpuSeconds, cpuSecondsOf(pid));
      peakRssMb = Math.max(peakRssMb, memoryOf(pid).peakMb);
    } catch {
      // Exited between two samples.
    }
  };
  const sampler = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(sampler);
      return { cpuSeconds, peakRssMb };
    },
  };
}

async function waitUntilServing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`The server exited with ${child.exitCode}:\n${output()}`);
    try {
      await fetch(url, { redirect: 'manual' });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`The server did not answer at ${url} within 30 s:\n${output()}`);
}

/**
 * Starts an entry point as its own Node process, so the pid is the server itself: compiled
 * JavaScript as is, TypeScript with tsx as a loader. Production mode, so Express caches compiled
 * templates as it would when deployed.
 */
export async function startServer(entry: string, options: { env?: Record<string, string>; nodeOptions?: string[]; cwd?: string } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), ...loader, path.join(root, entry)], {
    cwd: options.cwd ?? root,
    // Production insists on a session secret of its own; this one signs only benchmark cookies.
    env: { ...process.env, NODE_ENV: 'production', SESSION_SECRET: 'benchmark-only-session-secret-0123456789', LOG_LEVEL: 'warn', ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(url, child, () => output);
  return {
    url,
    pid: child.pid!,
    memory: () => memoryOf(child.pid!),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** What `npm start` runs ("node [options] entry"), so the benchmark serves with the same Node options. */
export function npmStartCommand(): { nodeOptions: string[]; entry: string } {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = scripts.start!.split(/\s+/);
  const entry = args.pop();
  if (command !== 'node' || !entry) throw new Error(`Expected "node [options] entry" as npm start, found "${scripts.start}"`);
  return { nodeOptions: args, entry };
}

/** Compiles the server as `npm start` does (its `build` script), so the benchmark measures what is deployed. */
export function buildServer(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}

const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');

/** Signs in through the login form, like a browser, and returns the session cookie. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${baseUrl}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf) throw new Error('The login page has no CSRF token');
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookieOf(page), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password }),
  });
  if (response.status !== 302) throw new Error(`Signing in as ${email} answered ${response.status}`);
  return cookieOf(response);
}
