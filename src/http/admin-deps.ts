/**
 * What the admin API is given, and what its requests carry: shared by the API's routes (admin.ts)
 * and the console's (admin-console.ts), so the console's routes need nothing from admin.ts, which
 * mounts them.
 */
import type { AdminToken } from '../auth/admin.ts';
import type { SessionSigner } from '../auth/session.ts';
import type { ServiceConfig } from '../config.ts';
import type { Logger } from '../log/logger.ts';
import type { CompiledService, RuleSet } from '../rules/compile.ts';
import type { SourceFile } from '../rules/source.ts';
import type { Store } from '../store/store.ts';

export interface AdminDeps {
  ruleSet: () => RuleSet;
  store: Store;
  config: ServiceConfig;
  log: Logger;
  now: () => Date;
  /** Signs and checks the console's session cookies. */
  sessions: SessionSigner;
  /** The content folder's tools, where the shell has one (Node). */
  authoring?: AuthoringTools;
}

/** One example patient shipped beside a rule (rules/<service>/<rule>.test.yaml). */
export interface ExampleCase {
  service: string;
  rule: string;
  /** Its place in the test file. */
  index: number;
  name: string;
  /** How many cards it expects. */
  expectsCards: number;
}

/** What only a shell with the content folder can give (the Node shell; the Worker has none). */
export interface AuthoringTools {
  examples(): Promise<ExampleCase[]>;
  /** The hook call an example makes and the in-memory FHIR server holding its record. */
  exampleCall(service: CompiledService, rule: string, index: number, now: Date): Promise<{ body: unknown; fetch: typeof fetch } | undefined>;
  /** The content folder as it is on disk now (it may differ from the content in force). */
  workingFiles(): Promise<SourceFile[]>;
  /** Load errors of the last reload, warnings of the content in force. */
  problems(): { errors: string[]; warnings: string[] };
}

/** A Hono context of an admin request: the token (or session) it was authenticated with. */
export type AdminEnv = { Variables: { admin: AdminToken } };
