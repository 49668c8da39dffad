/**
 * Validation of IR documents against the checked-in schema/ir.schema.json, with ajv. The
 * schema is read from the file (not rebuilt) so that what ships is what is checked.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

let validator: ValidateFunction | undefined;

export function irSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL('../../schema/ir.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
}

/**
 * ajv with the options the CLI uses: the schema's own correctness (strict mode, meta-schema)
 * is checked by the tests, so at run time those checks and ajv's code optimiser are skipped,
 * which cuts compilation from ~2 s to ~0.5 s.
 */
export function irValidator(options: { strict?: boolean } = {}): ValidateFunction {
  if (validator && !options.strict) return validator;
  const strict = options.strict === true;
  const ajv = new Ajv({ allErrors: false, allowUnionTypes: true, discriminator: true, strict, validateSchema: strict, code: { optimize: strict } });
  const compiled = ajv.compile(irSchema());
  if (!strict) validator = compiled;
  return compiled;
}

/** Problems with a document, as "path: message" lines (empty when valid). */
export function validateIr(doc: unknown): string[] {
  const validate = irValidator();
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}
