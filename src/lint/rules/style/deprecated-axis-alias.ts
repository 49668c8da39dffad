import { defineRule } from '../../rule.js';
import { isV2Layer, writtenField } from './common.js';

const ALIASES = [
  { op: 'concat', param: 'concat_param', field: 'concat_dim' },
  { op: 'slice', param: 'slice_param', field: 'slice_dim' },
] as const;

export const rule = defineRule({
  meta: {
    id: 'style/deprecated-axis-alias',
    category: 'style',
    recommended: 'warn',
    description: 'Concat’s concat_dim and Slice’s slice_dim, the deprecated spellings of axis.',
    explanation: [
      'When Caffe moved to N-dimensional blobs (2015), Concat and Slice got an `axis` field (int32, where −1 counts from the end) and the old `concat_dim` / `slice_dim` (uint32, non-negative only) were kept as deprecated aliases that Caffe reads only when `axis` is not written.',
      'A written concat_dim or slice_dim is always a non-negative axis index, which `axis` reads the same way, so renaming the field keeps the model exactly as it was; `--fix` does that.',
      'Writing both is an error that `nnspec check` reports.',
      'V0/V1 files are left alone: tools that still read the old formats may predate `axis`; upgrade the whole file instead (Caffe’s upgrade_net_proto_text).',
    ].join(' '),
    references: [
      { title: 'Caffe caffe.proto: ConcatParameter and SliceParameter (axis; concat_dim and slice_dim deprecated)', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/proto/caffe.proto' },
      { title: 'Caffe layer catalogue: Concat', url: 'https://caffe.berkeleyvision.org/tutorial/layers/concat.html' },
    ],
    options: null,
    fixable: true,
  },
  check(ctx) {
    for (const node of ctx.nodes) {
      const alias = ALIASES.find((a) => a.op === node.op);
      if (!alias || !isV2Layer(ctx, node)) continue;
      const old = writtenField(ctx, node, [alias.param, alias.field]);
      if (!old || writtenField(ctx, node, [alias.param, 'axis'])) continue;
      if (!ctx.source.text.startsWith(alias.field, old.start)) continue;
      const value = old.value.kind === 'number' ? String(old.value.value) : '…';
      ctx.report({
        span: { start: old.start, end: old.end },
        message: `'${node.name}' uses the deprecated ${alias.field}; write axis, which means the same (${alias.field}: ${value} is axis: ${value})`,
        hint: `rename ${alias.field} to axis (nnspec lint --fix does it)`,
        fix: [{ start: old.start, end: old.start + alias.field.length, text: 'axis' }],
      });
    }
  },
});
