/**
 * EZKL-style input files for a single-input graph: {"input_data": [sample, ...]}, each sample the
 * flattened graph input. input.json holds one sample, calibration.json many.
 */
import * as fs from 'node:fs';

export interface EzklInput {
  input_data: number[][];
}

/** One sample per line so the committed files diff readably. */
export function writeEzklInput(file: string, samples: ArrayLike<number>[]): void {
  const rows = samples.map((s) => `[${Array.from(s).join(', ')}]`);
  fs.writeFileSync(file, `{"input_data": [\n${rows.join(',\n')}\n]}\n`);
}

export function readEzklInput(file: string): EzklInput {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as EzklInput;
}
