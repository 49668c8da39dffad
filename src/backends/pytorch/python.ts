/**
 * Python source text from untrusted names: string literals, identifiers and numbers. Caffe
 * layer names are arbitrary strings, so nothing from the input reaches the emitted file except
 * through these functions.
 */

/** A Python string literal holding `text` exactly, in printable ASCII (no raw newlines or quotes). */
export function pyString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** Text safe inside a `#` comment: the escaped form, never a raw line break. */
export function pyComment(text: string): string {
  return pyString(text).slice(1, -1);
}

const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);

/** Attributes of nn.Module, nn.Sequential and nn.ModuleDict (torch 1.13 and 2.x) and of the emitted class: a child module under one of these names would shadow or be refused. */
const MODULE_ATTRIBUTES = new Set(
  `T_destination add_module append apply bfloat16 buffers children clear compile cpu cuda double dump_patches eval extend extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half insert ipu items keys load_state_dict modules mtia named_buffers named_children named_modules named_parameters parameters pop register_backward_hook register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train training type update values xpu zero_grad call_super_init param_groups reset_parameters PARAM_MULTS`.split(
    ' ',
  ),
);

/** A module key: no dots, not an attribute the container already has, not dunder/private. */
export function moduleKey(raw: string, topLevel: boolean): string {
  let key = raw.replace(/[^A-Za-z0-9_]/g, '_');
  if (key === '') key = '_';
  if (topLevel && /^[0-9]/.test(key)) key = `_${key}`;
  if (key.startsWith('_') && !/^_[0-9]/.test(key)) key = `m${key}`;
  if (MODULE_ATTRIBUTES.has(key) || (topLevel && KEYWORDS.has(key))) key = `${key}_`;
  return key;
}

/** True when `key` can follow a dot in Python (`self.key`). */
export function isIdentifier(key: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && !KEYWORDS.has(key);
}

/** Names the emitted forward() must not shadow. */
const FORWARD_RESERVED = new Set(
  [
    'self torch nn F math os struct json OrderedDict',
    // Python builtins a reader would not want shadowed.
    'abs all any bool bytes callable dict dir divmod enumerate eval exec filter float format frozenset getattr globals hasattr hash help hex id input int isinstance iter len list locals map max min next object oct open ord pow print property range repr reversed round set setattr slice sorted str sum super tuple type vars zip',
  ]
    .join(' ')
    .split(' '),
);

/** Allocates unique Python identifiers for local variables, deterministically in call order. */
export class IdentifierPool {
  private readonly taken = new Set<string>(FORWARD_RESERVED);
  private readonly byRaw = new Map<string, string>();

  name(raw: string): string {
    const known = this.byRaw.get(raw);
    if (known !== undefined) return known;
    let base = raw.replace(/[^A-Za-z0-9_]/g, '_');
    if (base === '' || /^[0-9]/.test(base)) base = `x_${base}`;
    if (KEYWORDS.has(base)) base = `${base}_`;
    let id = base;
    for (let i = 2; this.taken.has(id); i++) id = `${base}_${i}`;
    this.taken.add(id);
    this.byRaw.set(raw, id);
    return id;
  }
}

/** A model name as a CamelCase class name. */
export function className(raw: string, avoid: ReadonlySet<string>): string {
  const parts = raw.split(/[^A-Za-z0-9]+/).filter((p) => p !== '');
  let name = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  if (name === '' || /^[0-9]/.test(name)) name = `Net${name}`;
  while (avoid.has(name) || KEYWORDS.has(name)) name = `${name}Net`;
  return name;
}

/** A Python number literal (floats that JavaScript prints exactly round-trip in Python too). */
export function pyNumber(x: number): string {
  if (Number.isNaN(x)) return 'float("nan")';
  if (x === Infinity) return 'float("inf")';
  if (x === -Infinity) return '-float("inf")';
  return String(x);
}

/** One value for every axis when they agree (3), else a tuple ((3, 5)). */
export function pyAxes(values: readonly number[]): string {
  if (values.length > 0 && values.every((v) => v === values[0])) return pyNumber(values[0]!);
  return pyTuple(values.map(pyNumber));
}

export function pyTuple(items: readonly string[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}
