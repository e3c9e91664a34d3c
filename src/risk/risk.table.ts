export interface RiskSnapshotsTable {
  account_id: number;
  iso_week: string;
  score: number;
  level: string;
  /** Flag codes, comma-separated. */
  flags: string;
  taken_at: string;
}
