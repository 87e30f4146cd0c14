import { root } from './load.js';
import type { JsonSchema } from './schema.js';

/**
 * The JSON Schema (draft-07) of the configuration file, generated from the validators the
 * loader runs (each describes what it accepts, schema.ts `describe`), so it cannot drift from
 * them and a new section is in it as soon as load.ts lists it. Editors use it for completion
 * and checking (`# yaml-language-server: $schema=…` in a config file); the loader stays the
 * judge of what needs the whole file (declared names, files on disk, cross-field rules).
 * `npm run schema` writes it to config/horizond.schema.json; a test keeps that file current.
 */
export function configJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'horizond configuration',
    description: 'horizond.yaml: every key is optional; see src/config/README.md for each key and its default.',
    ...root.schema!,
  };
}

/** The schema as committed: two-space JSON with a final newline. */
export function configJsonSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + '\n';
}
