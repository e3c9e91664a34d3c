import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// App passwords are stored encrypted with AES-256-GCM (authenticated: a changed ciphertext fails to
// decrypt) under a key from MAIL_CREDENTIALS_KEY, bound to the user they belong to.

export class CredentialsKeyMissing extends Error {
  constructor() {
    super('Connecting a mailbox needs MAIL_CREDENTIALS_KEY (32 random bytes, e.g. `openssl rand -base64 32`) set on the server.');
  }
}

/** The 32-byte key from its base64 or hex form; throws when unset or malformed. */
export function credentialsKey(value: string | undefined): Buffer {
  if (!value) throw new CredentialsKeyMissing();
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error('MAIL_CREDENTIALS_KEY must be 32 bytes, base64 or hex (openssl rand -base64 32).');
  return key;
}

const format = 'v1';

export function encryptSecret(key: Buffer, userId: number, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(`mailbox:${userId}`));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${format}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

export function decryptSecret(key: Buffer, userId: number, stored: string): string {
  const [version, payload] = stored.split(':');
  if (version !== format || !payload) throw new Error('unknown credentials format');
  const bytes = Buffer.from(payload, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12)).setAAD(Buffer.from(`mailbox:${userId}`));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}
