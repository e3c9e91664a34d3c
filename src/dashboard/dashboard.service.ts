import { z } from 'zod';
import type { DbOrTx } from '../db/database.js';
import type { Paging } from '../http/pagination.js';
import { type RiskClock, riskLevels, riskRules } from '../risk/risk.rules.js';
import { type AccountScope, type AccountWithRisk, assessAccounts } from '../risk/risk.service.js';

export const dashboardFiltersSchema = z.object({
  level: z.enum(riskLevels).optional().catch(undefined),
  flag: z
    .string()
    .refine((code) => riskRules.some((rule) => rule.code === code))
    .optional()
    .catch(undefined),
  q: z.string().trim().max(100).optional().catch(undefined),
});
export type DashboardFilters = z.output<typeof dashboardFiltersSchema>;

const meetingLookaheadDays = 7;

/**
 * A risk dashboard over a scope of accounts: riskiest first, filtered, one page of rows, plus the
 * counts and the decision-maker meetings coming due. Risk must be known for every account to sort
 * by it, so the whole scope is assessed (set-based) and then paged.
 */
export async function riskDashboard(db: DbOrTx, scope: AccountScope, filters: DashboardFilters, paging: Paging, clock: RiskClock) {
  const assessed = await assessAccounts(db, scope, clock);
  const search = filters.q?.toLowerCase();
  const matching = assessed.filter(
    ({ account, risk }) =>
      (!filters.level || risk.level === filters.level) &&
      (!filters.flag || risk.flags.some((flag) => flag.code === filters.flag)) &&
      (!search || account.name.toLowerCase().includes(search)),
  );
  const start = (paging.page - 1) * paging.perPage;
  return {
    rows: matching.slice(start, start + paging.perPage).map(toRow),
    total: matching.length,
    levelCounts: riskLevels.map((level) => ({ level, count: assessed.filter(({ risk }) => risk.level === level).length })),
    meetingsDueSoon: assessed
      .filter(({ risk }) => risk.decision_maker_meeting && risk.decision_maker_meeting.due_in_days >= 0 && risk.decision_maker_meeting.due_in_days <= meetingLookaheadDays)
      .sort((a, b) => a.risk.decision_maker_meeting!.due_in_days - b.risk.decision_maker_meeting!.due_in_days)
      .map(toRow),
    perOwner: countsPerOwner(assessed),
  };
}

function toRow({ account, risk }: AccountWithRisk) {
  const meeting = risk.decision_maker_meeting;
  return {
    ...account,
    score: risk.score,
    level: risk.level,
    flags: risk.flags,
    flagCodes: [...new Set(risk.flags.map((flag) => flag.code))],
    flagLabels: [...new Set(risk.flags.map((flag) => flag.label))],
    meeting: meeting && {
      contact_name: meeting.contact.name,
      never_met: meeting.never_met,
      days_since: meeting.days_since,
      due_in_days: meeting.due_in_days,
      overdue_days: meeting.due_in_days < 0 ? -meeting.due_in_days : 0,
      due_on: meeting.due_on,
    },
  };
}
export type DashboardRow = ReturnType<typeof toRow>;

function countsPerOwner(assessed: AccountWithRisk[]) {
  const owners = new Map<number, { owner_id: number; owner_name: string; accounts: number; ok: number; watch: number; at_risk: number; critical: number; overdue_meetings: number }>();
  for (const { account, risk } of assessed) {
    const owner =
      owners.get(account.owner_id) ??
      owners
        .set(account.owner_id, { owner_id: account.owner_id, owner_name: account.owner_name, accounts: 0, ok: 0, watch: 0, at_risk: 0, critical: 0, overdue_meetings: 0 })
        .get(account.owner_id)!;
    owner.accounts += 1;
    owner[risk.level] += 1;
    if (risk.flags.some((flag) => flag.code === 'decision_maker_meeting_overdue')) owner.overdue_meetings += 1;
  }
  return [...owners.values()].sort((a, b) => a.owner_name.localeCompare(b.owner_name));
}
