/**
 * @module load/shapes
 * Named load shapes that compile to stages, so a schedule is known ahead and
 * can be plotted and checked: `spike`, `burst`, `diurnal`, `step`. Values are
 * in the executor's unit (arrivals/s for ramping-arrival-rate, VUs for ramping-vus).
 */
import { z } from 'zod';
import { MAX_DURATION_MS } from '../core/index.js';
import { durationMs, nonNegativeNumber, positiveInt, positiveNumber } from './load-fields.js';
import type { StageInput } from './rate-profile.js';

const SpikeSchema = z.strictObject({
  spike: z.strictObject({
    /** The load before and after the spike. */
    baseline: nonNegativeNumber(),
    /** Peak = baseline × multiplier. */
    multiplier: positiveNumber().default(10),
    /** Baseline time before the spike. */
    before: durationMs().default(10_000),
    /** How long the peak holds. */
    hold: durationMs().default(10_000),
    /** Baseline time after the spike (the recovery). */
    after: durationMs().default(10_000),
    /** Time to climb to the peak and to come back down (0: a jump). */
    ramp: durationMs({ allowZero: true }).default(0),
  }),
});

const BurstSchema = z.strictObject({
  burst: z.strictObject({
    baseline: nonNegativeNumber(),
    multiplier: positiveNumber().default(5),
    /** A burst starts every `every`, the first after `every − length` of baseline. */
    every: durationMs(),
    /** How long each burst lasts. */
    length: durationMs(),
    count: positiveInt().default(3),
  }),
});

const DiurnalSchema = z.strictObject({
  diurnal: z.strictObject({
    /** The night-time trough. */
    baseline: nonNegativeNumber(),
    /** Midday peak = baseline × multiplier. */
    multiplier: positiveNumber().default(3),
    /** One compressed day. */
    period: durationMs(),
    days: positiveInt().default(1),
    /** Linear pieces per day (24: one per hour). */
    resolution: positiveInt().default(24),
  }),
});

const StepSchema = z.strictObject({
  step: z.strictObject({
    start: nonNegativeNumber(),
    /** Added at each step. */
    increment: positiveNumber(),
    steps: positiveInt(),
    /** How long each level holds. */
    hold: durationMs(),
  }),
});

/** Most stages a shape may compile to (each a point of the plan). */
const MAX_SHAPE_STAGES = 100_000;

/** How long a shape lasts and how many stages it compiles to, without compiling it. */
function shapeSpan(shape: z.output<typeof ShapeUnion>): { ms: number; stages: number } {
  if ('spike' in shape) {
    const s = shape.spike;
    return { ms: s.before + 2 * s.ramp + s.hold + s.after, stages: 5 };
  }
  if ('burst' in shape) {
    const b = shape.burst;
    return { ms: b.count * Math.max(b.every, b.length), stages: 4 * b.count };
  }
  if ('diurnal' in shape) {
    const d = shape.diurnal;
    return { ms: d.period * d.days, stages: d.resolution * d.days };
  }
  return { ms: shape.step.steps * shape.step.hold, stages: 2 * shape.step.steps };
}

const ShapeUnion = z.union([SpikeSchema, BurstSchema, DiurnalSchema, StepSchema], {
  error:
    'expected a shape: { spike: { baseline, multiplier, before, hold, after } }, { burst: { baseline, multiplier, every, length, count } }, { diurnal: { baseline, multiplier, period } } or { step: { start, increment, steps, hold } }',
});

/** A shape the plan can hold: at most 24 days (what a timer can wait) and 100,000 stages. */
export const ShapeSchema = ShapeUnion.superRefine((shape, ctx) => {
  const span = shapeSpan(shape);
  if (span.ms > MAX_DURATION_MS) {
    const days = (span.ms / 86_400_000).toPrecision(3);
    ctx.addIssue({ code: 'custom', message: `expected a shape lasting at most 24 days, not ${days} days` });
  } else if (span.stages > MAX_SHAPE_STAGES) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a shape of at most ${MAX_SHAPE_STAGES} stages, not ${span.stages}`,
    });
  }
});
export type Shape = z.output<typeof ShapeSchema>;

/** The stages of a shape and the load it starts from. */
export function compileShape(shape: Shape): { start: number; stages: StageInput[] } {
  if ('spike' in shape) {
    const s = shape.spike;
    const peak = s.baseline * s.multiplier;
    return {
      start: s.baseline,
      stages: [
        { target: s.baseline, duration: s.before, name: 'baseline' },
        { target: peak, duration: s.ramp, name: 'spike ramp-up' },
        { target: peak, duration: s.hold, name: 'spike' },
        { target: s.baseline, duration: s.ramp, name: 'spike ramp-down' },
        { target: s.baseline, duration: s.after, name: 'recovery' },
      ],
    };
  }
  if ('burst' in shape) {
    const b = shape.burst;
    const peak = b.baseline * b.multiplier;
    const stages: StageInput[] = [];
    for (let i = 1; i <= b.count; i++) {
      stages.push({ target: b.baseline, duration: Math.max(0, b.every - b.length), name: `baseline ${i}` });
      stages.push({ target: peak, duration: 0 });
      stages.push({ target: peak, duration: b.length, name: `burst ${i}` });
      stages.push({ target: b.baseline, duration: 0 });
    }
    return { start: b.baseline, stages };
  }
  if ('diurnal' in shape) {
    const d = shape.diurnal;
    const pieces = d.resolution * d.days;
    const stages: StageInput[] = [];
    for (let i = 1; i <= pieces; i++) {
      // Trough at midnight, peak at midday: a raised cosine.
      const phase = ((i % d.resolution) / d.resolution) * 2 * Math.PI;
      const level = d.baseline * (1 + ((d.multiplier - 1) * (1 - Math.cos(phase))) / 2);
      const hour = Math.floor(((i - 1) % d.resolution) * (24 / d.resolution));
      stages.push({
        target: Math.round(level * 1000) / 1000,
        duration: d.period / d.resolution,
        name: `day ${Math.ceil(i / d.resolution)} ${String(hour).padStart(2, '0')}h`,
      });
    }
    return { start: d.baseline, stages };
  }
  const s = shape.step;
  const stages: StageInput[] = [];
  for (let i = 0; i < s.steps; i++) {
    const level = s.start + i * s.increment;
    if (i > 0) stages.push({ target: level, duration: 0 });
    stages.push({ target: level, duration: s.hold, name: `step ${i + 1}` });
  }
  return { start: s.start, stages };
}
