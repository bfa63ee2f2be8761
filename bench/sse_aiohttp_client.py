# Anchor: a Python aiohttp streaming consumer that reads the stream line by line,
# the way vLLM's benchmark client does. Per chunk: receive time − server x_sent stamp.
# It also counts the tokens received in [1 s, SECONDS - 1 s) after the streams start, the steady
# part of the run the bench counts for every client (steadyTokens over steadySeconds).
# Usage: /usr/bin/python3 sse_aiohttp_client.py URL STREAMS SECONDS -> JSON stats on stdout
import asyncio, json, sys, time

import aiohttp

URL, STREAMS, SECONDS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
lag, ttft, itl = [], [], []
tokens = 0
steady_tokens = 0
steady = (0.0, 0.0)


async def one_loop(session, deadline):
    global tokens, steady_tokens
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    while time.monotonic() < deadline:
        sent = time.time() * 1000
        last = None
        async with session.post(URL, json=body) as resp:
            async for raw in resp.content:
                line = raw.strip()
                if not line.startswith(b"data: ") or line == b"data: [DONE]":
                    continue
                at = time.time() * 1000
                chunk = json.loads(line[6:])
                if "x_sent" not in chunk:
                    continue
                lag.append(at - chunk["x_sent"])
                if last is None:
                    ttft.append(at - sent)
                else:
                    itl.append(at - last)
                last = at
                tokens += 1
                if steady[0] <= time.monotonic() < steady[1]:
                    steady_tokens += 1


async def main():
    global steady
    deadline = time.monotonic() + SECONDS
    connector = aiohttp.TCPConnector(limit=STREAMS)
    started = time.monotonic()
    steady = (started + 1, started + SECONDS - 1)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(one_loop(session, deadline) for _ in range(STREAMS)))
    seconds = time.monotonic() - started
    print(json.dumps({"lag": lag, "ttft": ttft, "itl": itl, "tokens": tokens, "seconds": seconds,
                      "steadyTokens": steady_tokens, "steadySeconds": SECONDS - 2}))


asyncio.run(main())
