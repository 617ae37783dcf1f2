import { describe, expect, it } from 'vitest';
import { effectOf, mergeLines, recordedDelta, sameLines } from '../src/services/stock-rules.ts';

const KINDS = ['ADJUSTMENT', 'RESERVE', 'COMMIT', 'RELEASE', 'EXPIRE'] as const;

describe('effectOf', () => {
  it('keeps onHand = reserved + available for every kind', () => {
    for (const kind of KINDS) {
      for (const units of [1, 7, 1_000_000]) {
        const effect = effectOf(kind, units);
        expect(effect.onHand, kind).toBe(effect.reserved + effect.available);
      }
    }
  });

  it('moves units between the right numbers', () => {
    expect(effectOf('ADJUSTMENT', -4)).toEqual({ onHand: -4, reserved: 0, available: -4 });
    expect(effectOf('RESERVE', 3)).toEqual({ onHand: 0, reserved: 3, available: -3 });
    expect(effectOf('COMMIT', 3)).toEqual({ onHand: -3, reserved: -3, available: 0 });
    expect(effectOf('RELEASE', 3)).toEqual({ onHand: 0, reserved: -3, available: 3 });
    expect(effectOf('EXPIRE', 3)).toEqual({ onHand: 0, reserved: -3, available: 3 });
  });

  it('records a non-zero delta whose sign says whether stock became scarcer', () => {
    expect(KINDS.map((kind) => recordedDelta(kind, 2))).toEqual([2, -2, -2, 2, 2]);
    expect(recordedDelta('ADJUSTMENT', -5)).toBe(-5);
  });
});

describe('mergeLines', () => {
  it('sums lines of the same product and sorts by product id (code units, not locale)', () => {
    expect(
      mergeLines([
        { productId: 'b', quantity: 1 },
        { productId: 'B', quantity: 2 },
        { productId: 'a', quantity: 3 },
        { productId: 'b', quantity: 4 },
      ]),
    ).toEqual([
      { productId: 'B', quantity: 2 },
      { productId: 'a', quantity: 3 },
      { productId: 'b', quantity: 5 },
    ]);
  });

  it('compares merged requests', () => {
    const a = mergeLines([{ productId: 'x', quantity: 1 }, { productId: 'x', quantity: 1 }]);
    expect(sameLines(a, [{ productId: 'x', quantity: 2 }])).toBe(true);
    expect(sameLines(a, [{ productId: 'x', quantity: 3 }])).toBe(false);
    expect(sameLines(a, [{ productId: 'x', quantity: 2 }, { productId: 'y', quantity: 1 }])).toBe(false);
  });
});
