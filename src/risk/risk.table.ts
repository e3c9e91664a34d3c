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
  /** The local day and the rules it holds for (rememberedFor in risk-cache.ts). */
  local_day: string;
  /** The account's risk_version the assessment was computed from. */
  risk_version: number;
  /** The AccountRisk, as JSON (see risk-cache.ts for what is left out). */
  risk: string;
  /** What the dashboards filter, count and sort by, copied out of the assessment. */
  score: number;
  level: string;
  /** Flag codes between commas (",boss_unknown,single_threaded,"), so one code is a LIKE away. */
  flag_codes: string;
  /** Days until the decision-maker meeting is due (negative: overdue); null without a decision-maker. */
  meeting_due_in_days: number | null;
}
