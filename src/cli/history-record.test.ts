import { afterEach, describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { ConfigError } from '../core/index.js';
import { defaultHistoryPath } from '../store/index.js';
import { historyPathOf, parseTagArgs } from './history-record.js';

const base = {
  scenarios: [{ name: 's', steps: [{ chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } }] }],
  load: { executor: 'constant-vus', vus: 1, duration: '1s' },
};

describe('history flags', () => {
  const saved = process.env.TOKENSTORM_HISTORY;
  afterEach(() => {
    if (saved === undefined) delete process.env.TOKENSTORM_HISTORY;
    else process.env.TOKENSTORM_HISTORY = saved;
  });

  it('chooses the file: --no-history, then --history, then TOKENSTORM_HISTORY, then .tokenstorm/ here', () => {
    process.env.TOKENSTORM_HISTORY = '/tmp/from-env.db';
    expect(historyPathOf(false)).toBeUndefined();
    expect(historyPathOf('/tmp/flag.db')).toBe('/tmp/flag.db');
    expect(historyPathOf(undefined)).toBe('/tmp/from-env.db');
    process.env.TOKENSTORM_HISTORY = 'off';
    expect(historyPathOf(undefined)).toBeUndefined();
    delete process.env.TOKENSTORM_HISTORY;
    expect(historyPathOf(undefined)).toBe(defaultHistoryPath());
    expect(defaultHistoryPath('/w')).toBe('/w/.tokenstorm/history.db');
  });

  it('parses --tag NAME=VALUE (a value may hold = or be empty) and rejects anything else as bad input', () => {
    expect(parseTagArgs(['profile=weekday', 'q=a=b', 'empty=', 'profile=weekend'])).toEqual({
      profile: 'weekend',
      q: 'a=b',
      empty: '',
    });
    for (const bad of ['noequals', '=x', '1st=x', 'a b=c']) {
      expect(() => parseTagArgs([bad])).toThrow(ConfigError);
    }
  });

  it("validates the test's tags: a map of strings with tag names", () => {
    expect(parseTest({ ...base, tags: { profile: 'weekday', 'build.id': '7' } }, 't.yaml').tags).toEqual({
      profile: 'weekday',
      'build.id': '7',
    });
    expect(parseTest(base, 't.yaml').tags).toBeUndefined();
    expect(() => parseTest({ ...base, tags: { profile: 3 } }, 't.yaml')).toThrow(/tags\.profile/);
    expect(() => parseTest({ ...base, tags: { 'bad name': 'x' } }, 't.yaml')).toThrow(/tags/);
  });
});
