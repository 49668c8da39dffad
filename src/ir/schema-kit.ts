/**
 * Builders for attribute schemas, handed to operation definitions as a parameter.
 *
 * Operation files describe their attributes with TypeBox, but only import it as a type: the
 * schema is built on demand (by the IR schema generator and validators) from the TypeBox
 * instance passed in. Reading-only commands never load TypeBox, which keeps `nnspec check`
 * starting fast.
 */
import type { TSchema, Type as TypeBuilder } from '@sinclair/typebox';

export function schemaKit(T: typeof TypeBuilder) {
  const Obj = <P extends Record<string, TSchema>>(props: P) => T.Object(props, { additionalProperties: false });
  const Enum = <V extends string>(values: readonly V[], description?: string) =>
    T.Union(
      values.map((v) => T.Literal(v)),
      description ? { description } : {},
    );
  return {
    T,
    Obj,
    Enum,
    Int: (opts: { minimum?: number; description?: string } = {}) => T.Integer(opts),
    NonNegInt: (description?: string) => T.Integer({ minimum: 0, ...(description ? { description } : {}) }),
    PositiveInt: (description?: string) => T.Integer({ minimum: 1, ...(description ? { description } : {}) }),
    /** One value per spatial axis, in axis order (H, W for images). */
    PerAxis: (min: number, description: string) => T.Array(T.Integer({ minimum: min }), { minItems: 1, description }),
    Num: (description?: string) => T.Number(description ? { description } : {}),
    Bool: (description?: string) => T.Boolean(description ? { description } : {}),
    Nullable: <S extends TSchema>(s: S) => T.Union([s, T.Null()]),
    /** A tensor shape: integers, or names for symbolic dimensions such as the batch size `N`. */
    Shape: () => T.Array(T.Union([T.Integer({ minimum: 0 }), T.String({ minLength: 1 })])),
  };
}

export type SchemaKit = ReturnType<typeof schemaKit>;
