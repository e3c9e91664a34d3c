import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp, signIn } from '../support/test-app.js';
import { type Session, postForm, twoTeams } from '../support/scenarios.js';

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let as: Record<'rep' | 'manager' | 'admin', Session>;

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  as = { rep: await signIn(t.app, people.rep), manager: await signIn(t.app, people.manager), admin: await signIn(t.app, people.admin) };
});
afterAll(() => t.close());

const userRow = (email: string) => t.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();

describe('settings', () => {
  it('shows every user their own name and time zone', async () => {
    for (const who of ['rep', 'manager', 'admin'] as const) {
      const page = await as[who].agent.get('/settings');
      expect(page.status).toBe(200);
      expect(page.text).toContain(`value="${people[who].name}"`);
    }
  });

  it('saves a new name and time zone, and shows times in that zone from then on', async () => {
    const user = await t.make.user({ name: 'Sam Okafor' });
    const session = await signIn(t.app, user);
    const response = await session.submit('/settings', '/settings', { name: 'Samuel Okafor', time_zone: 'America/Chicago' });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/settings');
    expect(await userRow(user.email)).toMatchObject({ name: 'Samuel Okafor', time_zone: 'America/Chicago' });
    const page = await session.agent.get('/settings');
    expect(page.text).toContain('Settings saved.');
    // Chosen from a list grouped by region, not typed; only a zone never chosen invites the browser's.
    expect(page.text).toMatch(/<select id="field-time_zone" name="time_zone" aria-describedby="hint-time_zone">/);
    expect(page.text).toMatch(/<optgroup label="America">[\s\S]*<option value="America\/Chicago" selected>Chicago<\/option>/);
    expect(page.text).toContain('<option value="America/Argentina/Rio_Gallegos" >Argentina / Rio Gallegos</option>');
    expect((await as.admin.agent.get('/admin/users')).text).toMatch(/<select id="field-time_zone" name="time_zone" data-browser-zone/);

    const account = await t.make.account(user, { name: 'Zone Check Co' });
    await t.make.touchpoint(user, account.id, { kind: 'note', occurred_at: '2026-11-23T13:30:00Z', summary: 'Morning coffee' });
    expect((await session.agent.get(`/accounts/${account.id}`)).text).toContain('Mon 23 Nov 2026, 07:30');
  });

  it('re-renders with the typing kept and the error beside the field on an unknown zone or a blank name', async () => {
    const user = await t.make.user({ name: 'Grace Kim' });
    const session = await signIn(t.app, user);
    const response = await session.submit('/settings', '/settings', { name: '', time_zone: 'Mars/Olympus_Mons' });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-time_zone">Not a time zone we know \(try Europe\/Paris\)</);
    expect(response.text).toMatch(/id="error-name">Name is required</);
    expect(response.text).toContain('value="Mars/Olympus_Mons"');
    expect(await userRow(user.email)).toMatchObject({ name: 'Grace Kim', time_zone: 'UTC' });
  });

  it('changes only the signed-in user', async () => {
    await postForm(as.rep, '/settings', { name: 'North Rep', time_zone: 'Europe/London', id: String(people.outsider.id) });
    expect((await userRow(people.outsider.email))!.time_zone).toBe('UTC');
    expect((await userRow(people.rep.email))!.time_zone).toBe('Europe/London');
  });
});

describe('admin: users and teams', () => {
  it('is for admins only: reps and managers get 403 and change nothing', async () => {
    expect((await as.admin.agent.get('/admin/users')).status).toBe(200);
    for (const who of ['rep', 'manager'] as const) {
      const page = await as[who].agent.get('/admin/users');
      expect(page.status).toBe(403);
      expect(page.text).not.toContain(people.outsider.email);
      const add = await postForm(as[who], '/admin/users', { name: 'Sneaky Admin', email: `sneaky-${who}@example.com`, role: 'admin', password: 'long enough password' });
      expect(add.status).toBe(403);
      expect(await userRow(`sneaky-${who}@example.com`)).toBeUndefined();
      const promote = await postForm(as[who], `/admin/users/${people.outsider.id}`, { active: '0' });
      expect(promote.status).toBe(403);
    }
    expect((await userRow(people.outsider.email))!.active).toBe(1);
  });

  it('lists every user with their manager', async () => {
    const page = await as.admin.agent.get('/admin/users');
    for (const user of [people.rep, people.teammate, people.outsider, people.manager]) expect(page.text).toContain(user.email);
    expect(page.text).toMatch(new RegExp(`<option value="${people.manager.id}" selected>North Manager</option>`));
  });

  it('adds a user to a team who can then sign in', async () => {
    const response = await as.admin.submit('/admin/users', '/admin/users', {
      name: 'Riley Morgan',
      email: 'Riley@Example.com',
      role: 'rep',
      manager_id: String(people.manager.id),
      time_zone: 'America/Chicago',
      password: 'a long new password',
    });
    expect(response.status).toBe(302);
    const row = await userRow('riley@example.com');
    expect(row).toMatchObject({ name: 'Riley Morgan', role: 'rep', manager_id: people.manager.id, time_zone: 'America/Chicago', active: 1 });
    expect(row!.password_hash).toMatch(/^\$argon2id\$/);
    expect((await as.admin.agent.get('/admin/users')).text).toContain('Riley Morgan can now sign in as riley@example.com.');
    await expect(signIn(t.app, { email: 'riley@example.com' }, 'a long new password')).resolves.toBeDefined();
  });

  it('re-renders the new-user form with the typing kept and errors beside the fields', async () => {
    const response = await as.admin.submit('/admin/users', '/admin/users', {
      name: 'Omar Haddad',
      email: 'omar@',
      role: 'boss',
      time_zone: 'Nowhere/Land',
      password: 'short',
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/id="error-email">Enter an email address like name@company.com</);
    expect(response.text).toMatch(/id="error-role">Choose rep, manager or admin</);
    expect(response.text).toMatch(/id="error-password">Use at least 10 characters</);
    expect(response.text).toMatch(/id="error-time_zone">Not a time zone we know/);
    expect(response.text).toContain('value="Omar Haddad"');
    expect(response.text).toContain('value="omar@"');
    expect(response.text).not.toContain('value="short"');
    expect(await t.db.selectFrom('users').select('id').where('name', '=', 'Omar Haddad').execute()).toHaveLength(0);
  });

  it('refuses an email that is taken and a manager who is not a manager', async () => {
    const taken = await as.admin.submit('/admin/users', '/admin/users', { name: 'Copy Cat', email: people.rep.email, role: 'rep', password: 'a long new password' });
    expect(taken.status).toBe(400);
    expect(taken.text).toMatch(/id="error-email">Someone already has this email</);
    const badManager = await as.admin.submit('/admin/users', '/admin/users', {
      name: 'Lone Rep',
      email: 'lone@example.com',
      role: 'rep',
      manager_id: String(people.rep.id),
      password: 'a long new password',
    });
    expect(badManager.status).toBe(400);
    expect(badManager.text).toMatch(/id="error-manager_id">Choose a manager</);
    expect(await userRow('lone@example.com')).toBeUndefined();
  });

  it('moves a rep to another team: the new manager sees their accounts, the old one no longer does', async () => {
    const rep = await t.make.user({ role: 'rep', name: 'Moving Rep', manager: people.manager });
    const account = await t.make.account(rep, { name: 'Moving Account' });
    const southManager = await signIn(t.app, people.otherManager);
    expect((await as.manager.agent.get(`/accounts/${account.id}`)).status).toBe(200);
    expect((await southManager.agent.get(`/accounts/${account.id}`)).status).toBe(404);

    const response = await postForm(as.admin, `/admin/users/${rep.id}`, { manager_id: String(people.otherManager.id) });
    expect(response.status).toBe(302);
    expect((await userRow(rep.email))!.manager_id).toBe(people.otherManager.id);
    expect((await as.manager.agent.get(`/accounts/${account.id}`)).status).toBe(404);
    expect((await southManager.agent.get(`/accounts/${account.id}`)).status).toBe(200);

    const refused = await postForm(as.admin, `/admin/users/${rep.id}`, { manager_id: String(people.teammate.id) });
    expect(refused.status).toBe(400);
    expect((await userRow(rep.email))!.manager_id).toBe(people.otherManager.id);
  });

  it('disables a user, which ends their sessions and sign-ins, and enables them again', async () => {
    const user = await t.make.user({ name: 'Leaving Lee' });
    const session = await signIn(t.app, user);
    expect((await postForm(as.admin, `/admin/users/${user.id}`, { active: '0' })).status).toBe(302);
    expect((await userRow(user.email))!.active).toBe(0);
    expect(await t.db.selectFrom('sessions').select('sid').where('user_id', '=', user.id).execute()).toHaveLength(0);
    const after = await session.agent.get('/accounts');
    expect(after.status).toBe(302);
    expect(after.headers.location).toMatch(/^\/login/);
    await expect(signIn(t.app, user)).rejects.toThrow(/401/);

    await postForm(as.admin, `/admin/users/${user.id}`, { active: '1' });
    expect((await userRow(user.email))!.active).toBe(1);
    await expect(signIn(t.app, user)).resolves.toBeDefined();
  });

  it('answers 404 for an unknown or malformed user id, and 400 for a bad change', async () => {
    expect((await postForm(as.admin, '/admin/users/999999', { active: '0' })).status).toBe(404);
    expect((await postForm(as.admin, '/admin/users/abc', { active: '0' })).status).toBe(404);
    expect((await postForm(as.admin, `/admin/users/${people.outsider.id}`, { active: 'maybe' })).status).toBe(400);
    expect((await userRow(people.outsider.email))!.active).toBe(1);
  });

  it('sends a signed-out visitor to the login page', async () => {
    const response = await supertest(t.app).get('/admin/users');
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/login?next=%2Fadmin%2Fusers');
  });
});
