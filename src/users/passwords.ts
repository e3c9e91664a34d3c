import os from 'node:os';
import argon2 from 'argon2';

/**
 * Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). The library's default takes
 * 64 MiB for each hash, so ten people signing in at once would cost the server 640 MB.
 */
const hashOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * At most one hash per core at a time; the rest wait their turn. A flood of sign-ins then costs
 * time, never 19 MiB times the number of requests in flight.
 */
const hashSlots = { free: Math.max(2, os.availableParallelism()), waiting: [] as (() => void)[] };

async function inHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (hashSlots.free > 0) hashSlots.free--;
  else await new Promise<void>((resolve) => hashSlots.waiting.push(resolve));
  try {
    return await work();
  } finally {
    const next = hashSlots.waiting.shift();
    if (next) next();
    else hashSlots.free++;
  }
}

export const hashPassword = (password: string) => inHashSlot(() => argon2.hash(password, hashOptions));

/** A hash made with other settings (older or stronger) is replaced at the next successful sign-in. */
export const needsRehash = (hash: string) => argon2.needsRehash(hash, hashOptions);

export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (!hash) return false;
  try {
    return await inHashSlot(() => argon2.verify(hash, password));
  } catch {
    return false;
  }
}
