import { groupCommit } from './group-commit';

/** A statement the test ends by hand: the items it carried, and its end. */
interface Statement {
  readonly items: readonly number[];
  end(fail?: boolean): Promise<void>;
}

function harness(limits: { inFlight?: number; maxSize?: number }, sizeOf: (item: number) => number = () => 1) {
  const statements: Statement[] = [];
  const settled: number[] = [];
  const statement = (items: readonly number[]) => new Promise<void>((resolve, reject) => {
    statements.push({
      items,
      end: async (fail = false) => {
        if (fail) reject(new Error('statement failed'));
        else resolve();
        // Let the group commit start what waited.
        await new Promise((r) => setImmediate(r));
      },
    });
  });
  const submit = groupCommit<number, number>({
    alone: (item) => statement([item]).then(() => void settled.push(item), () => undefined),
    together: async (items) => {
      await statement(items);
      return items;
    },
    settle: (item) => void settled.push(item),
    sizeOf,
  }, limits);
  return { statements, settled, submit };
}

describe('group commit', () => {
  it('sends an item at once while fewer statements than the limit are in flight', () => {
    const { statements, submit } = harness({ inFlight: 2 });
    submit(1);
    submit(2);
    expect(statements.map((s) => s.items)).toEqual([[1], [2]]);
  });

  it('groups what comes while the limit is in flight into the next statement, in the order it came', async () => {
    const { statements, submit } = harness({ inFlight: 1 });
    submit(1);
    for (let i = 2; i <= 6; i++) submit(i);
    expect(statements.map((s) => s.items)).toEqual([[1]]);
    await statements[0]!.end();
    expect(statements.map((s) => s.items)).toEqual([[1], [2, 3, 4, 5, 6]]);
    await statements[1]!.end();
    submit(7);
    expect(statements.at(-1)!.items).toEqual([7]);
  });

  it('keeps a statement within maxSize, and sends an item larger than it alone', async () => {
    const { statements, submit } = harness({ inFlight: 1, maxSize: 5 }, (item) => item);
    submit(1);
    submit(2);
    submit(3);
    submit(9);
    submit(1);
    await statements[0]!.end();
    expect(statements[1]!.items).toEqual([2, 3]);
    await statements[1]!.end();
    expect(statements[2]!.items).toEqual([9]);
    await statements[2]!.end();
    expect(statements[3]!.items).toEqual([1]);
  });

  it('goes on with what waits after a statement fails', async () => {
    const { statements, submit } = harness({ inFlight: 1 });
    submit(1);
    submit(2);
    await statements[0]!.end(true);
    expect(statements.map((s) => s.items)).toEqual([[1], [2]]);
  });

  it('tries a group whose statement failed item by item, in order, each settled once', async () => {
    const { statements, settled, submit } = harness({ inFlight: 1 });
    submit(1);
    submit(2);
    submit(3);
    await statements[0]!.end();
    expect(statements[1]!.items).toEqual([2, 3]);
    await statements[1]!.end(true);
    expect(statements[2]!.items).toEqual([2]);
    await statements[2]!.end();
    expect(statements[3]!.items).toEqual([3]);
    await statements[3]!.end();
    expect(settled).toEqual([1, 2, 3]);
  });
});
