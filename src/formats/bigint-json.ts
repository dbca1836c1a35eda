/** QuantizedModel ⇄ JSON (bigints as decimal strings), the content of compiled.json. */
import type { QuantizedModel } from './quantized-model';

/** JSON with bigints written as decimal strings. */
export function stringifyWithBigints(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * The text of stringifyWithBigints(value), handed to `write` in pieces: objects and arrays down to
 * `depth` levels are written member by member, so no single string holds a large model's JSON
 * (V8 caps a string at about 512 MiB; a corpus transformer's compiled.json is more).
 */
export function writeJsonWithBigints(value: unknown, write: (piece: string) => void, depth = 3): void {
  const json = (v: unknown) => stringifyWithBigints(v);
  if (depth <= 0 || value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    write(json(value));
    return;
  }
  if (Array.isArray(value)) {
    write('[');
    value.forEach((item, i) => {
      if (i > 0) write(',');
      // JSON.stringify writes null for what it cannot write in an array.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') write('null');
      else writeJsonWithBigints(item, write, depth - 1);
    });
    write(']');
    return;
  }
  write('{');
  let first = true;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    write(`${first ? '' : ','}${JSON.stringify(k)}:`);
    first = false;
    writeJsonWithBigints(v, write, depth - 1);
  }
  write('}');
}

/** Turns the decimal strings of a parsed QuantizedModel back into bigints, in place. */
export function reviveModel(m: QuantizedModel): QuantizedModel {
  for (const input of m.inputs) {
    input.lo = BigInt(input.lo);
    input.hi = BigInt(input.hi);
  }
  for (const layer of m.layers) {
    for (const row of layer.rows) {
      row.bias = BigInt(row.bias);
      for (const term of row.terms) term[2] = BigInt(term[2]);
      for (const term of row.paramTerms ?? []) term[1] = BigInt(term[1]);
    }
    for (const g of layer.gadgets ?? []) {
      if (g.kind === 'requantize') g.lo = BigInt(g.lo);
      if (g.kind === 'divide' || g.kind === 'modulo') g.qlo = BigInt(g.qlo);
    }
    for (const term of [...(layer.divide?.divisors ?? []), ...(layer.modulo?.divisors ?? [])]) term[2] = BigInt(term[2]);
    if (layer.segments) {
      const t = layer.segments;
      [t.lo, t.hi, t.alpha, t.beta] = [t.lo, t.hi, t.alpha, t.beta].map((v) => v.map((x) => BigInt(x)));
    }
  }
  for (const g of m.params ?? []) {
    g.lo = BigInt(g.lo);
    g.values = g.values.map((v) => BigInt(v));
  }
  return m;
}
