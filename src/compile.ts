/**
 * The pipeline every command shares: text → syntax tree → dialect binding → typed IR →
 * graph checks, with every problem collected as a diagnostic. Reading-only commands stop
 * here; none of this loads TensorFlow.js.
 */
import { DiagnosticBag, type Diagnostic } from './diagnostics/diagnostic.js';
import { detectDialect } from './dialects/detect.js';
import { CaffeNetBinder, type CaffeNetOptions, type CaffeNetResult } from './dialects/caffe/bind-net.js';
import { bindSolver, SOLVER_ONLY_FIELDS } from './dialects/caffe/bind-solver.js';
import { bindNnspec } from './dialects/nnspec/bind.js';
import { decodedString, readSourceFile, type DecodedText } from './io/read-source.js';
import { unitsOf } from './schema/fast-decode.js';
import type { Dialect, Model, Node } from './ir/graph.js';
import { parseDocument } from './language/parse.js';
import { streamCaffe } from './dialects/caffe/stream.js';
import { SourceFile } from './language/source.js';
import type { Field, Span } from './language/syntax-tree.js';
import { Analyzer, type NodeReport } from './passes/analyze.js';
import { GraphChecker, type NodeOrigin } from './passes/graph-check.js';
import type { Shape } from './ir/dims.js';
import { ProtoDecoder } from './schema/decode-proto.js';

export interface CompileOptions {
  /** Caffe: the phase whose layers are kept (Caffe's default is TEST). */
  phase?: 'TRAIN' | 'TEST';
  stages?: string[];
  level?: number;
  /** Force a dialect instead of detecting it. */
  dialect?: Dialect;
  /**
   * Keep the IR nodes in `model.graph.nodes`. Off, nodes are checked as they stream past and
   * dropped, which keeps memory flat on very large nets (what `check` does).
   */
  keepNodes?: boolean;
  /** Called for every node, in order, after it has been checked. */
  onNode?: (node: Node) => void;
  /**
   * Caffe: decode layers straight from the text and reuse the binding of identical layers
   * (default). Off, every layer is parsed and decoded the careful way; tests compare the two.
   */
  fastPath?: boolean;
  /** Shapes that replace what the net declares for these inputs (`--input-shape`). */
  inputShapes?: ReadonlyMap<string, Shape>;
  /** Infer shapes and receptive fields, reporting what does not fit (default on). */
  analyze?: boolean;
  /** Receives each node's shapes, receptive fields and cost, in order. */
  onReport?: (report: NodeReport) => void;
  /**
   * The file's text, used instead of reading `path` (an editor's unsaved buffer, for `nnspec
   * lsp`); `path` still names the file in diagnostics and picks the dialect.
   */
  text?: string;
}

export interface CompileResult {
  source: SourceFile;
  model: Model;
  diagnostics: Diagnostic[];
  errorCount: number;
  /** Caffe nets: the include-rule stages per phase, to know which net states exist. */
  ruleStages?: CaffeNetResult['ruleStages'];
}

export async function compileFile(path: string, options: CompileOptions = {}): Promise<CompileResult> {
  return compileDecoded(path, sourceOf(path, options), options);
}

function sourceOf(path: string, options: CompileOptions): DecodedText {
  return options.text !== undefined ? decodedString(options.text) : readSourceFile(path);
}

export async function compileText(path: string, text: string, options: CompileOptions = {}): Promise<CompileResult> {
  return compileDecoded(path, decodedString(text), options);
}

async function compileDecoded(path: string, decoded: DecodedText, options: CompileOptions): Promise<CompileResult> {
  const source = new SourceFile(path, decoded.text);
  const diagnostics = new DiagnosticBag(source);
  if (decoded.invalidAt >= 0) {
    diagnostics.error('syntax/invalid-utf8', `the file is not valid UTF-8 (byte 0x${decoded.invalidByte.toString(16).padStart(2, '0')} here); it was read with replacement characters`, {
      start: decoded.invalidAt,
      end: decoded.invalidAt + 1,
    });
  }
  const dialect = options.dialect ?? detectDialect(path, decoded.head);
  const model: Model = { file: path, dialect, format: dialect === 'nnspec' ? 'nnspec' : 'caffe-v2', graph: null, train: null };
  const checker = new GraphChecker(diagnostics);
  const analyzer = options.analyze === false ? null : new Analyzer(diagnostics, { names: checker.names, ...(options.inputShapes ? { inputShapes: options.inputShapes } : {}), ...(options.onReport ? { onReport: options.onReport } : {}) });
  const kept: Node[] = [];
  const accept = (node: Node, origin?: NodeOrigin) => {
    checker.add(node, origin);
    analyzer?.add(node, checker.ids);
    if (options.keepNodes) kept.push(node);
    options.onNode?.(node);
  };

  let lateInputs = new Set<string>();
  let hasGraph = false;
  /** Top-level fields read by error recovery (from the first syntax error on). */
  let recoveredFields: Span[] | null = null as Span[] | null;
  let ruleStages: CaffeNetResult['ruleStages'] | undefined;
  if (dialect === 'nnspec') {
    const doc = await parseDocument(decoded.text(), diagnostics, () => (recoveredFields = []));
    if (recoveredFields) recoveredFields = doc.fields.filter((f) => f.start >= recoveryStart(doc.fields, diagnostics));
    const bound = bindNnspec(doc, diagnostics, accept);
    model.train = bound.train;
    if (bound.search) model.search = bound.search;
    if (bound.name !== null) {
      hasGraph = true;
      model.graph = { name: bound.name, phase: null, nodes: kept };
    }
  } else {
    const decoder = new ProtoDecoder(diagnostics);
    const netOptions: CaffeNetOptions = { ...(options.phase ? { phase: options.phase } : {}), ...(options.stages ? { stages: options.stages } : {}), ...(options.level !== undefined ? { level: options.level } : {}), names: checker.names };
    let net: CaffeNetBinder | null = null;
    let solverFields: Field[] | null = null;
    let fieldCount = 0;
    const startNet = () => (net ??= new CaffeNetBinder(diagnostics, decoder, netOptions, accept));
    await streamCaffe(
      decoded.ascii ?? unitsOf(decoded.text()),
      decoded.text,
      diagnostics,
      decoder,
      {
        field(field) {
          fieldCount++;
          recoveredFields?.push(field);
          if (!net && !solverFields && SOLVER_ONLY_FIELDS.has(field.name)) solverFields = [];
          if (solverFields) solverFields.push(field);
          else startNet().field(field);
        },
        layer(source) {
          if (solverFields || options.fastPath === false) return false;
          if (!startNet().layerFromText(source)) return false;
          fieldCount++;
          return true;
        },
      },
      () => (recoveredFields = []),
    );
    if (solverFields) {
      const fields: Field[] = solverFields;
      const solver = bindSolver({ kind: 'message', fields, start: 0, end: fields[fields.length - 1]?.end ?? 0 }, diagnostics, decoder, netOptions, accept);
      model.format = 'caffe-solver';
      model.train = solver.train;
      if (solver.net) {
        hasGraph = true;
        lateInputs = solver.net.inputs;
        model.graph = { name: solver.net.name, phase: solver.net.phase, nodes: kept };
      }
    } else {
      const binder: CaffeNetBinder = net ?? new CaffeNetBinder(diagnostics, decoder, netOptions, accept);
      const result = binder.finish();
      hasGraph = true;
      lateInputs = result.inputs;
      if (result.hasRules) ruleStages = result.ruleStages;
      model.format = result.format;
      model.graph = { name: result.name, phase: result.phase, nodes: kept };
      if (fieldCount === 0 && diagnostics.errorCount === 0) {
        diagnostics.warning('net/empty', 'the file describes an empty net (no layers)', { start: 0, end: 0 });
      }
    }
  }
  if (hasGraph) checker.finish(lateInputs);
  if (hasGraph) analyzer?.finish();
  if (recoveredFields) diagnostics.dropCascades(recoveredFields);
  if (model.graph && options.keepNodes) moveInputsFirst(model.graph.nodes);
  const sorted = diagnostics.sorted();
  const result: CompileResult = { source, model, diagnostics: sorted, errorCount: sorted.filter((d) => d.severity === 'error').length };
  if (ruleStages) result.ruleStages = ruleStages;
  return result;
}

export interface CheckResult {
  diagnostics: Diagnostic[];
  errorCount: number;
  /** The net states checked, e.g. ['TEST'] or ['TRAIN', "TEST, stage 'test-on-train'"]. */
  states: string[];
}

interface NetState {
  phase: 'TRAIN' | 'TEST';
  stages: string[];
}

function stateLabel(s: NetState): string {
  return s.stages.length ? `${s.phase}, stage '${s.stages.join("', '")}'` : s.phase;
}

/**
 * The net states a Caffe file is meant to be used in, when the user names none: the phases
 * its include rules name (both when they name none), each alone and with each stage the rules
 * name. A phase whose rules require stages is not checked without one (mnist_autoencoder's
 * TEST data layers exist only per stage).
 */
function plausibleStates(ruleStages: NonNullable<CompileResult['ruleStages']>): NetState[] {
  const states: NetState[] = [];
  const any = ruleStages.get('ANY') ?? new Set<string>();
  // A file whose rules name only one phase (a test-only net) is not meant for the other.
  const named = (['TRAIN', 'TEST'] as const).filter((p) => ruleStages.has(p));
  for (const phase of named.length > 0 ? named : (['TRAIN', 'TEST'] as const)) {
    const own = ruleStages.get(phase) ?? new Set<string>();
    const stages = [...new Set([...own, ...any])];
    if (own.size === 0) states.push({ phase, stages: [] });
    for (const stage of stages) states.push({ phase, stages: [stage] });
  }
  return states;
}

/**
 * What `nnspec check` runs. A Caffe train_val file holds several nets (TRAIN, TEST, per
 * stage); unless a phase or stage is given, each is checked and a problem found in only some
 * of them says which.
 */
export async function checkFile(path: string, options: CompileOptions = {}): Promise<CheckResult> {
  return forEachNetState(path, options, (result) => result.diagnostics);
}

/**
 * Compiles every net state of a file, as `check` does, and merges what `run` says about each
 * compiled state (run gets fresh per-run options from `setup`, e.g. to collect reports).
 */
export async function forEachNetState(
  path: string,
  options: CompileOptions,
  run: (result: CompileResult) => Diagnostic[],
  setup: () => Partial<CompileOptions> = () => ({}),
): Promise<CheckResult> {
  const decoded = sourceOf(path, options);
  const first = await compileDecoded(path, decoded, { ...options, ...setup() });
  const explicit = options.phase !== undefined || options.stages !== undefined;
  if (!first.ruleStages || explicit) {
    const diagnostics = run(first);
    return { diagnostics, errorCount: diagnostics.filter((d) => d.severity === 'error').length, states: [stateLabel({ phase: options.phase ?? 'TEST', stages: options.stages ?? [] })] };
  }
  const states = plausibleStates(first.ruleStages);
  const seen = new Map<string, { d: Diagnostic; states: string[] }>();
  for (const state of states) {
    const compiled = await compileDecoded(path, decoded, { ...options, ...setup(), phase: state.phase, stages: state.stages });
    const label = stateLabel(state);
    for (const d of run(compiled)) {
      const key = `${d.code}|${d.span.start}|${d.span.end}|${d.message}`;
      const entry = seen.get(key);
      if (entry) entry.states.push(label);
      else seen.set(key, { d, states: [label] });
    }
  }
  const diagnostics = [...seen.values()].map(({ d, states: where }) =>
    where.length === states.length ? d : { ...d, message: `${d.message} (in the ${where.join('; ')} net${where.length === 1 ? '' : 's'})` },
  );
  diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { diagnostics, errorCount: diagnostics.filter((d) => d.severity === 'error').length, states: states.map(stateLabel) };
}

function recoveryStart(fields: Field[], diagnostics: DiagnosticBag): number {
  let first = Infinity;
  for (const d of diagnostics.items) if (d.code.startsWith('syntax/')) first = Math.min(first, d.span.start);
  let start = 0;
  for (const f of fields) if (f.start <= first) start = f.start;
  return start;
}

/** Caffe moves legacy inputs before every layer, even when a file declares them last. */
function moveInputsFirst(nodes: Node[]): void {
  const late = nodes.findIndex((n, i) => n.op === 'input' && nodes.slice(0, i).some((m) => m.op !== 'input'));
  if (late < 0) return;
  const [node] = nodes.splice(late, 1);
  nodes.unshift(node!);
}
