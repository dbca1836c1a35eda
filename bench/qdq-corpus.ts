/**
 * The pre-quantized (QDQ / QLinear) models of the shared corpus through the whole pipeline
 * (compile → dev setup → prove → verify), one line each: `node dist/bench/qdq-corpus.js`.
 * The full corpus table is bench/corpus-table.ts; this is the quick rerun for the quantized rows.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir, readCorpusIndex, runCorpusModel } from '../tools/corpus/run-corpus-model';

const QUANTIZED = /QuantizeLinear|DequantizeLinear|QLinear|MatMulInteger|ConvInteger/;

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-qdq-'));
  try {
    for (const row of readCorpusIndex().filter((r) => QUANTIZED.test(r.ops))) {
      const r = await runCorpusModel(path.join(corpusDir(), row.model), work, { cacheDir: process.env.ZKML_CACHE_DIR });
      const what =
        r.status === 'proved' ? `proved, verified=${r.verified}, ${r.constraints} constraints, max abs error ${r.maxAbsError} (tolerance ${r.tolerance})` : `${r.status}: ${r.code} ${r.reason}`;
      console.log(`| ${row.model} | ${row.tier} | ${what} |`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
