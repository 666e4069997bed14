export { readSafetensors, readSafetensorsFile, readSafetensorsHeader, writeSafetensors, MAX_HEADER_BYTES, MAX_JSON_DEPTH } from './safetensors.js';
export type { SafetensorsFile, SafetensorsHeader, TensorEntry } from './safetensors.js';
export { save, load, saveFile, loadFile, MODEL_FORMAT, MODEL_FORMAT_VERSION, LOAD_LIMITS } from './model.js';
export { readCheckpoint, writeCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './checkpoint.js';
export type { Checkpoint, TrainingState, CheckpointModel } from './checkpoint.js';
export { writeFileAtomic, readFileBytes } from './file.js';
export { crc32 } from './crc32.js';
export { toOnnx } from './onnx.js';
export type { OnnxOptions } from './onnx.js';
