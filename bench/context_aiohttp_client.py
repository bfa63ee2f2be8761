# Anchor for part F: Python aiohttp read the way vLLM's benchmark client reads a stream: a
# default ClientSession (trust_env, a long total timeout, default read_bufsize), the payload
# posted with json=, and `async for chunk_bytes in response.content` line by line. C closed-loop
# streams for D seconds, each sending a prompt of P words; per request its TTFT error (TTFT from
# before the post − the server's truth in the first event, `x_truth`), and the tokens received
# (each event's `x_n`) in [1 s, D - 1 s). An exception while reading (aiohttp's "Chunk too big"
# on a line over its buffer's high-water mark) is counted by message, not raised.
# Usage: /usr/bin/python3 context_aiohttp_client.py URL STREAMS SECONDS PROMPT_WORDS MAX_TOKENS [PROMPT_FILE]
import asyncio, json, sys, time

import aiohttp

URL, STREAMS, SECONDS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
WORDS, MAX_TOKENS = int(sys.argv[4]), int(sys.argv[5])
# PROMPT_FILE (6th argument): the exact prompt text tokenstorm sends, so bodies are the same size.
PROMPT = open(sys.argv[6]).read() if len(sys.argv) > 6 else " ".join(["tok"] * WORDS)
ttft_err = []
upload = []
# The error's two legs (epoch clocks of one machine): send -> server has the request; server's write -> read.
request_leg = []
response_leg = []
errors = {}
tokens = 0
steady_tokens = 0
requests = 0
steady = (0.0, 0.0)


async def one_loop(session, deadline):
    global tokens, steady_tokens, requests
    while time.perf_counter() < deadline:
        payload = {"model": "m", "stream": True, "max_tokens": MAX_TOKENS,
                   "messages": [{"role": "user", "content": PROMPT}]}
        sent = time.perf_counter()
        sent_epoch = time.time() * 1000
        first = True
        try:
            async with session.post(URL, json=payload) as response:
                async for chunk_bytes in response.content:
                    chunk_bytes = chunk_bytes.strip()
                    if not chunk_bytes:
                        continue
                    line = chunk_bytes.decode("utf-8").removeprefix("data: ")
                    if line == "[DONE]":
                        continue
                    now = time.perf_counter()
                    now_epoch = time.time() * 1000
                    chunk = json.loads(line)
                    if "x_n" not in chunk:
                        continue
                    if first:
                        ttft_err.append((now - sent) * 1000 - chunk["x_truth"])
                        upload.append(chunk["x_upload"])
                        request_leg.append(chunk["x_arrival"] - sent_epoch)
                        response_leg.append(now_epoch - chunk["x_sent"])
                    first = False
                    tokens += chunk["x_n"]
                    if steady[0] <= now < steady[1]:
                        steady_tokens += chunk["x_n"]
            requests += 1
        except Exception as error:  # noqa: BLE001 - counted and reported, as a finding
            key = f"{type(error).__name__}: {error}"[:80]
            errors[key] = errors.get(key, 0) + 1


async def main():
    global steady
    started = time.perf_counter()
    deadline = started + SECONDS
    steady = (started + 1, started + SECONDS - 1)
    timeout = aiohttp.ClientTimeout(total=6 * 60 * 60)
    async with aiohttp.ClientSession(trust_env=True, timeout=timeout) as session:
        await asyncio.gather(*(one_loop(session, deadline) for _ in range(STREAMS)))
    print(json.dumps({"ttftErr": ttft_err, "upload": upload, "requestLeg": request_leg,
                      "responseLeg": response_leg, "tokens": tokens, "seconds": time.perf_counter() - started,
                      "steadyTokens": steady_tokens, "steadySeconds": SECONDS - 2,
                      "requests": requests, "errors": errors}))


asyncio.run(main())
