/**
 * The console in Debian's chromium (playwright-core), against `npm start`'s process with admin
 * tokens for the three roles, payload storage on, and its own copy of the shipped content (so a
 * rule can be edited for the replay without touching the repository). Every page is
 * photographed at a 1366x768 laptop size into test/output/console/; every page must load with
 * no console error and no Content-Security-Policy violation.
 *
 * Covered: login as each role (and the pages each one is offered), the playground running a
 * shipped example patient (its card, and why a quiet rule stayed quiet), feedback posted over
 * the hook API showing up on the quality page, an invocation opened in the audit view, a replay
 * after a card edit showing the diff, a viewer refused audit detail and replay, and requests
 * without a session (or from another origin) refused with the exact status.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { jsonPort, type Started, startProcess } from '../support/processes.ts';
import { patientViewRequest } from '../support/requests.ts';

const OUTPUT = new URL('../output/console/', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const TOKENS = { viewer: 'viewer-secret-token-1', author: 'author-secret-token-2', admin: 'admin-secret-token-3' } as const;
type Role = keyof typeof TOKENS;
const HBA1C = 'HbA1c is overdue for this patient with diabetes';
const HBA1C_EDITED = 'HbA1c is overdue (edited for the replay test)';
const OVERRIDE = { system: 'urn:cds-rules:override-reason', code: 'patient-declined', display: 'Patient declined' };

const sha256 = async (text: string) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('');

describe('the console in chromium', () => {
  let dir: string;
  let content: string;
  let service: Started;
  let base: string;
  let browser: BrowserContext;
  const problems: string[] = [];
  const calls: { uuid: string; summary: string; suggestions?: { uuid: string; label: string }[] }[][] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cds-console-'));
    content = join(dir, 'content');
    for (const top of ['rules', 'cards']) cpSync(join(ROOT, top), join(content, top), { recursive: true });
    rmSync(OUTPUT, { recursive: true, force: true });
    mkdirSync(OUTPUT, { recursive: true });
    const tokens = await Promise.all((Object.keys(TOKENS) as Role[]).map(async (role) => ({ name: `${role}-1`, role, sha256: await sha256(TOKENS[role]) })));
    service = await startProcess(
      'src/node/main.ts',
      {
        PORT: '0',
        HOST: '127.0.0.1',
        CDS_DB_PATH: join(dir, 'cds.sqlite'),
        CDS_CONTENT_DIR: content,
        CDS_WATCH_CONTENT: 'false',
        CDS_STORE_PAYLOADS: 'true',
        CDS_ADMIN_TOKENS: JSON.stringify(tokens),
      },
      jsonPort('port'),
    );
    base = `http://127.0.0.1:${service.port}`;
    // Three patient-view calls the EHR way (open mode: no JWT), recorded with their payloads.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/cds-services/preventive-care`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(patientViewRequest({ hookInstance: crypto.randomUUID() })),
      });
      expect(res.status).toBe(200);
      calls.push(((await res.json()) as { cards: (typeof calls)[number] }).cards);
    }
    expect(calls[0]!.map((c) => c.summary)).toContain(HBA1C);
    browser = await launchChromium(dir, { viewport: { width: 1366, height: 768 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let page: Page;
  let loggedIn: Role | undefined;

  /** The page, logged in as `role` through the login form (logging out of another role first). */
  async function loginAs(role: Role): Promise<Page> {
    if (!page) {
      page = await browser.newPage();
      page.on('console', (m) => {
        // Expected: the session probe's 401 before login, the 403s the viewer test provokes, the
        // 400 of the malformed pasted request. Anything else (a 404, a CSP refusal, a script error) is not.
        if (m.type() === 'error' && !/status of 40[013] /.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${base}/console/`);
    }
    if (loggedIn === role) return page;
    if (loggedIn) {
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByLabel('Admin token').waitFor();
    } else {
      await page.getByLabel('Admin token').waitFor();
      await shot(page, 'login');
    }
    await page.getByLabel('Admin token').fill(TOKENS[role]);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#who .who-name', { hasText: `${role}-1` }).waitFor();
    loggedIn = role;
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(OUTPUT, `${name}.png`) });
  const shotFull = async (page: Page, name: string) => {
    await page.evaluate(() => scrollTo(0, 0)); // else the sticky header lands mid-picture
    await page.screenshot({ path: join(OUTPUT, `${name}-full.png`), fullPage: true });
  };
  const show = async (page: Page, hash: string, ready: string) => {
    await page.goto(`${base}/console/#/${hash}`);
    try {
      await page.locator(ready).first().waitFor({ timeout: 20_000 });
    } catch (error) {
      await page.screenshot({ path: join(OUTPUT, `failed-${hash.replace(/\W+/g, '-')}.png`) });
      console.log((await page.locator('main').innerText()).slice(0, 1500));
      throw error;
    }
  };

  it('refuses requests without a session, from another origin, or with an unknown token, with exact statuses', async () => {
    expect((await fetch(`${base}/admin/stats`)).status).toBe(401);
    expect((await fetch(`${base}/admin/catalog`)).status).toBe(401);
    expect((await fetch(`${base}/console/session`)).status).toBe(401);
    expect((await fetch(`${base}/admin/invocations/x`)).status).toBe(401);
    expect((await fetch(`${base}/admin/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    const login = (token: string, origin?: string) =>
      fetch(`${base}/console/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: JSON.stringify({ token }) });
    expect((await login('not-a-token', base)).status).toBe(401);
    expect((await login(TOKENS.admin)).status).toBe(403); // no Origin: not from our page
    expect((await login(TOKENS.admin, 'https://evil.example')).status).toBe(403);
    const ok = await login(TOKENS.admin, base);
    expect(ok.status).toBe(200);
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^cds_console=[^;]+; Max-Age=28800; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TOKENS.admin);
    const jar = { cookie: cookie.split(';')[0]! };
    // The cookie reads; a state-changing call with it must come from our origin.
    expect((await fetch(`${base}/admin/catalog`, { headers: jar })).status).toBe(200);
    const replay = (headers: Record<string, string>) => fetch(`${base}/admin/replay`, { method: 'POST', headers: { ...jar, 'content-type': 'application/json', ...headers }, body: '{"since":"1d"}' });
    expect((await replay({})).status).toBe(403);
    expect((await replay({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await replay({ origin: base, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await replay({ origin: base })).status).toBe(200);
    // A forged cookie is no session.
    expect((await fetch(`${base}/admin/catalog`, { headers: { cookie: jar.cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) } })).status).toBe(401);
    // The page itself is public and strict.
    const page = await fetch(`${base}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect((await fetch(`${base}/console/..%2Fpackage.json`)).status).toBe(404);
  });

  for (const [role, pages] of [
    ['viewer', ['Catalog', 'Quality']],
    ['author', ['Catalog', 'Playground', 'Quality', 'Replay']],
    ['admin', ['Catalog', 'Playground', 'Quality', 'Replay', 'Audit']],
  ] as const) {
    it(`logs in as ${role} and is offered ${pages.join(', ')}`, async () => {
      const page = await loginAs(role);
      await expect.poll(() => page.locator('#nav a').allTextContents()).toEqual(pages);
      await expect.poll(() => page.locator('#who .badge-role').textContent()).toBe(role);
      await page.locator('h1', { hasText: 'Catalog' }).waitFor();
    });
  }

  it('catalog: services, rules with status and version, value sets with origin and size', async () => {
    const page = await loginAs('viewer');
    await show(page, 'catalog', '#svc-preventive-care');
    const section = page.locator('#svc-preventive-care');
    await expect.poll(() => section.locator('tbody tr').count()).toBeGreaterThan(2);
    expect(await section.locator('tr', { hasText: 'diabetes-hba1c-overdue' }).locator('.badge').first().textContent()).toBe('active');
    expect(await page.locator('#vs-h').textContent()).toMatch(/^Value sets \(\d+\)$/);
    const aceArb = page.locator('section[aria-labelledby="vs-h"] tbody tr').filter({ has: page.locator('td:first-child .mono', { hasText: /^ace-inhibitors-arbs$/ }) });
    const cells = (await aceArb.locator('td').allTextContents()).map((t) => t.trim());
    // The size shown is the file's expansion, whatever the content team adds to it.
    const aceArbFile = JSON.parse(readFileSync(join(ROOT, 'rules/valuesets/ace-inhibitors-arbs.json'), 'utf8')) as { expansion: { contains: unknown[] } };
    expect(cells[1]).toBe(String(aceArbFile.expansion.contains.length));
    expect(Number(cells[1])).toBeGreaterThan(100);
    expect(cells[3]).toMatch(/^Origin: cqframework\/ecqm-content-qicore-2025/);
    await shot(page, 'catalog');
    await shotFull(page, 'catalog');
    await page.locator('#vs-h').scrollIntoViewIfNeeded();
    await page.evaluate(() => scrollBy(0, -60));
    await shot(page, 'catalog-value-sets');
  });

  it('playground: runs a shipped example patient, shows its card and why a quiet rule stayed quiet; the link carries no patient data', async () => {
    const page = await loginAs('author');
    await show(page, 'playground?service=preventive-care&rule=colorectal-screening-due&case=0', '.card');
    const card = page.locator('.card').first();
    expect(await card.locator('h3').textContent()).toBe('Colorectal cancer screening is due (age 45)');
    expect(await card.locator('.indicator').textContent()).toBe('info');
    expect(await card.locator('.suggestion').allTextContents()).toEqual(['Order a fecal immunochemical test (FIT)', 'Refer for screening colonoscopy']);
    const quiet = page.locator('details.rule[data-rule="diabetes-hba1c-overdue"]');
    expect(await quiet.locator('.badge').textContent()).toBe('quiet');
    await quiet.locator('summary').focus();
    await page.keyboard.press('Enter'); // keyboard opens it
    await expect.poll(() => quiet.locator('.mark-false').count()).toBeGreaterThan(0);
    expect(await quiet.locator('.defines').textContent()).toContain('%');
    expect(await page.locator('details.rule[data-rule="colorectal-screening-due"] .badge').textContent()).toBe('fired');
    const hash = new URL(page.url()).hash;
    expect(hash).toBe('#/playground?service=preventive-care&rule=colorectal-screening-due&case=0');
    await shot(page, 'playground');
    await shotFull(page, 'playground');
  });

  it('playground: a pasted hook request runs through the preview and stays out of the link', async () => {
    const page = await loginAs('author');
    await show(page, 'playground?service=preventive-care', 'h1:text("Playground")');
    await page.getByLabel('A hook request I paste').check();
    await page.getByLabel('Hook request (JSON)').fill(JSON.stringify(patientViewRequest()));
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('.card h3', { hasText: HBA1C }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/playground?service=preventive-care&mode=paste');
    await page.getByLabel('Hook request (JSON)').fill('{"hook": ');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('.notice.error', { hasText: 'The request is not valid JSON' }).waitFor();
    await page.getByLabel('Hook request (JSON)').fill('{"hook":"patient-view","context":{}}');
    await page.getByRole('button', { name: 'Run' }).click();
    expect(await page.locator('.notice.error').textContent({ timeout: 10_000 })).toMatch(/hookInstance|patientId|context/);
    await shot(page, 'playground-paste-error');
  });

  it('quality: feedback posted over the hook API shows on the page (accepted, overridden, the reason)', async () => {
    const page = await loginAs('viewer');
    const row = () => page.locator('tr', { has: page.locator('code', { hasText: /^diabetes-hba1c-overdue$/ }) }).first();
    await show(page, 'quality?since=1d', 'h2:text("Per rule")');
    const cells = async () => (await row().locator('td').allTextContents()).map((t) => t.trim());
    // columns: rule, calls, fired, per 1000, silent, accepted, overridden, ...
    expect((await cells()).slice(1, 7)).toEqual(['3', '3', '1,000', '0', '0', '0']);
    const hba1c = calls.map((cards) => cards.find((c) => c.summary === HBA1C)!);
    const now = new Date().toISOString();
    const res = await fetch(`${base}/cds-services/preventive-care/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        feedback: [
          { card: hba1c[0]!.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: hba1c[0]!.suggestions![0]!.uuid }], outcomeTimestamp: now },
          { card: hba1c[1]!.uuid, outcome: 'overridden', overrideReason: { reason: OVERRIDE, userComment: 'declined today' }, outcomeTimestamp: now },
        ],
      }),
    });
    expect(res.status).toBe(200);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(async () => (await cells()).slice(1, 9)).toEqual(['3', '3', '1,000', '0', '1', '1', '33%', '33%']);
    expect(await page.locator('tr', { hasText: 'Patient declined' }).locator('td').allTextContents()).toEqual(['diabetes-hba1c-overdue', 'Patient declined', `${OVERRIDE.system}#${OVERRIDE.code}`, '1']);
    expect(await page.locator('canvas').count()).toBe(2);
    await page.waitForTimeout(300); // charts draw on the next frame
    await shot(page, 'quality');
    await shotFull(page, 'quality');
    writeFileSync(join(OUTPUT, 'quality-rows.txt'), (await page.locator('table').first().innerText()) + '\n');
  });

  it('audit: an invocation opens in detail with its request (payloads stored, admin)', async () => {
    const page = await loginAs('admin');
    await show(page, 'audit', 'button:text("Open")');
    expect(await page.locator('tbody tr', { hasText: 'preventive-care' }).count()).toBeGreaterThanOrEqual(3);
    await page.getByRole('button', { name: /^Open the call of/ }).first().click();
    const detail = page.locator('#detail');
    await detail.locator('h2', { hasText: 'Call' }).waitFor();
    expect(await detail.locator('dl.facts').textContent()).toContain('p1');
    expect(await detail.locator('table').textContent()).toContain(HBA1C);
    await detail.locator('summary', { hasText: 'Request' }).click();
    expect(await detail.locator('details.json pre').first().textContent()).toContain('"hook": "patient-view"');
    // The URL names the invocation id only.
    expect(new URL(page.url()).hash).toMatch(/^#\/audit\?id=[0-9a-f-]{36}$/);
    // Filters: degraded calls only gives none here.
    await page.getByLabel('Outcome').selectOption('degraded');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('p.empty', { hasText: 'No call matches.' }).waitFor();
    await page.getByLabel('Outcome').selectOption('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('button:text("Open")').first().waitFor();
    await shot(page, 'audit');
    await shotFull(page, 'audit');
  });

  it('a viewer reaches neither audit detail nor replay (page and API: 403)', async () => {
    const page = await loginAs('viewer');
    await show(page, 'audit', '.notice.error');
    expect(await page.locator('.notice.error').textContent()).toBe('This page needs the admin role; you are logged in as viewer.');
    await shot(page, 'viewer-audit-refused');
    await show(page, 'replay', '.notice.error');
    expect(await page.locator('.notice.error').textContent()).toBe('This page needs the author role; you are logged in as viewer.');
    const statuses = await page.evaluate(async () => {
      const id = 'x';
      const detail = await fetch(`/admin/invocations/${id}`);
      const list = await fetch('/admin/invocations');
      const replay = await fetch('/admin/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"since":"1d"}' });
      const examples = await fetch('/admin/examples');
      return [detail.status, list.status, replay.status, examples.status];
    });
    expect(statuses).toEqual([403, 403, 403, 403]);
  });

  it('replay: after a card edit in the working files, the change shows per rule with its diff', async () => {
    const file = join(content, 'cards', 'hba1c-overdue.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(`summary: ${HBA1C}`, `summary: ${HBA1C_EDITED}`));
    const page = await loginAs('author');
    await show(page, 'replay', 'h1:text("Replay")');
    await page.getByLabel('Period').selectOption('1d');
    await page.getByLabel('Proposed content').selectOption('working');
    await page.getByRole('button', { name: 'Replay' }).click();
    const section = page.locator('section.replay-rule', { hasText: 'diabetes-hba1c-overdue' });
    await section.waitFor({ timeout: 30_000 });
    expect(await section.locator('h2').textContent()).toBe('diabetes-hba1c-overdue 0 added, 0 removed, 3 changed');
    expect(await section.locator('.diff .del').allTextContents()).toContain(`-  "summary": "${HBA1C}",\n`);
    expect(await section.locator('.diff .add').allTextContents()).toContain(`+  "summary": "${HBA1C_EDITED}",\n`);
    expect(await page.locator('section.replay-rule').count()).toBe(1);
    await shot(page, 'replay');
    await shotFull(page, 'replay');
    // The same edit as an uploaded folder (the browser reads it; the service compiles it).
    await page.getByLabel('Proposed content').selectOption('upload');
    await page.getByLabel('Folder').setInputFiles(content);
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.locator('p.muted', { hasText: 'Replaying' }).waitFor({ state: 'detached' });
    expect(await page.locator('section.replay-rule h2').allTextContents()).toEqual(['diabetes-hba1c-overdue 0 added, 0 removed, 3 changed']);
    // The content in force has not changed: no difference.
    await page.getByLabel('Proposed content').selectOption('in-force');
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.locator('.notice.ok', { hasText: 'No card would change.' }).waitFor();
  });

  it('no page had a console error or a Content-Security-Policy violation', () => {
    expect(problems).toEqual([]);
  });
});
