/** The `search { … }` section (src/dialects/nnspec/search.ts) from the IR's SearchConfig, defaults left out. */
import type { SearchConfig } from '../../ir/search.js';
import { int, Msg, name, num } from './text.js';

export function searchSection(s: SearchConfig): Msg {
  const m = new Msg()
    .add('method', s.method === 'random' ? undefined : s.method)
    .add('trials', s.trials === null ? undefined : int(s.trials))
    .add('grid_points', s.grid_points === null ? undefined : int(s.grid_points))
    .add('max_minutes', s.max_minutes === null ? undefined : num(s.max_minutes))
    .add('metric', s.metric ?? undefined)
    .add('epochs', s.epochs === null ? undefined : num(s.epochs))
    .add('iterations', s.iterations === null ? undefined : int(s.iterations))
    .add('seed', s.seed === null ? undefined : int(s.seed));
  for (const p of s.params) {
    const d = p.dist;
    const pm = new Msg().add('layer', p.layer === null ? undefined : name(p.layer));
    if (d.kind === 'choice') pm.add('choice', d.values.map(num));
    else pm.add(d.kind, [num(d.min), num(d.max)]);
    m.add(p.name, pm);
  }
  return m;
}
