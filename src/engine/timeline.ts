/**
 * @module engine/timeline
 * The test's timeline, run by the coordinator: starts the fault proxies the
 * test declares, switches their faults on at each event's time on the run
 * clock (0 = the start barrier) and back after `for`, and records every change.
 * A proxy left in a fault would outlive the run, so `close()` reverts them all.
 */
import { performance } from 'node:perf_hooks';
import type { Test } from '../config/index.js';
import type { FaultProxy, ProxyFault, ProxyFaultSet } from '../sim/index.js';

/** The fault proxy's code, loaded only by a test that has proxies or events. */
const proxyModule = () => import('../sim/proxy/index.js');

import type { RunEventMark } from '../store/index.js';

type TimelineEvent = NonNullable<Test['events']>[number];

/** A fault change as written to events.jsonl (`at` in run-clock ms, like other events). */
export interface FaultEventLine {
  type: 'fault';
  phase: 'applied' | 'reverted' | 'marker';
  at: number;
  label: string;
  for_s?: number;
  proxy?: string;
  faults?: ProxyFault[];
  /** Why a change could not be made (the proxy refused or was unreachable). */
  error?: string;
}

export interface Timeline {
  /** Base URL of each proxy by name (started or external). */
  readonly proxies: Record<string, string>;
  /** Schedules the events on the run clock whose 0 is `originEpochMs`. */
  arm(originEpochMs: number): void;
  /** The events as they happened (seconds from the start), for run.json and the summary. */
  marks(): RunEventMark[];
  /** Cancels what has not happened, reverts active faults, stops started proxies. */
  close(): Promise<void>;
}

/** The label of an event: its own, else its fault kinds, else `marker`. */
export function eventLabel(event: TimelineEvent): string {
  if (event.label !== undefined) return event.label;
  const faults = faultsOf(event);
  if (faults.length === 0) return 'marker';
  return `${event.proxy}: ${faults.map((f) => f.kind).join('+')}`;
}

/** The fault rules of an event: a kind by name becomes a rule with its defaults. */
function faultsOf(event: TimelineEvent): ProxyFault[] {
  const { fault } = event;
  if (fault === undefined) return [];
  if (typeof fault === 'string') {
    if (fault === 'outage') return [{ kind: 'outage', match: '**', probability: 1, status: 503 }];
    if (fault === 'error') return [{ kind: 'error', match: '**', probability: 1, status: 500 }];
    if (fault === 'rate_limit')
      return [{ kind: 'rate_limit', match: '**', probability: 1, retry_after: 1000 }];
    return [{ kind: fault, match: '**', probability: 1 } as ProxyFault];
  }
  return Array.isArray(fault) ? fault : [fault];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Starts the test's proxies and prepares its events. `write` receives each
 * events.jsonl line; `log` a line for a person.
 */
export async function startTimeline(
  test: Pick<Test, 'proxies' | 'events'>,
  write: (line: FaultEventLine) => void,
  log: (line: string) => void,
): Promise<Timeline> {
  const started: FaultProxy[] = [];
  const proxies: Record<string, string> = {};
  // Loaded now when events will need it, not at an event's instant on the run clock.
  if ((test.events?.length ?? 0) > 0) await proxyModule();
  try {
    for (const [name, ref] of Object.entries(test.proxies ?? {})) {
      if ('control' in ref) {
        proxies[name] = ref.control.replace(/\/$/, '');
        continue;
      }
      const { startFaultProxy } = await proxyModule();
      const proxy = await startFaultProxy({
        upstream: ref.upstream,
        port: ref.port ?? 0,
        faults: ref.faults,
      });
      started.push(proxy);
      proxies[name] = proxy.url;
      log(`proxy ${name} at ${proxy.url} → ${ref.upstream}`);
    }
  } catch (err) {
    await Promise.all(started.map((p) => p.close()));
    throw err;
  }

  const events = test.events ?? [];
  const timers: NodeJS.Timeout[] = [];
  const marks: RunEventMark[] = [];
  /** Faults to restore per proxy while an event is active there. */
  const active = new Map<string, { restore: ProxyFaultSet; revert: () => Promise<void> }>();
  const pending = new Set<Promise<void>>();
  let origin = 0;
  let closing: Promise<void> | undefined;
  const nowMs = () => performance.timeOrigin + performance.now() - origin;
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const apply = async (event: TimelineEvent, index: number): Promise<void> => {
    const label = eventLabel(event);
    const forS = event.for === undefined ? undefined : event.for / 1000;
    const faults = faultsOf(event);
    const failover = event.failover === undefined ? {} : { failover: event.failover };
    if (event.proxy === undefined) {
      const at = round3(nowMs());
      write({ type: 'fault', phase: 'marker', at, label, ...(forS !== undefined ? { for_s: forS } : {}) });
      marks.push({
        index,
        at: round3(at / 1000),
        label,
        ...(forS !== undefined ? { for_s: forS } : {}),
        ...failover,
      });
      return;
    }
    const proxy = event.proxy;
    const url = proxies[proxy] as string;
    const mark: RunEventMark = { index, at: round3(event.at / 1000), label, proxy, ...failover };
    marks.push(mark);
    try {
      // An event over another one on the same proxy restores what was there before the first.
      const { getProxyFaults, setProxyFaults } = await proxyModule();
      const restore = active.get(proxy)?.restore ?? (await getProxyFaults(url));
      await setProxyFaults(url, { seed: restore.seed, faults: [...restore.faults, ...faults] });
      const at = round3(nowMs());
      mark.at = round3(at / 1000);
      if (forS !== undefined) mark.for_s = forS;
      write({
        type: 'fault',
        phase: 'applied',
        at,
        label,
        proxy,
        faults,
        ...(forS !== undefined ? { for_s: forS } : {}),
      });
      log(`event at ${(at / 1000).toFixed(2)}s: ${label}`);
      const revert = async (): Promise<void> => {
        if (active.get(proxy)?.revert !== revert) return;
        active.delete(proxy);
        try {
          await setProxyFaults(url, restore);
          write({ type: 'fault', phase: 'reverted', at: round3(nowMs()), label, proxy });
        } catch (err) {
          write({ type: 'fault', phase: 'reverted', at: round3(nowMs()), label, proxy, error: String(err) });
        }
      };
      active.set(proxy, { restore, revert });
      if (event.for !== undefined) {
        const timer = setTimeout(() => track(revert()), Math.max(0, event.at + event.for - nowMs()));
        timers.push(timer);
      }
    } catch (err) {
      mark.error = (err as Error).message;
      write({
        type: 'fault',
        phase: 'applied',
        at: round3(nowMs()),
        label,
        proxy,
        faults,
        error: mark.error,
      });
      log(`event ${label}: could not change proxy ${proxy}: ${mark.error}`);
    }
  };

  return {
    proxies,
    arm(originEpochMs) {
      origin = originEpochMs;
      for (const [index, event] of events.entries()) {
        const timer = setTimeout(() => track(apply(event, index)), Math.max(0, event.at - nowMs()));
        timers.push(timer);
      }
    },
    marks: () => [...marks].sort((a, b) => a.index - b.index),
    close() {
      closing ??= (async () => {
        for (const timer of timers) clearTimeout(timer);
        await Promise.allSettled([...pending]);
        await Promise.allSettled([...active.values()].map((a) => a.revert()));
        await Promise.all(started.map((p) => p.close()));
      })();
      return closing;
    },
  };
}
