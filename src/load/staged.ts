/**
 * @module load/staged
 * What the two ramping executors share: `stages` (k6: linear ramps to each
 * `target` over its `duration`) or a named `shape`, compiled to one curve.
 */
import { z } from 'zod';
import { MAX_DURATION_MS } from '../core/index.js';
import type { StageSpan } from '../metrics/index.js';
import { durationMs, nonNegativeNumber } from './load-fields.js';
import {
  cutProfile,
  cutStages,
  endOf,
  type PlannedStage,
  type ProfilePoint,
  plannedStages,
  profileOf,
} from './rate-profile.js';
import { compileShape, type Shape, ShapeSchema } from './shapes.js';

export const StageSchema = z.strictObject({
  /** The load reached at the end of the stage. */
  target: nonNegativeNumber(),
  /** How long the linear ramp to `target` takes (0: a jump). */
  duration: durationMs({ allowZero: true }),
  /** Label in summary.json → stages (default `stage N`). */
  name: z.string().min(1).optional(),
});

/** `stages` or `shape`; exactly one. */
export const stagedFields = {
  stages: z
    .array(StageSchema)
    .min(1, { error: 'expected at least one stage' })
    // The plan has a point per second: a schedule no timer could run is refused before it is built.
    .refine((stages) => stages.reduce((sum, s) => sum + s.duration, 0) <= MAX_DURATION_MS, {
      error: 'expected stages lasting at most 24 days in all',
    })
    .optional(),
  shape: ShapeSchema.optional(),
};

export const oneOfStagesOrShape: [
  (l: { stages?: unknown; shape?: unknown }) => boolean,
  { message: string; path: string[] },
] = [
  (l) => (l.stages === undefined) !== (l.shape === undefined),
  {
    message: 'expected either stages: [{ target, duration }] or shape: { spike | burst | diurnal | step: … }',
    path: ['stages'],
  },
];

interface StagedLoad {
  stages?: z.output<typeof StageSchema>[] | undefined;
  shape?: Shape | undefined;
  duration?: number | undefined;
}

/** The curve and the labelled stages of a staged load, cut at its `duration` cap. */
export function stagedSchedule(
  load: StagedLoad,
  start: number,
): { profile: ProfilePoint[]; stages: PlannedStage[] } {
  const compiled = load.shape !== undefined ? compileShape(load.shape) : { start, stages: load.stages ?? [] };
  const profile = profileOf(compiled.start, compiled.stages);
  return {
    profile: cutProfile(profile, load.duration),
    stages: cutStages(plannedStages(compiled.stages), load.duration),
  };
}

/** Planned stages as the aggregator takes them. */
export function stageSpans(stages: readonly PlannedStage[]): StageSpan[] {
  return stages.map((s) => ({ name: s.name, startMs: s.startMs, endMs: s.endMs, target: s.target }));
}

export { endOf };
