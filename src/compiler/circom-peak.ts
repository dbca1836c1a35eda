/**
 * Preloaded into the circom child (`node --require`): at exit it writes the process's peak resident
 * memory on stderr, where compileCircom reads it back. circom2 runs circom's WebAssembly inside that
 * node process, so this is circom's own peak (its wasm memory included).
 */
import { CIRCOM_PEAK_MARK } from './circom-peak-mark';

process.on('exit', () => {
  process.stderr.write(`\n${CIRCOM_PEAK_MARK}${process.resourceUsage().maxRSS}\n`);
});
