import { defineRule } from '../../rule.js';
import { topLevelFields } from './common.js';

/** caffe.proto SolverParameter.SolverType, in enum order, and the `type` string Caffe upgrades each to (UpgradeSolverType). */
const TYPES: [string, string][] = [
  ['SGD', 'SGD'],
  ['NESTEROV', 'Nesterov'],
  ['ADAGRAD', 'AdaGrad'],
  ['RMSPROP', 'RMSProp'],
  ['ADADELTA', 'AdaDelta'],
  ['ADAM', 'Adam'],
];

export const rule = defineRule({
  meta: {
    id: 'style/deprecated-solver-type',
    category: 'style',
    recommended: 'warn',
    description: 'A Caffe solver’s solver_type enum, deprecated in favour of the string field type.',
    explanation: [
      'Caffe solvers used to be chosen with the enum `solver_type: ADAM`.',
      'Since the solver registry (2016) the choice is the string `type: "Adam"`, so that new solvers can be added without changing caffe.proto; the enum is kept only for old files, which Caffe converts when it reads them (UpgradeSolverType: SGD → "SGD", NESTEROV → "Nesterov", ADAGRAD → "AdaGrad", RMSPROP → "RMSProp", ADADELTA → "AdaDelta", ADAM → "Adam").',
      'Writing the string is what Caffe runs anyway, so `--fix` replaces the field. Writing both is an error that `nnspec check` reports.',
    ].join(' '),
    references: [
      { title: 'Caffe tutorial: Solver (type)', url: 'https://caffe.berkeleyvision.org/tutorial/solver.html' },
      { title: 'Caffe upgrade_proto.cpp: UpgradeSolverType', url: 'https://github.com/BVLC/caffe/blob/master/src/caffe/util/upgrade_proto.cpp' },
    ],
    options: null,
    fixable: true,
  },
  check(ctx) {
    if (ctx.model.format !== 'caffe-solver') return;
    const fields = topLevelFields(ctx.source.text);
    const old = fields.find((f) => f.name === 'solver_type');
    if (!old || fields.some((f) => f.name === 'type')) return;
    const v = old.value;
    const entry = v.kind === 'ident' ? TYPES.find(([e]) => e === v.name) : v.kind === 'number' ? TYPES[v.value] : undefined;
    if (!entry) return;
    ctx.report({
      span: { start: old.start, end: old.end },
      message: `solver_type: ${ctx.source.text.slice(v.start, v.end)} is deprecated; write type: "${entry[1]}", which is what Caffe reads it as`,
      hint: `replace it with type: "${entry[1]}" (nnspec lint --fix does it)`,
      fix: [{ start: old.start, end: old.end, text: `type: "${entry[1]}"` }],
    });
  },
});
