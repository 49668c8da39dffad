/**
 * A `defaults { Type { … } }` section for settings every layer of a type repeats (the
 * initialisers of a Caffe net, `round: caffe` of its pooling). The binder adds a default to
 * each layer of the type that does not write the field, so a setting moves only when every
 * layer of that type has it, with the same value.
 */
import type { Entry } from './layers.js';
import { Msg, type Value } from './text.js';

/** Settings, not structure: a layer's size or window stays with the layer. */
const MOVABLE = new Set(['weight', 'bias', 'round', 'count_pad', 'eps', 'momentum', 'statistics', 'affine', 'normalization']);

function key(v: Value): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Msg ? { msg: x.fields } : x));
}

/** Moves the shared settings out of `entries` (in place) and returns the section, or null. */
export function extractDefaults(entries: Entry[]): Msg | null {
  const byType = new Map<string, Entry[]>();
  for (const e of entries) {
    const list = byType.get(e.type);
    if (list) list.push(e);
    else byType.set(e.type, [e]);
  }
  const section = new Msg();
  for (const [type, list] of byType) {
    if (list.length < 2) continue;
    const shared = new Msg();
    for (const [k, v] of list[0]!.fields.fields) {
      if (!MOVABLE.has(k)) continue;
      const text = key(v);
      if (list.every((e) => e.fields.fields.some(([k2, v2]) => k2 === k && key(v2) === text))) shared.add(k, v);
    }
    if (shared.empty) continue;
    const moved = new Set(shared.fields.map(([k]) => k));
    for (const e of list) {
      const kept = e.fields.fields.filter(([k]) => !moved.has(k));
      e.fields.fields.splice(0, e.fields.fields.length, ...kept);
    }
    section.add(type, shared);
  }
  return section.empty ? null : section;
}
