import argon2 from 'argon2';

/**
 * Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). The library's default takes
 * 64 MiB for each hash, so ten people signing in at once would cost the server 640 MB.
 */
const hashOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2.hash(password, hashOptions);

/** A hash made with other settings (older or stronger) is replaced at the next successful sign-in. */
export const needsRehash = (hash: string) => argon2.needsRehash(hash, hashOptions);

export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (!hash) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
