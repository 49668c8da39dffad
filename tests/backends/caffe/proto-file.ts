/**
 * A caffe.proto generated from the schema the reader uses (src/dialects/caffe/caffe-proto.ts),
 * so protoc can check the emitted text. Field numbers are positional: the text format names
 * fields and never sees numbers. Fork-only fields and the fields added after the 1.0
 * release are left out, so a file protoc accepts against it is one BVLC Caffe 1.0 reads.
 */
import * as P from '../../../src/dialects/caffe/caffe-proto.js';
import type { EnumSpec, FieldSpec, MessageSpec } from '../../../src/schema/proto-schema.js';

/** Fields BVLC Caffe gained after the 1.0 release (April 2017). */
const AFTER_1_0: Record<string, string[]> = {
  LayerParameter: ['clip_param', 'swish_param'],
  PoolingParameter: ['round_mode'],
};

const SCALAR: Record<string, string> = { int32: 'int32', uint32: 'uint32', int64: 'int64', uint64: 'uint64', float: 'float', double: 'double', bool: 'bool', string: 'string', bytes: 'bytes' };

function isMessage(x: unknown): x is MessageSpec {
  return typeof x === 'object' && x !== null && 'fields' in x && 'name' in x;
}

export function caffeProtoText(): string {
  const messages = (Object.values(P) as unknown[]).filter(isMessage);
  const out = ['// Generated from src/dialects/caffe/caffe-proto.ts by tests/backends/caffe/proto-file.ts; do not edit.', 'syntax = "proto2";', '', 'package caffe;', ''];
  for (const m of messages) {
    const excluded = new Set(AFTER_1_0[m.name] ?? []);
    const fields = Object.entries(m.fields as Record<string, FieldSpec>).filter(([name, f]) => !f.fork && !excluded.has(name));
    const enums = new Map<string, EnumSpec>();
    for (const [, f] of fields) if (f.kind === 'enum') enums.set(f.enum.name, f.enum);
    out.push(`message ${m.name} {`);
    for (const e of enums.values()) {
      out.push(`  enum ${e.name} {`);
      for (const [name, n] of Object.entries(e.values)) out.push(`    ${name} = ${n};`);
      out.push('  }');
    }
    fields.forEach(([name, f], i) => {
      const type = f.kind === 'message' ? f.message().name : f.kind === 'enum' ? f.enum.name : SCALAR[f.kind];
      out.push(`  ${f.repeated ? 'repeated' : 'optional'} ${type} ${name} = ${i + 1};`);
    });
    out.push('}', '');
  }
  return out.join('\n');
}
