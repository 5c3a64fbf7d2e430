import { parseToolArgs, ToolCallAssembler } from './tool-args';

describe('tool call assembly', () => {
  it('joins argument fragments by index and keeps index order', () => {
    const tools = new ToolCallAssembler();
    tools.append(1, { id: 'b', name: 'write', args: '{"pa' });
    tools.append(0, { id: 'a', name: 'read', args: '' });
    tools.append(1, { args: 'th": "x.ts", ' });
    tools.append(0, { args: '{"path":"y.ts"}' });
    tools.append(1, { args: '"n": 2}' });
    expect(tools.finish()).toEqual([
      { id: 'a', name: 'read', args: { path: 'y.ts' } },
      { id: 'b', name: 'write', args: { path: 'x.ts', n: 2 } },
    ]);
  });

  it('does not double a name that a server repeats in every fragment', () => {
    const tools = new ToolCallAssembler();
    tools.append(0, { id: 'a', name: 'read', args: '{' });
    tools.append(0, { name: 'read', args: '}' });
    expect(tools.finish()).toEqual([{ id: 'a', name: 'read', args: {} }]);
  });

  it('gives a call without an id one from its index', () => {
    const tools = new ToolCallAssembler();
    tools.append(2, { name: 'ls' });
    expect(tools.finish()).toEqual([{ id: 'call_2', name: 'ls', args: {} }]);
  });

  it('reports arguments that are not a JSON object instead of throwing', () => {
    expect(parseToolArgs('')).toEqual({ args: {} });
    expect(parseToolArgs('[1]').error).toMatch(/JSON object/);
    expect(parseToolArgs('{"a":').error).toMatch(/not valid JSON/);
    const tools = new ToolCallAssembler();
    tools.append(0, { id: 'a', name: 'x', args: '{"a":' });
    expect(tools.finish()).toEqual([{ id: 'a', name: 'x', args: {}, argsError: expect.stringMatching(/not valid JSON/), rawArgs: '{"a":' }]);
  });
});
