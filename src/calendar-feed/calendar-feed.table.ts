export interface CalendarFeedsTable {
  /** One address per user; making a new one replaces the row. */
  user_id: number;
  /** SHA-256 of the secret in the address; the address itself is never stored. */
  secret_hash: string;
  created_at: string;
}
