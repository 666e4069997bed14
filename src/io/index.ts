export { readSafetensors, readSafetensorsFile, writeSafetensors, MAX_HEADER_BYTES } from './safetensors.js';
export type { SafetensorsFile } from './safetensors.js';
