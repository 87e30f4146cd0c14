/** `npm run schema`: prints the configuration's JSON Schema (json-schema.ts) to stdout. */
import { configJsonSchemaText } from './json-schema.js';

process.stdout.write(configJsonSchemaText());
