import { createHash } from 'node:crypto';
import session from 'express-session';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';

const defaultLifetimeMs = 14 * 24 * 60 * 60 * 1000;
const touchEveryMs = 60 * 60 * 1000;

/** The session id in the cookie is a credential: the database keeps only its SHA-256. */
const keyOf = (sid: string) => createHash('sha256').update(sid).digest('hex');

/**
 * express-session store on our own database, so a restart logs nobody out and several app
 * processes share sessions. Works on SQLite and PostgreSQL alike.
 */
export class DatabaseSessionStore extends session.Store {
  private writesSincePrune = 0;
  private readonly touchedAt = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    super();
  }

  override get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
    this.db
      .selectFrom('sessions')
      .select('data')
      .where('sid', '=', keyOf(sid))
      .where('expires_at', '>', this.clock.now().toISOString())
      .executeTakeFirst()
      .then((row) => callback(null, row ? (JSON.parse(row.data) as session.SessionData) : null), callback);
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    const row = {
      sid: keyOf(sid),
      user_id: (data as { userId?: number }).userId ?? null,
      data: JSON.stringify(data),
      expires_at: this.expiry(data),
    };
    this.db
      .insertInto('sessions')
      .values(row)
      .onConflict((conflict) => conflict.column('sid').doUpdateSet({ user_id: row.user_id, data: row.data, expires_at: row.expires_at }))
      .execute()
      .then(() => this.pruneNowAndThen())
      .then(() => callback?.(), callback);
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.db
      .deleteFrom('sessions')
      .where('sid', '=', keyOf(sid))
      .execute()
      .then(() => callback?.(), callback);
  }

  override touch(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    // Sessions last two weeks: moving the expiry once an hour is plenty, not a write per page view.
    const now = this.clock.now().getTime();
    if (now - (this.touchedAt.get(sid) ?? 0) < touchEveryMs) return void callback?.();
    if (this.touchedAt.size > 10_000) this.touchedAt.clear();
    this.touchedAt.set(sid, now);
    this.db
      .updateTable('sessions')
      .set({ expires_at: this.expiry(data) })
      .where('sid', '=', keyOf(sid))
      .execute()
      .then(() => callback?.(), callback);
  }

  private expiry(data: session.SessionData): string {
    const expires = data.cookie?.expires ? new Date(data.cookie.expires) : new Date(this.clock.now().getTime() + defaultLifetimeMs);
    return expires.toISOString();
  }

  /** Expired rows are removed every few hundred writes rather than on a timer. */
  private async pruneNowAndThen(): Promise<void> {
    if (++this.writesSincePrune < 500) return;
    this.writesSincePrune = 0;
    await this.db.deleteFrom('sessions').where('expires_at', '<=', this.clock.now().toISOString()).execute();
  }
}
