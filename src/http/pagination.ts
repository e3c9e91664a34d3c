import { z } from 'zod';

const pageQuery = z.object({
  page: z.coerce.number().int().min(1).catch(1).default(1),
  per_page: z.coerce.number().int().min(1).max(200).catch(50).default(50),
});

export interface Paging {
  page: number;
  perPage: number;
}

/** Reads ?page= and ?per_page= leniently: a bad value falls back to the default. */
export function parsePaging(query: unknown, defaultPerPage = 50): Paging {
  const source = (query ?? {}) as Record<string, unknown>;
  const parsed = pageQuery.parse({ page: source.page, per_page: source.per_page ?? defaultPerPage });
  return { page: parsed.page, perPage: parsed.per_page };
}

export function pageInfo(paging: Paging, total: number) {
  const pages = Math.max(1, Math.ceil(total / paging.perPage));
  return {
    page: paging.page,
    per_page: paging.perPage,
    total,
    pages,
    has_previous: paging.page > 1,
    has_next: paging.page < pages,
    previous_page: paging.page - 1,
    next_page: paging.page + 1,
  };
}
