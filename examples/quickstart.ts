// The quickstart as a TypeScript test: the same object as the YAML, fully typed.
//   npx tokenstorm run examples/quickstart.ts
import { defineTest } from 'tokenstorm';

export default defineTest({
  name: 'chat-quickstart-ts',
  target: 'mock',
  scenarios: [
    {
      name: 'chat',
      steps: [
        {
          chat: {
            model: 'mock-model',
            max_tokens: 64,
            messages: [{ role: 'user', content: 'Explain load testing in one paragraph.' }],
          },
        },
      ],
    },
  ],
  load: { executor: 'constant-vus', vus: 5, duration: '10s' },
  thresholds: { ttft_ms: ['p99 < 2000'], error_rate: ['< 0.01'] },
});
