export { readSafetensors, readSafetensorsFile, writeSafetensors, MAX_HEADER_BYTES } from './safetensors.js';
export type { SafetensorsFile } from './safetensors.js';
export { save, load, saveFile, loadFile, MODEL_FORMAT, MODEL_FORMAT_VERSION } from './model.js';
export { readCheckpoint, writeCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './checkpoint.js';
export type { Checkpoint, TrainingState } from './checkpoint.js';
export { writeFileAtomic, readFileBytes } from './file.js';
export { crc32 } from './crc32.js';
export { toOnnx } from './onnx.js';
