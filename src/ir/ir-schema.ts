/**
 * The JSON Schema of the IR document, built from the operation registry so it cannot drift
 * from the code: each node is `{ op: <name>, attrs: <that op's attribute schema>, … }`.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { fillerSchema } from './filler.js';
import { schemaKit } from './schema-kit.js';
import { OPS } from './ops/index.js';
import { trainSchema } from './train.js';
import { IR_VERSION } from './json.js';

const kit = schemaKit(Type);
const FillerSchema = fillerSchema(kit);
const TrainSchema = trainSchema(kit);

const Obj = <P extends Record<string, TSchema>>(props: P, extra: object = {}) => Type.Object(props, { additionalProperties: false, ...extra });

const SpanSchema = Obj({
  line: Type.Integer({ minimum: 1 }),
  column: Type.Integer({ minimum: 1 }),
  endLine: Type.Integer({ minimum: 1 }),
  endColumn: Type.Integer({ minimum: 1 }),
});

const ParamBlobSchema = Obj({
  name: Type.String({ minLength: 1 }),
  init: FillerSchema,
  lr_mult: Type.Number(),
  decay_mult: Type.Number(),
  trainable: Type.Boolean(),
  share: Type.Optional(Obj({ name: Type.String({ minLength: 1 }), mode: Type.Union([Type.Literal('strict'), Type.Literal('permissive')]) })),
});

/** Shared pieces are written once under `definitions` and referenced (a much smaller schema for ajv to compile). */
const ref = (name: string) => Type.Unsafe({ $ref: `#/definitions/${name}` });

function nodeSchema(op: string, attrs: TSchema): TSchema {
  return Obj(
    {
      name: Type.String({ minLength: 1 }),
      op: Type.Literal(op),
      inputs: Type.Array(Type.String()),
      outputs: Type.Array(Type.String()),
      attrs,
      params: Type.Array(ref('ParamBlob')),
      loss_weight: Type.Optional(Type.Array(Type.Number())),
      propagate_down: Type.Optional(Type.Array(Type.Boolean())),
      span: ref('Span'),
      instantiated_at: Type.Optional(Type.Array(ref('Span'))),
    },
    { title: `${op} node` },
  );
}

export function buildIrSchema(): Record<string, unknown> {
  // Sorted: module namespace objects list exports alphabetically, other loaders in source order.
  const nodes = Object.values(OPS)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((def) => nodeSchema(def.name, def.attrs(kit)));
  // A discriminated union: ajv picks the node's schema by its `op` instead of trying them all.
  const Node = Type.Unsafe({ type: 'object', discriminator: { propertyName: 'op' }, oneOf: nodes });
  const schema = Obj(
    {
      ir_version: Type.Literal(IR_VERSION),
      file: Type.String(),
      dialect: Type.Union([Type.Literal('caffe'), Type.Literal('nnspec')]),
      format: Type.Union(['caffe-v0', 'caffe-v1', 'caffe-v2', 'caffe-solver', 'nnspec'].map((f) => Type.Literal(f))),
      graph: Type.Union([
        Obj({
          name: Type.String(),
          phase: Type.Union([Type.Literal('train'), Type.Literal('test'), Type.Null()]),
          nodes: Type.Array(Node),
        }),
        Type.Null(),
      ]),
      train: Type.Union([TrainSchema, Type.Null()]),
    },
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'https://nnspec.dev/schema/ir.schema.json',
      title: 'nnspec IR document',
      description: 'The typed, framework-neutral IR nnspec prints with `nnspec compile --emit ir`.',
      definitions: { Span: SpanSchema, ParamBlob: ParamBlobSchema },
    },
  );
  // TypeBox marks its schemas with symbol keys; JSON keeps only the standard keywords.
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}
