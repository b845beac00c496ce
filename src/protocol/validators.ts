/**
 * The small validators several layers need, each written once: http(s) URLs, FHIR ids and
 * relative references. The leaf of the code: it imports nothing of ours.
 */
import { z } from 'zod';

/** The parsed URL when `value` is an absolute http or https URL, else undefined. */
export function httpUrl(value: string, { credentials = true } = {}): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (!credentials && (url.username || url.password)) return undefined;
  return url;
}

const HTTP_URL_MESSAGE = 'must be an absolute http(s) URL';

/** A string that is an absolute http(s) URL; `credentials: false` also refuses `user:pass@`. */
export const httpUrlSchema = (options: { credentials?: boolean } = {}) =>
  z.string().refine((value) => httpUrl(value, options) !== undefined, HTTP_URL_MESSAGE);

/** A FHIR resource id (R4: 1-64 letters, digits, - and .). */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** `{type}/{id}`: a relative reference to a FHIR resource. */
export const RELATIVE_REFERENCE = new RegExp(`^([A-Za-z]+)/(${FHIR_ID.source.slice(1, -1)})$`);
