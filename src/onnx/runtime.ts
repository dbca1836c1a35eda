/** onnxruntime-node: the float yardstick. A model it refuses is invalid ONNX and is refused here too. */
import * as ort from 'onnxruntime-node';
import { ZkmlError } from '../errors';
import type { ValueInfo } from '../formats/graph';
import { raiseOpset10ForFloatEqual } from './opset-repair';

export type OrtSession = ort.InferenceSession;

const openSession = (bytes: Uint8Array) => ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, logSeverityLevel: 3 });

export async function createOrtSession(bytes: Uint8Array): Promise<OrtSession> {
  try {
    return await openSession(bytes);
  } catch (err) {
    // An opset-10 export that compares floats with Equal loads as opset 11 (opset-repair.ts says when).
    const repaired = raiseOpset10ForFloatEqual(bytes);
    if (repaired) return openSession(repaired).catch(() => Promise.reject(refused(err)));
    throw refused(err);
  }
}

function refused(err: unknown): ZkmlError {
  return new ZkmlError('ONNXRUNTIME_REFUSED', `onnxruntime refuses the model: ${String((err as Error).message).split('\n')[0]}`, undefined, { cause: err });
}

function toOrtTensor(info: ValueInfo, data: Float64Array): ort.Tensor {
  switch (info.elemType) {
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(data), info.shape);
    case 'bool':
      return new ort.Tensor(
        'bool',
        Uint8Array.from(data, (v) => (v ? 1 : 0)),
        info.shape,
      );
    case 'int64':
      return new ort.Tensor(
        'int64',
        BigInt64Array.from(data, (v) => BigInt(Math.round(v))),
        info.shape,
      );
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(data), info.shape);
    case 'uint8':
      return new ort.Tensor('uint8', Uint8Array.from(data), info.shape);
    case 'int8':
      return new ort.Tensor('int8', Int8Array.from(data), info.shape);
    default:
      return new ort.Tensor('float32', Float32Array.from(data), info.shape);
  }
}

export interface OrtOutput {
  name: string;
  shape: number[];
  values: number[];
}

export async function runOrt(session: OrtSession, inputs: ValueInfo[], sample: Map<string, Float64Array>): Promise<OrtOutput[]> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const info of inputs) feeds[info.name] = toOrtTensor(info, sample.get(info.name)!);
  try {
    const results = await session.run(feeds);
    return session.outputNames.map((name) => {
      const t = results[name];
      return { name, shape: [...t.dims], values: Array.from(t.data as ArrayLike<number | bigint | boolean>, (v) => Number(v)) };
    });
  } catch (err) {
    throw new ZkmlError('ONNXRUNTIME_REFUSED', `onnxruntime cannot run the model: ${String((err as Error).message).split('\n')[0]}`, undefined, { cause: err });
  }
}
