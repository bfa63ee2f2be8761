#!/usr/bin/env node
// How much of a core the machine itself takes away: a busy loop reads the monotonic clock and
// counts every gap between two readings longer than 0.2 ms (the thread was not running: the OS
// or the hypervisor ran something else). Pinned to the generator's core before a latency part,
// it tells which part of a client's lag tail no client on that core could avoid.
// Prints JSON: { seconds, lostPct, stalls, over1ms, over3ms, maxMs }.
// Usage: node stall-probe.mjs SECONDS
const seconds = Number(process.argv[2] ?? 3);
// A short loop first, so the measured one runs optimised.
const probe = (ms) => {
  const gaps = [];
  const end = performance.now() + ms;
  let last = performance.now();
  for (;;) {
    const now = performance.now();
    if (now - last > 0.2) gaps.push(now - last);
    last = now;
    if (now > end) return gaps;
  }
};
probe(200);
const gaps = probe(seconds * 1000);
const lost = gaps.reduce((a, g) => a + g, 0);
console.log(
  JSON.stringify({
    seconds,
    lostPct: (100 * lost) / (seconds * 1000),
    stalls: gaps.length,
    over1ms: gaps.filter((g) => g > 1).length,
    over3ms: gaps.filter((g) => g > 3).length,
    maxMs: gaps.length > 0 ? Math.max(...gaps) : 0,
  }),
);
