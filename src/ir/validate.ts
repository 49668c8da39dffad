/**
 * Validation of IR documents against the checked-in schema, with ajv. The schema is read
 * from schema/ir.schema.json (not rebuilt) so that what ships is what is checked.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

let validator: ValidateFunction | undefined;

function schemaPath(): URL {
  return new URL('../../schema/ir.schema.json', import.meta.url);
}

export function irValidator(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(schemaPath(), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  validator = ajv.compile(schema);
  return validator;
}

/** Problems with a document, as "path: message" lines (empty when valid). */
export function validateIr(doc: unknown): string[] {
  const validate = irValidator();
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}
