/**
 * At most `n` of the tasks given to the returned function run at once; the
 * others wait their turn in order. For test files that run several CLI runs
 * side by side (each a process with its worker threads) on a small machine.
 */
export function limiter(n: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    while (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
