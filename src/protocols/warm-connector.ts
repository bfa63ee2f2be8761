/**
 * @module protocols/warm-connector
 * Opens keep-alive connections before the load starts, so the first requests
 * (a closed model's VUs, an open model's first burst) do not pay TCP (and
 * TLS) set-up inside their measurements: undici asks this connector for a
 * socket and gets a pre-opened one while they last, a new one after.
 */
import type { Socket } from 'node:net';
import type { buildConnector } from 'undici';
import { undici } from '../core/index.js';

/** Connects in flight at once while warming (Node's and nginx's default listen backlog is 511). */
export const WARM_BATCH = 128;

export class WarmConnector {
  private readonly base: buildConnector.connector;
  private readonly idle = new Map<string, Socket[]>();

  /** `base` makes the connections (default undici's own connector, `timeoutMs` to connect). */
  constructor(
    timeoutMs = 10_000,
    base: buildConnector.connector = undici().buildConnector({ timeout: timeoutMs }),
  ) {
    this.base = base;
  }

  /** The connector undici calls (`new Agent({ connect: warm.connect })`). */
  readonly connect: buildConnector.connector = (options, callback) => {
    const list = this.idle.get(keyOf(options.protocol, options.hostname, options.port));
    for (let socket = list?.pop(); socket !== undefined; socket = list?.pop()) {
      // A pre-opened socket the server has closed meanwhile is dropped, not handed out.
      if (!socket.destroyed && socket.readyState === 'open') {
        socket.removeAllListeners('close');
        // Asynchronously, as a real connect would: undici's client is not ready for a same-tick answer.
        process.nextTick(callback, null, socket);
        return;
      }
    }
    this.base(options, callback);
  };

  /**
   * Opens `count` connections to `origin` (http or https), at most
   * `WARM_BATCH` at a time: a burst of connects beyond the server's listen
   * backlog has SYNs dropped and retried a second later. Stops at the first
   * batch with a failure; the run will report what the target does.
   */
  async warm(origin: string, count: number): Promise<number> {
    const url = new URL(origin);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const key = keyOf(url.protocol, url.hostname, port);
    const list = this.idle.get(key) ?? [];
    this.idle.set(key, list);
    for (let left = count; left > 0; left -= WARM_BATCH) {
      const opened = await Promise.all(
        Array.from(
          { length: Math.min(left, WARM_BATCH) },
          () =>
            new Promise<Socket | undefined>((resolve) =>
              this.base(
                { protocol: url.protocol, hostname: url.hostname, port, servername: url.hostname },
                (err, socket) => resolve(err === null ? (socket as Socket) : undefined),
              ),
            ),
        ),
      );
      for (const socket of opened) {
        if (socket === undefined) continue;
        socket.on('close', () => list.splice(list.indexOf(socket), 1));
        list.push(socket);
      }
      if (opened.includes(undefined)) break;
    }
    return list.length;
  }

  /** Closes the pre-opened connections that were never used. */
  close(): void {
    for (const list of this.idle.values()) for (const socket of list.splice(0)) socket.destroy();
  }
}

function keyOf(protocol: string, hostname: string, port: string): string {
  return `${protocol}//${hostname}:${port}`;
}
