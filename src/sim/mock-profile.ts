/**
 * @module sim/mock-profile
 * How the mock LLM server behaves: its timing, answer lengths, seed and model
 * names. Every field has a default, so `{}` (or an empty file) is a valid profile.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, formatZodError } from '../config/errors.js';
import { DistributionSchema } from '../random/index.js';

/** A mock server profile, as written in a YAML/JSON file or passed to `startMockServer`. */
export const MockProfileSchema = z.strictObject({
  /** Seeds the answers (with a hash of the prompt) and the timing draws. */
  seed: z.number().int().default(42),
  /** Milliseconds from the request's arrival to its first content token. */
  ttft_ms: DistributionSchema.default(50),
  /** Milliseconds between consecutive tokens, drawn per gap. */
  itl_ms: DistributionSchema.default(10),
  /** Tokens per answer (rounded, at least 1), capped by the request's `max_tokens`. */
  output_tokens: DistributionSchema.default(64),
  /** Names listed by `GET /v1/models`; requests may name any model, which is echoed. */
  models: z
    .array(z.string().min(1))
    .min(1)
    .default(() => ['mock-model']),
});

/** A validated profile with every default filled in. */
export type MockProfile = z.infer<typeof MockProfileSchema>;
/** A profile as a user writes it: every field optional. */
export type MockProfileInput = z.input<typeof MockProfileSchema>;

/**
 * Validates a profile object; `source` names it in error messages.
 * @throws ConfigError naming the source, the field path and what was expected.
 */
export function parseMockProfile(input: unknown, source = 'mock profile'): MockProfile {
  const result = MockProfileSchema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) throw new ConfigError(formatZodError(source, result.error));
  return result.data;
}

/**
 * Reads a profile from a YAML or JSON file (YAML is a superset of JSON).
 * @throws ConfigError when the file is missing, unparsable or invalid.
 */
export async function loadMockProfile(file: string): Promise<MockProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    throw new ConfigError(`${file}: cannot read the profile (${reason})`, 'TS_CONFIG_NOT_FOUND');
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`${file}: not valid YAML or JSON: ${reason}`);
  }
  return parseMockProfile(data, file);
}
