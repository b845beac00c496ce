/**
 * The service's settings. The core never reads the environment: runtime shells build this
 * (Node from process.env, the Worker from its bindings) and pass it to `createApp`.
 */
export interface ServiceConfig {
  /** Largest accepted request body, in bytes; larger gets 413. */
  maxBodyBytes: number;
  /** Deadline for all FHIR fallback fetches of one call. */
  prefetchTimeoutMs: number;
  /** Largest FHIR response accepted by the fallback, in bytes. */
  prefetchMaxBytes: number;
  /** Pages of a paginated FHIR search the fallback follows. */
  prefetchMaxPages: number;
  /** Allowed CORS origins; `['*']` for any (auth is by bearer token, not cookies). */
  corsOrigins: string[];
  /** Store request and response bodies with each invocation (off: they hold patient data). */
  storePayloads: boolean;
}

export const DEFAULT_CONFIG: ServiceConfig = {
  maxBodyBytes: 5 * 1024 * 1024,
  prefetchTimeoutMs: 3000,
  prefetchMaxBytes: 10 * 1024 * 1024,
  prefetchMaxPages: 5,
  corsOrigins: ['*'],
  storePayloads: false,
};
