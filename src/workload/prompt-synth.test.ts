import { fileURLToPath } from 'node:url';
import { encode } from 'gpt-tokenizer';
import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, readBody, startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { createRng } from '../random/index.js';
import { PromptSynth, readEmpiricalColumn, synthVocabulary } from './prompt-synth.js';

// A slice of the Azure LLM inference trace 2023 (CC-BY 4.0, see examples/data/README.md).
const TRACE = fileURLToPath(new URL('../../examples/data/azure-conv-2023-slice.csv', import.meta.url));

describe('prompt synthesis', () => {
  it('makes prompts of words that are each one token alone and after a space', () => {
    const words = synthVocabulary();
    expect(new Set(words).size).toBe(words.length);
    const notOne = words.filter((w) => encode(w).length !== 1 || encode(` ${w}`).length !== 1);
    expect(notOne).toEqual([]);
  });

  it('hits every target length exactly as gpt-tokenizer counts it', () => {
    expect(synthVocabulary().length).toBeGreaterThan(200);
    const synth = new PromptSynth({ prompt_tokens: 1 }, 7);
    const rng = createRng(3);
    for (const target of [1, 2, 3, 17, 128, 500, 1000, 4096, 8000]) {
      for (let k = 0; k < 3; k++) expect(encode(synth.text(target, rng)).length).toBe(target);
    }
  });

  it('builds prompts word for word from the corpus as they wrap round it, 128K tokens exact', () => {
    const CORPUS = 1 << 16; // prompt-synth's corpus, in words
    const synth = new PromptSynth({ prompt_tokens: 1 }, 11);
    const corpus = synth.text(CORPUS, () => 0).split(' ');
    expect(corpus).toHaveLength(CORPUS);
    for (const r of [0, 0.5, 0.99999]) {
      const offset = Math.floor(r * CORPUS);
      for (const n of [1, 2, 1000, CORPUS - 1, CORPUS, CORPUS + 1, 131_072, 200_001]) {
        const words = synth.text(n, () => r).split(' ');
        expect(words.length, `${n} words from ${offset}`).toBe(n);
        const wrong = words.findIndex((w, i) => w !== corpus[(offset + i) % CORPUS]);
        expect(wrong, `${n} words from ${offset}`).toBe(-1);
      }
    }
    expect(encode(synth.text(131_072, () => 0.75)).length).toBe(131_072);
  });

  it('draws lengths from a distribution, deterministically under the seed', () => {
    const spec = {
      prompt_tokens: { dist: 'lognormal' as const, median: 300, sigma: 0.6 },
      max_tokens: { dist: 'uniform' as const, min: 16, max: 256 },
    };
    const a = new PromptSynth(spec, 1);
    const b = new PromptSynth(spec, 1);
    const ra = createRng(9);
    const rb = createRng(9);
    for (let i = 0; i < 50; i++) {
      const p = a.draw(ra);
      expect(b.draw(rb)).toEqual(p);
      expect(encode(p.text).length).toBe(p.tokens);
      expect(p.maxTokens).toBeGreaterThanOrEqual(16);
      expect(p.maxTokens).toBeLessThanOrEqual(256);
    }
    expect(new PromptSynth(spec, 2).draw(createRng(9)).text).not.toBe(a.draw(createRng(9)).text);
  });

  it('draws paired prompt and answer lengths from the Azure trace (same row)', () => {
    const context = readEmpiricalColumn(TRACE, 'ContextTokens');
    const generated = readEmpiricalColumn(TRACE, 'GeneratedTokens');
    const pairs = new Set(context.map((c, i) => `${c}/${generated[i]}`));
    const synth = new PromptSynth(
      {
        prompt_tokens: { dist: 'empirical', file: TRACE, column: 'ContextTokens' },
        max_tokens: { dist: 'empirical', file: TRACE, column: 'GeneratedTokens' },
      },
      4,
    );
    const rng = createRng(5);
    for (let i = 0; i < 40; i++) {
      const p = synth.draw(rng);
      expect(pairs.has(`${p.tokens}/${p.maxTokens}`)).toBe(true);
      expect(encode(p.text).length).toBe(p.tokens);
    }
  });

  it('gives K groups a shared system prefix of exactly P tokens', () => {
    const synth = new PromptSynth({ prompt_tokens: 50, shared_prefix: { groups: 4, tokens: 256 } }, 8);
    const rng = createRng(1);
    const prefixes = new Set(Array.from({ length: 200 }, () => synth.draw(rng).prefix as string));
    expect(prefixes.size).toBe(4);
    for (const p of prefixes) expect(encode(p).length).toBe(256);
  });
});

describe('synthetic prompts on the wire', () => {
  let server: FixtureServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('sends chat requests whose user message and prefix have the drawn lengths, and records them', async () => {
    const bodies: { messages: { role: string; content: string }[]; max_tokens: number }[] = [];
    server = await startFixtureServer(async (req, res) => {
      bodies.push(JSON.parse(await readBody(req)));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }] }));
    });
    const workload = workloadFor(
      {
        scenarios: [
          {
            name: 'synth',
            steps: [
              {
                chat: {
                  model: 'm',
                  stream: false,
                  synthetic: {
                    prompt_tokens: { dist: 'uniform', min: 100, max: 400 },
                    max_tokens: 32,
                    shared_prefix: { groups: 2, tokens: 64 },
                  },
                },
              },
            ],
          },
        ],
      },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 10 });
    for (const body of bodies) {
      expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
      expect(encode(body.messages[0]?.content as string).length).toBe(64);
      const n = encode(body.messages[1]?.content as string).length;
      expect(n).toBeGreaterThanOrEqual(100);
      expect(n).toBeLessThanOrEqual(400);
      expect(body.max_tokens).toBe(32);
    }
    expect(new Set(bodies.map((b) => b.messages[1]?.content)).size).toBe(10);
    expect(records.every((r) => r.outcome === 'ok' && (r.inputTokensClient as number) >= 164)).toBe(true);
  });
});
