/**
 * @module protocols/tool-calls
 * Assembles the tool calls of an OpenAI-compatible answer from its streamed
 * deltas (`choices[0].delta.tool_calls[i]`: `index`, then `id`, `function.name`
 * and `function.arguments` in any number of pieces, several calls in one turn)
 * or from a whole message. Pure: an agent loop must send back exactly the
 * calls the model made, whatever the chunking.
 */

/** One tool call as the model made it. */
export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as sent: a JSON text, concatenated from every piece. */
  arguments: string;
}

interface CallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/** Folds tool-call deltas into calls, by their `index` (a delta without one continues the last call). */
export class ToolCallAssembler {
  readonly #calls: ToolCall[] = [];
  #last = -1;

  /** Adds the `tool_calls` array of one delta (or of a whole message). */
  add(deltas: unknown): void {
    if (!Array.isArray(deltas)) return;
    for (let i = 0; i < deltas.length; i++) {
      const d = deltas[i] as CallDelta | null;
      if (d === null || typeof d !== 'object') continue;
      const index = typeof d.index === 'number' ? d.index : this.#last >= 0 ? this.#last : i;
      this.#last = index;
      let call = this.#calls[index];
      if (call === undefined) {
        call = { id: '', name: '', arguments: '' };
        this.#calls[index] = call;
      }
      // Some servers repeat the id and name on every piece: set once, never appended.
      if (typeof d.id === 'string' && d.id !== '' && call.id === '') call.id = d.id;
      const f = d.function;
      if (f !== undefined && f !== null) {
        if (typeof f.name === 'string' && f.name !== '' && call.name === '') call.name = f.name;
        if (typeof f.arguments === 'string') call.arguments += f.arguments;
      }
    }
  }

  /** The calls so far, in index order (gaps left by missing indexes dropped). */
  calls(): ToolCall[] {
    return this.#calls.filter((c) => c !== undefined);
  }

  get size(): number {
    return this.calls().length;
  }
}
