import { sql } from 'kysely';
import { z } from 'zod';
import type { DbOrTx } from '../db/database.js';
import { containsIgnoringCase } from '../db/dialect.js';
import type { Paging } from '../http/pagination.js';
import { flagCodesColumn, recalledRisk } from '../risk/risk-cache.js';
import { type RiskClock, type RiskLevel, plannedMeetingText, riskLevels, riskRules } from '../risk/risk.rules.js';
import { type AccountScope, type AccountWithRisk, accountsInScope, rememberRiskInScope } from '../risk/risk.service.js';

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
 * counts per level and per owner and, when asked, the decision-maker meetings coming due. Every
 * account's assessment is remembered first (rememberRiskInScope); the database then filters, counts,
 * sorts and pages by the remembered score, level and flags, and only the rows shown are read whole.
 * A fixed number of queries and a page's worth of memory, for a rep's 200 accounts or a company's 100,000.
 */
export async function riskDashboard(
  db: DbOrTx,
  scope: AccountScope,
  filters: DashboardFilters,
  paging: Paging,
  clock: RiskClock,
  { withMeetingsDueSoon = false } = {},
) {
  await rememberRiskInScope(db, scope, clock);
  const inView = () =>
    db
      .selectFrom('accounts')
      .innerJoin('users', 'users.id', 'accounts.owner_id')
      .innerJoin('account_risk', (join) => join.onRef('account_risk.account_id', '=', 'accounts.id').on('account_risk.time_zone', '=', clock.zone))
      .where(accountsInScope(scope));
  const matching = () =>
    inView().where((eb) =>
      eb.and([
        ...(filters.level ? [eb('account_risk.level', '=', filters.level)] : []),
        ...(filters.flag ? [hasFlag(db, filters.flag)] : []),
        ...(filters.q ? [containsIgnoringCase(db, eb.ref('accounts.name'), filters.q)] : []),
      ]),
    );
  const rowColumns = ['accounts.id', 'accounts.name', 'accounts.owner_id', 'users.name as owner_name', 'accounts.status', 'accounts.meeting_cadence_days', 'account_risk.risk'] as const;

  const [page, matched, perOwnerAndLevel, meetings] = await Promise.all([
    matching()
      .select(rowColumns)
      // Accounts still being mapped come after the real risks, whatever their score.
      .orderBy(sql`case when account_risk.level = 'getting_started' then 1 else 0 end`)
      .orderBy('account_risk.score', 'desc')
      .orderBy('accounts.name')
      .orderBy('accounts.id')
      .limit(paging.perPage)
      .offset((paging.page - 1) * paging.perPage)
      .execute(),
    matching()
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .executeTakeFirstOrThrow(),
    inView()
      .select((eb) => [
        'accounts.owner_id',
        'users.name as owner_name',
        'account_risk.level',
        eb.fn.countAll<number>().as('accounts'),
        eb.fn.sum<number>(eb.case().when(hasFlag(db, 'decision_maker_meeting_overdue')).then(1).else(0).end()).as('overdue_meetings'),
      ])
      .groupBy(['accounts.owner_id', 'users.name', 'account_risk.level'])
      .execute(),
    withMeetingsDueSoon
      ? inView()
          .select(rowColumns)
          .where('account_risk.meeting_due_in_days', '>=', 0)
          .where('account_risk.meeting_due_in_days', '<=', meetingLookaheadDays)
          .orderBy('account_risk.meeting_due_in_days')
          .orderBy('account_risk.score', 'desc')
          .orderBy('accounts.name')
          .execute()
      : [],
  ]);

  const perOwner = countsPerOwner(perOwnerAndLevel);
  return {
    rows: page.map(rowOf),
    total: Number(matched.total),
    levelCounts: riskLevels.map((level) => ({ level, count: perOwner.reduce((sum, owner) => sum + owner[level], 0) })),
    meetingsDueSoon: meetings.map(rowOf),
    perOwner,
  };
}

/** The remembered flag codes include this one. */
const hasFlag = (db: DbOrTx, code: string) => containsIgnoringCase(db, sql.ref<string>('account_risk.flag_codes'), flagCodesColumn([code]));

type RowWithRisk = AccountWithRisk['account'] & { risk: string };
const rowOf = ({ risk, ...account }: RowWithRisk) => toRow({ account, risk: recalledRisk(risk) });

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
      /** "coffee with Maria Lopez planned for Thu 10 Dec", and whether that is on or before the due date. */
      planned_text: meeting.planned ? plannedMeetingText(meeting.planned) : null,
      planned_in_time: meeting.planned?.in_time ?? false,
    },
  };
}
export type DashboardRow = ReturnType<typeof toRow>;

interface OwnerLevelCount {
  owner_id: number;
  owner_name: string;
  level: string;
  accounts: number;
  overdue_meetings: number;
}

function countsPerOwner(counts: OwnerLevelCount[]) {
  const owners = new Map<number, { owner_id: number; owner_name: string; accounts: number; overdue_meetings: number } & Record<RiskLevel, number>>();
  for (const count of counts) {
    const owner =
      owners.get(count.owner_id) ??
      owners
        .set(count.owner_id, { owner_id: count.owner_id, owner_name: count.owner_name, accounts: 0, ok: 0, watch: 0, at_risk: 0, critical: 0, getting_started: 0, overdue_meetings: 0 })
        .get(count.owner_id)!;
    owner.accounts += Number(count.accounts);
    owner[count.level as RiskLevel] += Number(count.accounts);
    owner.overdue_meetings += Number(count.overdue_meetings);
  }
  return [...owners.values()].sort((a, b) => a.owner_name.localeCompare(b.owner_name));
}
