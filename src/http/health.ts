/**
 * `GET /health`: what a monitor polls. 200 `ok` while the content in force is the content on
 * disk; 503 `degraded` while a reload was rejected (the last good content keeps answering hook
 * calls, but it is not what the author saved) or the content does not compile at all, so a
 * plain HTTP check alerts without reading the body.
 */
import type { RuleSet } from '../rules/compile.ts';

/** The shell's reload state: Node's hot reload, or the Worker's build. */
export interface ReloadFacts {
  /** Whether the shell reloads content when its files change. */
  watching: boolean;
  status: 'ok' | 'error';
  /** When the content was last (re)loaded or built (ISO time). */
  at: string;
  /** `path:line:col: message` of the rejected content; empty when it compiled. */
  problems: string[];
}

/** What the shell adds to `/health`. */
export interface HealthFacts {
  database: string;
  auth: 'jwt' | 'open';
  reload: ReloadFacts;
}

export function healthAnswer(counts: RuleSet['counts'] | null, facts?: HealthFacts): { status: 200 | 503; body: Record<string, unknown> } {
  const degraded = facts?.reload.status === 'error';
  return { status: degraded ? 503 : 200, body: { status: degraded ? 'degraded' : 'ok', content: counts, ...facts } };
}
