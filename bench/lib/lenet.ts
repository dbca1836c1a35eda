/**
 * LeNet-class CNNs for the compile benchmark, with seeded random weights (their accuracy is not the
 * point: their circuit shape is). The ONNX Model Zoo's mnist-8 is not in this repository or the
 * corpus, so `mnist8Like` rebuilds its architecture: Conv 5×5×8 (same padding) + bias, Relu,
 * MaxPool 2, Conv 5×5×16 (same padding) + bias, Relu, MaxPool 3 (stride 3), Flatten 256 (mnist-8 has a Reshape to [1, 256]), MatMul
 * 256×10 + bias. `lenet5` is the classic 6- and 16-channel 5×5 conv stack with dense 120, 84, 10.
 */
import { seededRng } from '../../models/rng';
import { InitializerSpec, NodeSpec, writeOnnx } from '../../src/onnx/writer';

function weights(seed: number, dims: number[], fanIn: number): InitializerSpec['data'] {
  const rng = seededRng(seed);
  const n = dims.reduce((a, d) => a * d, 1);
  const scale = Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

export function mnist8Like(): Uint8Array {
  const conv = (i: number, input: string): NodeSpec[] => [
    { opType: 'Conv', name: `conv${i}`, inputs: [input, `w${i}`, `b${i}`], outputs: [`c${i}`], attributes: { kernel_shape: [5, 5], pads: [2, 2, 2, 2] } },
    { opType: 'Relu', name: `relu${i}`, inputs: [`c${i}`], outputs: [`r${i}`] },
  ];
  return writeOnnx({
    name: 'mnist-8-like',
    inputs: [{ name: 'Input3', elemType: 'float32', shape: [1, 1, 28, 28] }],
    outputs: [{ name: 'Plus214_Output_0', elemType: 'float32', shape: [1, 10] }],
    initializers: [
      { name: 'w1', dims: [8, 1, 5, 5], data: weights(1, [8, 1, 5, 5], 25) },
      { name: 'b1', dims: [8], data: new Float32Array(8).fill(0.01) },
      { name: 'w2', dims: [16, 8, 5, 5], data: weights(2, [16, 8, 5, 5], 200) },
      { name: 'b2', dims: [16], data: new Float32Array(16).fill(0.01) },
      { name: 'w3', dims: [256, 10], data: weights(3, [256, 10], 256) },
      { name: 'b3', dims: [1, 10], data: new Float32Array(10) },
    ],
    nodes: [
      ...conv(1, 'Input3'),
      { opType: 'MaxPool', name: 'pool1', inputs: ['r1'], outputs: ['p1'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
      ...conv(2, 'p1'),
      { opType: 'MaxPool', name: 'pool2', inputs: ['r2'], outputs: ['p2'], attributes: { kernel_shape: [3, 3], strides: [3, 3] } },
      { opType: 'Flatten', name: 'reshape', inputs: ['p2'], outputs: ['flat'], attributes: { axis: 1 } },
      { opType: 'MatMul', name: 'times', inputs: ['flat', 'w3'], outputs: ['mm'] },
      { opType: 'Add', name: 'plus', inputs: ['mm', 'b3'], outputs: ['Plus214_Output_0'] },
    ],
  });
}

export function lenet5(): Uint8Array {
  const dense = (i: number, input: string, out: string, relu: boolean): NodeSpec[] => [
    { opType: 'Gemm', name: `fc${i}`, inputs: [input, `fw${i}`, `fb${i}`], outputs: [relu ? `g${i}` : out], attributes: { transB: 1 } },
    ...(relu ? [{ opType: 'Relu', name: `frelu${i}`, inputs: [`g${i}`], outputs: [out] }] : []),
  ];
  const fc = (i: number, nin: number, nout: number): InitializerSpec[] => [
    { name: `fw${i}`, dims: [nout, nin], data: weights(10 + i, [nout, nin], nin) },
    { name: `fb${i}`, dims: [nout], data: new Float32Array(nout) },
  ];
  return writeOnnx({
    name: 'lenet-5',
    inputs: [{ name: 'input', elemType: 'float32', shape: [1, 1, 28, 28] }],
    outputs: [{ name: 'logits', elemType: 'float32', shape: [1, 10] }],
    initializers: [
      { name: 'w1', dims: [6, 1, 5, 5], data: weights(4, [6, 1, 5, 5], 25) },
      { name: 'b1', dims: [6], data: new Float32Array(6) },
      { name: 'w2', dims: [16, 6, 5, 5], data: weights(5, [16, 6, 5, 5], 150) },
      { name: 'b2', dims: [16], data: new Float32Array(16) },
      ...fc(1, 256, 120),
      ...fc(2, 120, 84),
      ...fc(3, 84, 10),
    ],
    nodes: [
      { opType: 'Conv', name: 'conv1', inputs: ['input', 'w1', 'b1'], outputs: ['c1'], attributes: { kernel_shape: [5, 5] } },
      { opType: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      { opType: 'MaxPool', name: 'pool1', inputs: ['r1'], outputs: ['p1'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
      { opType: 'Conv', name: 'conv2', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'], attributes: { kernel_shape: [5, 5] } },
      { opType: 'Relu', name: 'relu2', inputs: ['c2'], outputs: ['r2'] },
      { opType: 'MaxPool', name: 'pool2', inputs: ['r2'], outputs: ['p2'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
      { opType: 'Flatten', name: 'flatten', inputs: ['p2'], outputs: ['flat'], attributes: { axis: 1 } },
      ...dense(1, 'flat', 'h1', true),
      ...dense(2, 'h1', 'h2', true),
      ...dense(3, 'h2', 'logits', false),
    ],
  });
}
