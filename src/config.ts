import type { AdminToken } from './auth/admin.ts';
import type { TrustedClient } from './auth/clients.ts';
import type { InputBounds } from './protocol/input-bounds.ts';

/**
 * The service's settings. The core never reads the environment: runtime shells build this
 * (Node from process.env, the Worker from its bindings) and pass it to `createApp`.
 */
export interface ServiceConfig extends InputBounds {
  /** Largest accepted request body, in bytes; larger gets 413. */
  maxBodyBytes: number;
  /** Deadline for all FHIR fallback fetches of one call. */
  prefetchTimeoutMs: number;
  /** Largest FHIR response accepted by the fallback, in bytes. */
  prefetchMaxBytes: number;
  /** FHIR fallback bytes of one call, summed over all its keys and pages; past it a key is unavailable. */
  prefetchMaxTotalBytes: number;
  /** Pages of a paginated FHIR search the fallback follows. */
  prefetchMaxPages: number;
  /** Allowed CORS origins; `['*']` for any (auth is by bearer token, not cookies). */
  corsOrigins: string[];
  /** Store request and response bodies with each invocation (off: they hold patient data). */
  storePayloads: boolean;
  /**
   * The base URL EHRs call (e.g. `https://cds.example.org`): a JWT's `aud` must be this plus the
   * endpoint's path. Required when trusted clients are configured.
   */
  publicUrl?: string;
  /** The CDS clients allowed in; empty means open (local development only). */
  trustedClients: TrustedClient[];
  /** Least time between two fetches of a client's JWKS for an unknown `kid`. */
  jwksCooldownMs: number;
  /** Deepest nesting of arrays and objects accepted in a request body. */
  maxJsonDepth: number;
  /** Time all rules of one call may take; rules not yet evaluated when it runs out are skipped. */
  evaluationBudgetMs: number;
  /** Bearer tokens (hashed) of the admin API, with roles; none: the admin API answers 401. */
  adminTokens: AdminToken[];
  /**
   * Open mode only: whether `fhirServer` may be a loopback or private-network address (a local
   * FHIR server in development). Link-local and cloud metadata addresses are refused regardless.
   */
  allowPrivateFhirServers: boolean;
  /** Most items one feedback call may carry (also the most accepted suggestions of one item). */
  feedbackMaxItems: number;
  /** Longest free text of a feedback item (userComment, a reason's display), in characters. */
  feedbackMaxText: number;
  /**
   * How long an order-select call's prefetch results are reused by an order-sign call of the same
   * client, patient, user and orders (src/pipeline/run-ahead.ts); 0 turns run-ahead off.
   */
  runAheadWindowMs: number;
}

export const DEFAULT_CONFIG: ServiceConfig = {
  maxBodyBytes: 5 * 1024 * 1024,
  prefetchTimeoutMs: 3000,
  prefetchMaxBytes: 10 * 1024 * 1024,
  prefetchMaxTotalBytes: 20 * 1024 * 1024,
  prefetchMaxPages: 5,
  maxBundleEntries: 10_000,
  maxSelections: 1_000,
  maxResources: 25_000,
  corsOrigins: ['*'],
  storePayloads: false,
  trustedClients: [],
  jwksCooldownMs: 30_000,
  maxJsonDepth: 64,
  evaluationBudgetMs: 300,
  adminTokens: [],
  // Safe for anyone embedding createApp; the shells turn it on outside production (settings.ts).
  allowPrivateFhirServers: false,
  feedbackMaxItems: 100,
  feedbackMaxText: 4000,
  runAheadWindowMs: 60_000,
};
