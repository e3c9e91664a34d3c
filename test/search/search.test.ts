import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery, sql } from 'kysely';
import { isPostgres } from '../../src/db/dialect.js';
import { matches, searchWords } from '../../src/search/search.service.js';
import { type TestApp, createTestApp } from '../support/test-app.js';
import { type ApiClient, type Session, sessionsAndClients, twoTeams } from '../support/scenarios.js';

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
type Who = 'rep' | 'teammate' | 'manager' | 'outsider' | 'admin';
let as: Record<Who, Session>;
let api: Record<Who, ApiClient>;
let ids: { account: number; helene: number; tom: number; archived: number };

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  ({ as, api } = await sessionsAndClients(t, { rep: people.rep, teammate: people.teammate, manager: people.manager, outsider: people.outsider, admin: people.admin }));
  const account = await t.make.account(people.rep, { name: 'Northwind Ključ Logistics' });
  const helene = await t.make.contact(people.rep, account.id, { name: 'Hélène Dupont', title: 'Head of Procurement', email: 'helene.dupont@northwind.example' });
  const tom = await t.make.contact(people.rep, account.id, { name: 'Tom Reed', title: 'Office Manager' });
  await t.db.updateTable('contacts').set({ status: 'left', left_on: '2026-11-01' }).where('id', '=', tom.id).execute();
  const archived = await t.make.contact(people.rep, account.id, { name: 'Tom Archived' });
  await t.db.updateTable('contacts').set({ archived: 1 }).where('id', '=', archived.id).execute();
  // Someone with the same first name at another team's account.
  const elsewhere = await t.make.account(people.outsider, { name: 'Southern Hélène Supplies' });
  await t.make.contact(people.outsider, elsewhere.id, { name: 'Helene Other' });
  ids = { account: account.id, helene: helene.id, tom: tom.id, archived: archived.id };
});
afterAll(() => t.close());

const found = async (who: Who, q: string) => {
  const response = await api[who].get(`/search?q=${encodeURIComponent(q)}`);
  expect(response.status, q).toBe(200);
  return (response.body.data as { type: string; id: number; name: string }[]).map((row) => `${row.type}:${row.name}`);
};

describe('search', () => {
  it('finds people by name prefix, accents ignored, and by email and title', async () => {
    const response = await api.rep.get('/search?q=hele');
    expect(response.body).toEqual({
      data: [
        {
          type: 'contact',
          id: ids.helene,
          name: 'Hélène Dupont',
          account_id: ids.account,
          account_name: 'Northwind Ključ Logistics',
          title: 'Head of Procurement',
          email: 'helene.dupont@northwind.example',
          status: 'active',
        },
      ],
    });
    for (const q of ['HÉLÈNE', 'helene dup', 'dupont hel', 'procure', 'head of', 'helene.dupont@northwind', 'northwind.example'])
      expect(await found('rep', q), q).toContain('contact:Hélène Dupont');
    expect(await found('rep', 'hele procurement nobody')).toEqual([]);
  });

  it('finds accounts by name, and people who left, marked; archived people are not found', async () => {
    expect(await found('rep', 'north')).toEqual(['account:Northwind Ključ Logistics', 'contact:Hélène Dupont']);
    expect(await found('rep', 'kljuc')).toEqual(['account:Northwind Ključ Logistics']);
    const tom = await api.rep.get('/search?q=tom');
    expect(tom.body.data).toEqual([expect.objectContaining({ type: 'contact', id: ids.tom, status: 'left' })]);
  });

  it('shows only what the viewer may see', async () => {
    expect(await found('teammate', 'hele')).toEqual([]);
    expect(await found('outsider', 'hele')).toEqual(['account:Southern Hélène Supplies', 'contact:Helene Other']);
    expect(await found('manager', 'hele')).toEqual(['contact:Hélène Dupont']);
    // (Name order is each database's collation: compared here as a set.)
    expect((await found('admin', 'hele')).sort()).toEqual(['account:Southern Hélène Supplies', 'contact:Helene Other', 'contact:Hélène Dupont']);
  });

  it('follows every write in the same transaction: a renamed contact is found by the new name only', async () => {
    const other = await t.make.contact(people.rep, ids.account, { name: 'Priya Shah' });
    expect(await found('rep', 'priya')).toEqual(['contact:Priya Shah']);
    expect((await api.rep.patch(`/contacts/${other.id}`, { name: 'Priya Natarajan', title: 'Controller' })).status).toBe(200);
    expect(await found('rep', 'shah')).toEqual([]);
    expect(await found('rep', 'natara')).toEqual(['contact:Priya Natarajan']);
    expect(await found('rep', 'controller')).toEqual(['contact:Priya Natarajan']);
  });

  it('answers 400 naming q when it is missing or too short', async () => {
    for (const path of ['/search', '/search?q=', '/search?q=a', '/search?q=%20%20']) {
      const response = await api.rep.get(path);
      expect(response.status, path).toBe(400);
      expect(response.body.error.fields, path).toHaveProperty('q');
    }
    // Punctuation is never query syntax.
    for (const q of ['"hele*', 'dupont) -', "hel^e: 'dup"]) expect(await found('rep', q), q).toContain('contact:Hélène Dupont');
  });

  it('has a box in the top bar of every page and a results page', async () => {
    const accounts = await as.rep.agent.get('/accounts');
    expect(accounts.text).toContain('id="site-search"');
    expect(accounts.text).toContain('href="/search" aria-label="Search"');
    const results = await as.rep.agent.get('/search?q=hele');
    expect(results.status).toBe(200);
    expect(results.text).toContain(`href="/contacts/${ids.helene}"`);
    const tom = await as.rep.agent.get('/search?q=tom');
    expect(tom.text).toMatch(/Tom Reed<\/strong><\/a> <span class="badge">left<\/span>/);
    expect((await as.rep.agent.get('/search')).status).toBe(200);
    const short = await as.rep.agent.get('/search?q=a');
    expect(short.status).toBe(400);
    expect(short.text).toMatch(/id="error-q">Type at least 2 letters/);
    const refused = await as.teammate.agent.get('/search?q=hele');
    expect(refused.text).toContain('Nobody and no account you can see matches');
    expect(refused.text).not.toContain('Dupont');
  });

  it('goes through the full-text index on either database', async () => {
    for (const table of ['contacts', 'accounts'] as const) {
      const query = t.db.selectFrom(table).select(`${table}.id`).where(matches(t.db, table, ['hele', 'dup'])).compile();
      const plan = await t.db.transaction().execute(async (trx) => {
        // The tables are tiny: make PostgreSQL show whether it could use the index at all.
        if (isPostgres(t.db)) await sql`set local enable_seqscan = off`.execute(trx);
        const explain = isPostgres(t.db) ? 'explain' : 'explain query plan';
        return JSON.stringify((await trx.executeQuery(CompiledQuery.raw(`${explain} ${query.sql}`, [...query.parameters]))).rows);
      });
      expect(plan, table).toContain(isPostgres(t.db) ? `Bitmap Index Scan on ${table}_search` : `VIRTUAL TABLE INDEX`);
    }
  });

  it('finds the same rows row by row (a rep or a manager) as through the index (an admin)', async () => {
    const texts = [
      { name: 'Zoë Ødegaard', title: 'Łódź Office Lead', email: 'zoe+crm@north-wind.example' },
      { name: "SEÁN O'NEIL-MACDONALD", title: 'Head of R&D 2' },
      { name: 'Дмитрий Петров', title: 'Закупки', email: 'dmitry@ключ.example' },
      { name: 'Ingrid Straße', email: 'INGRID.STRASSE@EXAMPLE.DE' },
      { name: 'KOFI MENSAH', title: 'CFO', email: 'K.MENSAH@ACCRA-TRADING.EXAMPLE' },
    ];
    for (const text of texts) await t.make.contact(people.rep, ids.account, text);
    const queries = ['zoe odeg', 'lodz', 'crm', 'north wind', 'sean o neil', 'macdon', 'r d 2', 'дмит', 'Дмитрий', 'ключ', 'strasse', 'strase', 'ingrid.str', 'kofi mens', 'k mensah', 'accra trad', 'hele dup', 'tom'];
    for (const table of ['contacts', 'accounts'] as const)
      for (const q of queries) {
        const found = (rowByRow: boolean) =>
          t.db.selectFrom(table).select(`${table}.id`).where(matches(t.db, table, searchWords(q), { rowByRow })).orderBy(`${table}.id`).execute();
        expect(await found(true), `${table}: ${q}`).toEqual(await found(false));
      }
    expect(await found('rep', 'zoe crm')).toEqual(['contact:Zoë Ødegaard']);
    expect(await found('manager', 'macdon')).toEqual(["contact:SEÁN O'NEIL-MACDONALD"]);
    // Row by row, neither database starts from the index's matches.
    const query = t.db.selectFrom('contacts').select('contacts.id').where(matches(t.db, 'contacts', ['hele'], { rowByRow: true })).compile();
    const explain = isPostgres(t.db) ? 'explain' : 'explain query plan';
    const plan = JSON.stringify((await t.db.executeQuery(CompiledQuery.raw(`${explain} ${query.sql}`, [...query.parameters]))).rows);
    expect(plan).not.toMatch(isPostgres(t.db) ? /contacts_search/ : /SEARCH contacts USING INTEGER PRIMARY KEY/);
  });

  it('reads a query as the index does', () => {
    expect(searchWords("  Hélène O'Brien-Łukasz ")).toEqual(['helene', 'o', 'brien', 'lukasz']);
  });
});
