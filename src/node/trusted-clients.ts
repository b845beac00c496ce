/**
 * CDS_TRUSTED_CLIENTS: the CDS clients allowed in, as a JSON array inline, or the path of a
 * .json / .yaml / .yml file holding one. Validated by the core's schema; a mistake stops
 * start-up naming the entry and field.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseTrustedClients, type TrustedClient } from '../auth/clients.ts';

export class TrustedClientsError extends Error {}

export function loadTrustedClients(raw: string | undefined): TrustedClient[] {
  if (raw === undefined || raw.trim() === '') return [];
  const name = 'CDS_TRUSTED_CLIENTS';
  let data: unknown;
  const inline = /^\s*[[{]/.test(raw);
  const where = inline ? name : `${name} (${raw})`;
  try {
    const text = inline ? raw : readFileSync(raw, 'utf8');
    data = inline || /\.json$/i.test(raw) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TrustedClientsError(code === 'ENOENT' ? `${where}: no such file` : `${where}: not valid ${inline || /\.json$/i.test(raw) ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`);
  }
  try {
    return parseTrustedClients(data, where);
  } catch (error) {
    throw new TrustedClientsError((error as Error).message);
  }
}
