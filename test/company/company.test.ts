import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp, csrfTokenIn, signIn } from '../support/test-app.js';
import { type Session, postForm, twoTeams } from '../support/scenarios.js';
import { checkLogo, logoMaxBytes } from '../../src/company/logo.js';

let t: TestApp;
let people: Awaited<ReturnType<typeof twoTeams>>;
let as: Record<'rep' | 'manager' | 'admin', Session>;

beforeAll(async () => {
  t = await createTestApp();
  people = await twoTeams(t);
  as = { rep: await signIn(t.app, people.rep), manager: await signIn(t.app, people.manager), admin: await signIn(t.app, people.admin) };
});
afterAll(() => t.close());

const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('0000000d49484452000000010000000108060000001f15c489', 'hex')]);
const plainSvg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><title>Bluewater</title><rect width="120" height="40" fill="#1f3a5f"/></svg>\n';

/** Uploads a file the way the browser's multipart form does, CSRF token included. */
async function uploadLogo(session: Session, filename: string, content: Buffer | string) {
  const page = await session.agent.get('/admin/company');
  return session.agent
    .post('/admin/company/logo')
    .field('_csrf', csrfTokenIn(page.text))
    .attach('logo', Buffer.from(content), filename);
}

describe('Admin → Company', () => {
  it('is for admins only', async () => {
    for (const who of ['rep', 'manager'] as const) {
      expect((await as[who].agent.get('/admin/company')).status).toBe(403);
      expect((await postForm(as[who], '/admin/company', { name: 'Hijack Ltd' })).status).toBe(403);
      expect((await uploadLogo(as.admin, 'ok.svg', plainSvg)).status).toBe(302);
      const page = await as[who].agent.get('/settings');
      const refused = await as[who].agent.post('/admin/company/logo').field('_csrf', csrfTokenIn(page.text)).attach('logo', png, 'x.png');
      expect(refused.status).toBe(403);
    }
    expect(await t.db.selectFrom('company_settings').select('name').executeTakeFirst()).toMatchObject({ name: null });
    expect((await supertest(t.app).get('/company/logo')).status).toBe(302);
  });

  it('saves the name, which then heads the report and its footer instead of the product', async () => {
    const saved = await postForm(as.admin, '/admin/company', { name: '  Bluewater Office Systems ' });
    expect(saved.status).toBe(302);
    expect((await as.admin.agent.get('/admin/company')).text).toContain('value="Bluewater Office Systems"');

    const account = await t.make.account(people.rep, { name: 'Northwind Logistics' });
    const report = await as.rep.agent.get(`/accounts/${account.id}/report`);
    expect(report.text).toMatch(/<p class="report-issuer">(<img[^>]*>)?<span>Bluewater Office Systems<\/span><\/p>/);
  });

  it('takes a PNG or a plain SVG and serves it as an image that runs nothing', async () => {
    expect((await uploadLogo(as.admin, 'logo.png', png)).status).toBe(302);
    let served = await as.rep.agent.get('/company/logo');
    expect(served.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(served.body as Buffer, png)).toBe(0);

    expect((await uploadLogo(as.admin, 'logo.svg', plainSvg)).status).toBe(302);
    served = await as.manager.agent.get('/company/logo').buffer(true);
    expect(served.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(served.headers['content-security-policy']).toContain("default-src 'none'");
    expect(served.headers['content-security-policy']).toContain('sandbox');
    expect(served.headers['x-content-type-options']).toBe('nosniff');

    const account = await t.make.account(people.rep, { name: 'Logo Check Co' });
    expect((await as.rep.agent.get(`/accounts/${account.id}/report`)).text).toMatch(/<img class="report-logo" src="\/company\/logo\?v(=|&#x3D;)[^"]+"/);
  });

  it('refuses an SVG with a script, a file too big, or something that is not an image, beside the field', async () => {
    const before = await t.db.selectFrom('company_settings').select('logo_base64').executeTakeFirst();
    const scripted = await uploadLogo(as.admin, 'evil.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    expect(scripted.status).toBe(400);
    expect(scripted.text).toMatch(/id="error-logo">This SVG contains a script/);
    expect(scripted.text).toContain('aria-invalid="true"');

    const big = await uploadLogo(as.admin, 'big.png', Buffer.concat([png, Buffer.alloc(logoMaxBytes)]));
    expect(big.status).toBe(400);
    expect(big.text).toMatch(/id="error-logo">The logo is 2\d\d kB; the limit is 200 kB/);

    const text = await uploadLogo(as.admin, 'notes.txt', 'just words');
    expect(text.text).toMatch(/id="error-logo">Upload a PNG or an SVG image/);
    expect(await t.db.selectFrom('company_settings').select('logo_base64').executeTakeFirst()).toEqual(before);
  });

  it('checks SVGs for everything that could run or fetch', () => {
    const svg = (inside: string, attributes = '') => ({ filename: 'x.svg', data: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"${attributes}>${inside}</svg>`) });
    expect(checkLogo(svg('<path d="M0 0h10v10z" fill="url(#g)"/>')).contentType).toBe('image/svg+xml');
    for (const [bad, why] of [
      [svg('', ' onload="alert(1)"'), 'event handler'],
      [svg('<a href="javascript:alert(1)"><text>x</text></a>'), 'javascript:'],
      [svg('<image href="https://tracker.example/p.png"/>'), 'link to another file'],
      [svg('<foreignObject><div/></foreignObject>'), 'embedded content'],
      [svg('<style>@import url(https://x.example/a.css);</style>'), 'loads another file'],
      [{ filename: 'x.svg', data: Buffer.from('<!DOCTYPE svg [<!ENTITY a "b">]><svg></svg>') }, 'Upload a PNG or an SVG'],
    ] as const)
      expect(() => checkLogo(bad), why).toThrow(expect.objectContaining({ fields: { logo: expect.stringContaining(why) } }));
  });

  it('removes the logo again', async () => {
    expect((await postForm(as.admin, '/admin/company/logo/remove')).status).toBe(302);
    expect((await as.rep.agent.get('/company/logo')).status).toBe(404);
  });
});
