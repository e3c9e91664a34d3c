import supertest from 'supertest';
import type { CurrentUser } from '../../src/users/users.service.js';
import type { TestApp } from './test-app.js';
import { signIn } from './test-app.js';

/**
 * Two teams, for "who may see what" tests: North (a manager, a rep, the rep's teammate) and
 * South (a manager and a rep, the outsider). An admin besides.
 */
export async function twoTeams(t: TestApp) {
  const { manager, rep } = await t.make.team('North');
  const teammate = await t.make.user({ role: 'rep', name: 'North Teammate', manager });
  const { manager: otherManager, rep: outsider } = await t.make.team('South');
  const admin = await t.make.user({ role: 'admin', name: 'The Admin' });
  return { manager, rep, teammate, otherManager, outsider, admin };
}

export type Session = Awaited<ReturnType<typeof signIn>>;

/** Posts a form the way a signed-in browser would, taking the CSRF token from a page anyone can open. */
export const postForm = (session: Session, action: string, fields: Record<string, unknown> = {}) =>
  session.submit('/settings', action, fields);

/** A JSON API client holding a personal API token. */
export function apiClient(app: TestApp['app'], token: string) {
  const auth = (request: supertest.Test) => request.set('Authorization', `Bearer ${token}`);
  return {
    get: (path: string) => auth(supertest(app).get(`/api/v1${path}`)),
    post: (path: string, body: object) => auth(supertest(app).post(`/api/v1${path}`)).send(body),
    patch: (path: string, body: object) => auth(supertest(app).patch(`/api/v1${path}`)).send(body),
    delete: (path: string) => auth(supertest(app).delete(`/api/v1${path}`)),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** For each person: a signed-in browser session (`as.rep`) and an API client with their own token (`api.rep`). */
export async function sessionsAndClients<Name extends string>(t: TestApp, people: Record<Name, CurrentUser>) {
  const as = {} as Record<Name, Session>;
  const api = {} as Record<Name, ApiClient>;
  for (const [name, user] of Object.entries(people) as [Name, CurrentUser][]) {
    as[name] = await signIn(t.app, user);
    api[name] = apiClient(t.app, await t.make.apiToken(user));
  }
  return { as, api };
}
