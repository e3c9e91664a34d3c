export interface RiskSnapshotsTable {
  account_id: number;
  iso_week: string;
  score: number;
  level: string;
  /** Flag codes, comma-separated. */
  flags: string;
  taken_at: string;
}

/** One account's assessment for viewers in one time zone on one local day (see risk-cache.ts). */
export interface AccountRiskTable {
  account_id: number;
  time_zone: string;
  local_day: string;
  /** The account's risk_version the assessment was computed from. */
  risk_version: number;
  /** The AccountRisk, as JSON. */
  risk: string;
}
