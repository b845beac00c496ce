/**
 * Crash safety: the Node process is killed with SIGKILL while answering hook and feedback calls
 * under load, then restarted on the same SQLite file. Every call answered 200 must have its row,
 * and the file must open and pass an integrity check. CRASH_ITERATIONS sets the rounds (3 here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonPort, type Started, startProcess } from '../support/processes.ts';
import { warfarinIbuprofenRequest } from '../support/requests.ts';

const ITERATIONS = Number(process.env.CRASH_ITERATIONS ?? 3);
const WORKERS = 8;
const dir = mkdtempSync(join(tmpdir(), 'cds-crash-'));
const dbPath = join(dir, 'cds.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = () => startProcess('src/node/main.ts', { PORT: '0', HOST: '127.0.0.1', CDS_DB_PATH: dbPath }, jsonPort('port'));

interface Answered {
  hookInstances: string[];
  feedbackCards: string[];
  /** Calls cut off by the kill: proof it struck mid-load. */
  cutOff: number;
}

/** WORKERS loops of hook call, then feedback on its card, until `stop` says so or the server dies. */
async function load(server: Started, stop: { now: boolean }): Promise<Answered> {
  const base = `http://127.0.0.1:${server.port}`;
  const answered: Answered = { hookInstances: [], feedbackCards: [], cutOff: 0 };
  const worker = async () => {
    while (!stop.now) {
      try {
        const hookInstance = crypto.randomUUID();
        const res = await fetch(`${base}/cds-services/drug-interactions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(warfarinIbuprofenRequest({ hookInstance })),
        });
        if (res.status !== 200) throw new Error(`hook call answered ${res.status}`);
        const { cards } = (await res.json()) as { cards: { uuid: string }[] };
        answered.hookInstances.push(hookInstance);
        // Feedback for a card of its own, plus one for a card never seen (another node's).
        const unknown = crypto.randomUUID();
        const fb = await fetch(`${base}/cds-services/drug-interactions/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            feedback: [
              { card: cards[0]!.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' },
              { card: unknown, outcome: 'overridden', outcomeTimestamp: '2026-11-26T10:00:00Z' },
            ],
          }),
        });
        if (fb.status !== 200) throw new Error(`feedback answered ${fb.status}`);
        await fb.json();
        answered.feedbackCards.push(cards[0]!.uuid, unknown);
      } catch (error) {
        // After the kill, calls fail: that is the point. Before it, a failure is a bug.
        if (!stop.now) throw error;
        answered.cutOff++;
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return answered;
}

describe('SIGKILL under load', () => {
  it(`every call answered 200 is on disk after ${ITERATIONS} kills, and the file opens cleanly`, async () => {
    let totalHooks = 0;
    let totalFeedback = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const server = await start();
      // The service listens before its evaluation workers have compiled the content; the first
      // call waits for them. Load flows from then on, and that is when the kill must strike.
      const first = await fetch(`http://127.0.0.1:${server.port}/cds-services/drug-interactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() })),
      });
      expect(first.status).toBe(200);
      await first.json();
      const stop = { now: false };
      const running = load(server, stop);
      // Let the load build up, then kill without warning while calls are in flight.
      await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 500)));
      // Calls already sent stay in flight; workers just stop starting new ones.
      stop.now = true;
      server.child.kill('SIGKILL');
      await server.stop();
      const answered = await running;
      expect(answered.hookInstances.length).toBeGreaterThan(0);
      expect(answered.cutOff).toBeGreaterThan(0);

      const db = new Database(dbPath);
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const hooks = new Set((db.prepare('select hook_instance from invocations where status = 200').all() as { hook_instance: string }[]).map((r) => r.hook_instance));
        const missingHooks = answered.hookInstances.filter((h) => !hooks.has(h));
        const cards = new Set((db.prepare('select card_uuid from feedback').all() as { card_uuid: string }[]).map((r) => r.card_uuid));
        const missingFeedback = answered.feedbackCards.filter((c) => !cards.has(c));
        expect({ missingHooks, missingFeedback }).toEqual({ missingHooks: [], missingFeedback: [] });
      } finally {
        db.close();
      }
      totalHooks += answered.hookInstances.length;
      totalFeedback += answered.feedbackCards.length;
      console.log(`crash ${i + 1}/${ITERATIONS}: killed after ${answered.hookInstances.length} hook calls and ${answered.feedbackCards.length} feedback items answered 200, ${answered.cutOff} calls cut off; all on disk`);
    }

    // After the last kill the service starts on the same file, answers, and shuts down cleanly.
    const server = await start();
    const res = await fetch(`http://127.0.0.1:${server.port}/cds-services/drug-interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() })),
    });
    expect(res.status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
    console.log(`crash: ${ITERATIONS} iterations, ${totalHooks} hook calls and ${totalFeedback} feedback items answered 200, none lost`);
  }, 120_000);
});
