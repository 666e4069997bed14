export { readSafetensors, readSafetensorsFile, writeSafetensors, MAX_HEADER_BYTES } from './safetensors.js';
export type { SafetensorsFile } from './safetensors.js';
export { save, load, MODEL_FORMAT, MODEL_FORMAT_VERSION } from './model.js';
