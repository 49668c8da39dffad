/**
 * The search folder: what a rerun needs to skip finished trials. `search.json` holds the
 * settings that decide the trial list (seed, method, space, trial length, data); each finished
 * trial is one file `trials/trial-NNNN.json`, written atomically when the trial ends, so an
 * interruption loses at most the trial that was running.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.js';
import type { EpochMetrics } from '../../train/loop.js';
import type { TrialParams } from './space.js';
import type { LossCurve, StopKind } from './stopping.js';

export type TrialStatus = 'completed' | 'stopped' | 'diverged';

export interface TrialRecord {
  id: string;
  index: number;
  params: TrialParams;
  /** completed: ran its length; stopped: ended by a rule of stopping.ts; diverged: the loss became NaN/Inf. */
  status: TrialStatus;
  stop_rule: StopKind | null;
  message: string | null;
  /** The last epoch's figures (null where not measured). */
  val_top1: number | null;
  val_top5: number | null;
  val_loss: number | null;
  train_top1: number | null;
  train_loss: number | null;
  iterations: number;
  total_iterations: number;
  seconds: number;
  /** Mean training loss at the median rule's checkpoints. */
  curve: LossCurve;
  epochs: EpochMetrics[];
}

/** Raised when the folder holds another search's trials; the message is for the user. */
export class JournalMismatchError extends Error {}

export class Journal {
  private readonly trialsDir: string;

  constructor(
    readonly dir: string,
    readonly settings: Record<string, unknown>,
  ) {
    this.trialsDir = join(dir, 'trials');
  }

  /** Creates the folder, or checks that it holds this same search; returns the finished trials. */
  open(): TrialRecord[] {
    mkdirSync(this.trialsDir, { recursive: true });
    const path = join(this.dir, 'search.json');
    const wanted = JSON.stringify(this.settings, null, 2);
    if (existsSync(path)) {
      const had = readFileSync(path, 'utf8').trim();
      if (had !== wanted.trim()) {
        const before = JSON.parse(had) as Record<string, unknown>;
        const changed = Object.keys({ ...before, ...this.settings }).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(this.settings[k]));
        throw new JournalMismatchError(`${this.dir} holds the trials of another search (${changed.join(', ')} differ${changed.length === 1 ? 's' : ''}); use another --out folder, or remove it to start over`);
      }
    } else writeFileAtomic(path, `${wanted}\n`);
    const out: TrialRecord[] = [];
    for (const f of readdirSync(this.trialsDir).sort()) {
      if (!/^trial-\d+\.json$/.test(f)) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.trialsDir, f), 'utf8')) as TrialRecord);
      } catch {
        // A file that does not read (edited by hand) is run again.
      }
    }
    return out;
  }

  record(trial: TrialRecord): void {
    writeFileAtomic(join(this.trialsDir, `${trial.id}.json`), `${JSON.stringify(trial, null, 2)}\n`);
  }
}
