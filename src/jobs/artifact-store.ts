/**
 * The content-addressed artifact folder that the API and all workers share: uploaded ONNX files by
 * sha256, and one build folder per model id (the ONNX hash) written by the compile job.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256Bytes, writeFileAtomic } from '../formats/artifacts';

export class ArtifactStore {
  constructor(readonly root: string) {
    fs.mkdirSync(path.join(root, 'onnx'), { recursive: true });
    fs.mkdirSync(path.join(root, 'builds'), { recursive: true });
  }

  /** Stores ONNX bytes under their hash; returns the hash (the model id). */
  putOnnx(bytes: Uint8Array): string {
    const id = sha256Bytes(bytes);
    const file = this.onnxPath(id);
    if (!fs.existsSync(file)) writeFileAtomic(file, bytes);
    return id;
  }

  onnxPath(id: string): string {
    return path.join(this.root, 'onnx', `${id}.onnx`);
  }

  buildDir(id: string): string {
    return path.join(this.root, 'builds', id);
  }

  /** Removes the model's ONNX file and build folder. */
  remove(id: string): void {
    fs.rmSync(this.buildDir(id), { recursive: true, force: true });
    fs.rmSync(this.onnxPath(id), { force: true });
  }
}
