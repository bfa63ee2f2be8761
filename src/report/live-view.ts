/**
 * @module report/live-view
 * The live view of a running test. On a terminal: a frame redrawn in place
 * about once a second (log-update erases only its own lines, so nothing
 * flickers). Elsewhere (CI): one plain line every 10 s, or every
 * `TOKENSTORM_PROGRESS_INTERVAL_MS`. Both go to stderr, so `--json` output
 * on stdout stays clean. log-update is loaded when a terminal view is made,
 * in the background (~50 ms, off the path to the first request); frames are
 * drawn once it is there ({@link LiveView.ready}).
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import type { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import { type LoopHealth, renderLiveFrame, renderProgressLine } from './live-frame.js';
import { LiveStats } from './live-stats.js';

/** Default interval of the plain progress lines when stderr is not a terminal. */
export const PLAIN_INTERVAL_MS = 10_000;
/** Redraw interval of the terminal frame. */
export const TTY_INTERVAL_MS = 1_000;

export interface LiveViewOptions {
  /** Test name shown in every frame. */
  name: string;
  /** Where to draw; `process.stderr` in the CLI. */
  stream: Writable & { isTTY?: boolean; columns?: number };
  /** Redraw in place (a terminal) or print plain lines. */
  tty: boolean;
  /** Time between frames or lines. */
  intervalMs: number;
  /** ANSI colours in the terminal frame. */
  color?: boolean;
  /** Stages known ahead (run-clock ms), to name the current one when progress does not. */
  stages?: readonly { name: string; startMs: number; endMs: number }[] | undefined;
}

/** The stage at `elapsedMs`, if any. */
function stageAt(stages: LiveViewOptions['stages'], elapsedMs: number): string | undefined {
  return stages?.find((s) => elapsedMs >= s.startMs && elapsedMs < s.endMs)?.name;
}

/** The terminal width to draw at: the stream's columns, or 80 when it reports none or a non-positive width (`script`, some CI ptys report 0). */
export function terminalColumns(stream: { columns?: number }): number {
  const c = stream.columns;
  return c !== undefined && Number.isFinite(c) && c > 0 ? c : 80;
}

/** The terminal height likewise: 24 when the stream reports none or 0 (log-update would draw nothing at 0 rows). */
function terminalRows(stream: { rows?: number }): number {
  const r = stream.rows;
  return r !== undefined && Number.isFinite(r) && r > 0 ? r : 24;
}

/**
 * What log-update draws on: the stream with its size read through the fallbacks above
 * (log-update takes `columns ?? 80`, so a reported 0 wraps every character onto its own line).
 */
function sizedStream(stream: LiveViewOptions['stream']): Writable {
  return {
    isTTY: stream.isTTY,
    get columns() {
      return terminalColumns(stream);
    },
    get rows() {
      return terminalRows(stream as { rows?: number });
    },
    write: (chunk: string) => stream.write(chunk),
  } as unknown as Writable;
}

/** The interval for plain lines: `TOKENSTORM_PROGRESS_INTERVAL_MS` when it is a positive number. */
export function plainIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.TOKENSTORM_PROGRESS_INTERVAL_MS);
  return Number.isFinite(n) && n > 0 ? n : PLAIN_INTERVAL_MS;
}

export class LiveView {
  readonly stats: LiveStats;
  readonly #options: LiveViewOptions;
  readonly #loop: IntervalHistogram;
  #draw: ReturnType<typeof createLogUpdate> | undefined;
  /** Resolves once a terminal view can draw (at once elsewhere). */
  readonly ready: Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #health: LoopHealth = { loopDelayP99Ms: 0 };
  #frame = '';
  #stopped = false;
  /** Plain lines even on a terminal: log-update did not load. */
  #plain = false;

  constructor(options: LiveViewOptions) {
    this.#options = options;
    this.stats = new LiveStats();
    this.#loop = monitorEventLoopDelay({ resolution: 10 });
    this.ready = options.tty
      ? import('log-update').then(
          ({ createLogUpdate }) => {
            this.#draw = createLogUpdate(sizedStream(options.stream), { showCursor: true });
          },
          () => {
            // Without it, plain lines as elsewhere.
            this.#plain = true;
          },
        )
      : Promise.resolve();
  }

  start(): void {
    this.#loop.enable();
    this.#timer = setInterval(() => this.tick(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Closes the window and draws a frame (TTY) or prints a line (plain). */
  tick(): void {
    this.stats.rotate();
    const progress = this.stats.snapshot().progress;
    if (progress !== undefined && progress.stage === undefined) {
      const stage = stageAt(this.#options.stages, progress.elapsedMs);
      if (stage !== undefined) this.stats.progress({ ...progress, stage });
    }
    const p99 = this.#loop.count > 0 ? this.#loop.percentile(99) / 1e6 : 0;
    this.#health = { loopDelayP99Ms: Math.round(p99 * 100) / 100 };
    this.#loop.reset();
    const snapshot = this.stats.snapshot();
    if (this.#options.tty && !this.#plain) {
      // No frame until log-update has loaded.
      if (this.#draw === undefined) return;
      this.#frame = renderLiveFrame(this.#options.name, snapshot, this.#health, {
        color: this.#options.color ?? false,
        width: terminalColumns(this.#options.stream),
      });
      this.#draw(this.#frame);
    } else {
      this.#options.stream.write(`${renderProgressLine(this.#options.name, snapshot, this.#health)}\n`);
    }
  }

  /** A log line above the frame (the frame is redrawn under it). */
  log(line: string): void {
    if (this.#draw === undefined) {
      this.#options.stream.write(`${line}\n`);
      return;
    }
    this.#draw.clear();
    this.#options.stream.write(`${line}\n`);
    if (this.#frame !== '') this.#draw(this.#frame);
  }

  /** Stops redrawing; a terminal keeps the last frame. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#draw !== undefined) {
      // A last frame with the final figures stays on screen above the summary.
      this.tick();
      this.#draw.done();
    }
    this.#loop.disable();
  }
}

/** The CLI's view on `stream`: a redrawn frame on a terminal, plain lines every 10 s elsewhere. */
export function createLiveView(
  name: string,
  stream: LiveViewOptions['stream'],
  stages?: LiveViewOptions['stages'],
): LiveView {
  const tty = stream.isTTY === true;
  return new LiveView({
    name,
    stream,
    stages,
    tty,
    intervalMs: tty ? TTY_INTERVAL_MS : plainIntervalFromEnv(),
    color: tty && pc.isColorSupported,
  });
}
