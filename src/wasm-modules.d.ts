// Edge bundlers (wrangler, Vercel) turn `import x from './f.wasm'` into a
// compiled WebAssembly.Module.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
