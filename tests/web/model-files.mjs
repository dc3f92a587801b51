// Model files the page tests drop, made from the real models by editing their bytes in place
// (a flatbuffer's scalars and vector elements can change without moving anything): a file cut
// short, random bytes, every int8 tensor retyped int16, every int8 activation retyped float32,
// and rock-paper-scissors with its output moved to its first pooled map (a 41×41×16 map output).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, VWW } from './harness.mjs';

export const RPS = join(ROOT, 'models/mltk/rock_paper_scissors.tflite');
export const CIFAR = join(ROOT, 'models/mltk/image_classification.tflite');

// TFLite's schema (schema.fbs): the fields these edits reach, by their index in each table.
const MODEL = { subgraphs: 2, buffers: 4 };
const SUBGRAPH = { tensors: 0, outputs: 2, operators: 3 };
const TENSOR = { type: 1, buffer: 2 };
const OPERATOR = { outputs: 2 };
const BUFFER = { data: 0 };
const TYPE = { float32: 0, int16: 7, int8: 9 };

/// A reader over a .tflite's bytes: tables, their fields, and vectors of tables or scalars.
function flatbuffer(bytes) {
  const field = (table, i) => {
    const vtable = table - bytes.readInt32LE(table);
    return 4 + 2 * i < bytes.readUInt16LE(vtable) ? bytes.readUInt16LE(vtable + 4 + 2 * i) : 0;
  };
  const vector = (table, i) => {
    const at = field(table, i);
    if (!at) return { length: 0, start: 0 };
    const start = table + at + bytes.readUInt32LE(table + at);
    return { length: bytes.readUInt32LE(start), start: start + 4 };
  };
  const tables = (table, i) => {
    const { length, start } = vector(table, i);
    return Array.from({ length }, (_, k) => start + 4 * k + bytes.readUInt32LE(start + 4 * k));
  };
  const subgraph = tables(bytes.readUInt32LE(0), MODEL.subgraphs)[0];
  return { field, vector, tables, subgraph, buffers: tables(bytes.readUInt32LE(0), MODEL.buffers) };
}

/// `path` with its int8 tensors retyped `type` (only those without constant data: `activations`).
function retyped(path, type, { activations = false } = {}) {
  const bytes = readFileSync(path);
  const fb = flatbuffer(bytes);
  for (const tensor of fb.tables(fb.subgraph, SUBGRAPH.tensors)) {
    const at = fb.field(tensor, TENSOR.type);
    if (!at || bytes[tensor + at] !== TYPE.int8) continue;
    const buffer = fb.field(tensor, TENSOR.buffer) ? bytes.readUInt32LE(tensor + fb.field(tensor, TENSOR.buffer)) : 0;
    if (activations && buffer && fb.vector(fb.buffers[buffer], BUFFER.data).length) continue;
    bytes[tensor + at] = TYPE[type];
  }
  return bytes;
}

/// `path` whose (single) output is op `op`'s output instead.
function cutAt(path, op) {
  const bytes = readFileSync(path);
  const fb = flatbuffer(bytes);
  const tensor = bytes.readInt32LE(fb.vector(fb.tables(fb.subgraph, SUBGRAPH.operators)[op], OPERATOR.outputs).start);
  bytes.writeInt32LE(tensor, fb.vector(fb.subgraph, SUBGRAPH.outputs).start);
  return bytes;
}

/// The files, by name: their bytes.
export const modelFiles = () => ({
  'cut_short.tflite': readFileSync(VWW).subarray(0, 12480),
  'random.tflite': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)),
  'int16.tflite': retyped(VWW, 'int16'),
  'float.tflite': retyped(VWW, 'float32', { activations: true }),
  'rps_map.tflite': cutAt(RPS, 2),
});

/// Drops a file of `bytes` named `name` on the page, as a user dragging it from their desktop.
export async function drop(page, name, bytes) {
  await page.evaluate(([name, bytes]) => {
    const drop = new DragEvent('drop', { dataTransfer: new DataTransfer(), bubbles: true, cancelable: true });
    drop.dataTransfer.items.add(new File([new Uint8Array(bytes)], name));
    document.body.dispatchEvent(drop);
  }, [name, [...bytes]]);
}
