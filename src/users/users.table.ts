import type { Generated, Insertable, Selectable } from 'kysely';

export const userRoles = ['rep', 'manager', 'admin'] as const;
export type UserRole = (typeof userRoles)[number];

export interface UsersTable {
  id: Generated<number>;
  email: string;
  name: string;
  role: UserRole;
  manager_id: number | null;
  time_zone: string;
  password_hash: string | null;
  active: Generated<number>;
  /** When the weekly digest arrives, in the user's zone: ISO weekday 1–7 and hour 0–23; 1 = opted out. */
  digest_day: Generated<number>;
  digest_hour: Generated<number>;
  digest_opt_out: Generated<number>;
  /** Set when an admin deleted the user: they stay only as the name behind the history they wrote. */
  deleted_at: string | null;
  /** When the rep's own week arrives (same scale as the digest); 1 = opted out. */
  week_email_day: Generated<number>;
  week_email_hour: Generated<number>;
  week_email_opt_out: Generated<number>;
  /** 1 = no email when a key contact of the team's accounts leaves. */
  departure_alerts_opt_out: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  sid: string;
  user_id: number | null;
  data: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** Null: the token works until it is revoked. */
  expires_at: string | null;
}

/** Failed sign-ins, per account or per client address; `key` is a hash of which. */
export interface LoginThrottlesTable {
  key: string;
  failures: number;
  last_failed_at: string;
  /** Until then every attempt is refused without checking the password. */
  blocked_until: string | null;
}

export interface PasswordResetsTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  created_by_id: number | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
