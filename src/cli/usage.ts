/** The `zkml` usage text: printed by --help and appended to usage errors (kept apart so commands can cite it). */
export const USAGE = `usage:
  zkml compile <model.onnx> --out DIR [--calibration FILE] [--input-visibility public|private|hashed]
               [--output-visibility public|hashed] [--weight-visibility fixed|private [--weights-salt S]] [--batch K]
               [--input-bits N] [--weight-bits N] [--activation-bits N] [--input-range LO,HI]
               [--max-constraints N] [--max-error E] [--target balanced|accuracy|resources] [--leading-dim N] [--dim NAME=N ...] [--circom-timeout S] [--backend direct|circom]
  zkml setup DIR [--ptau FILE|DIR [--allow-unknown-ptau]] [--contributions N]
  zkml ceremony init --dir DIR [--ptau FILE|DIR [--allow-unknown-ptau]]
  zkml ceremony export --dir DIR --out FILE
  zkml ceremony contribute IN.zkey OUT.zkey --name NAME [--entropy TEXT]
  zkml ceremony accept FILE --dir DIR --name NAME
  zkml ceremony finish --dir DIR --beacon HEX --iterations N
  zkml ceremony status --dir DIR
  zkml commit [INPUT] --dir DIR [--input-salt S] [--output-salt S]   (no INPUT: the weights commitment)
  zkml prove DIR --input FILE --out RECEIPT [--input-salt S] [--output-salt S]
  zkml verify RECEIPT --dir DIR [--weights-commitment C] [--onchain [--rpc URL] [--key HEX] [--address ADDR]]
  zkml verify RECEIPT --vk verification_key.json [--weights-commitment C]   (the key alone: proof + decoded outputs)
  zkml calldata RECEIPT
  zkml audit DIR --input FILE [--per-class N]   (soundness: mutate the witness, expect every change refused)
  zkml abi                       (the ZkmlRegistry ABI as JSON; see docs/contracts.md)
  zkml registry deploy --rpc URL --key HEX
  zkml registry register DIR --registry ADDR --rpc URL --key HEX [--verifier ADDR]
  zkml registry submit RECEIPT --registry ADDR --model-id N --rpc URL --key HEX
  zkml registry provenance [DIR] --registry ADDR --model-id N --rpc URL --key HEX

  zkml serve      (the HTTP service; configured by environment variables, see docs/service.md)
  zkml worker     (a scale-out job worker: needs REDIS_URL and DATABASE_URL)`;
