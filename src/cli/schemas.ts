/** `cds-rules schemas [--out dir]`: writes the editor JSON Schemas (default schemas/). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonSchemas } from '../authoring/json-schemas.ts';
import { green, println } from './output.ts';

export async function writeSchemas(out: string): Promise<number> {
  await mkdir(out, { recursive: true });
  for (const [file, text] of Object.entries(jsonSchemas())) {
    await writeFile(join(out, file), text);
    println(green(`wrote ${join(out, file)}`));
  }
  return 0;
}
