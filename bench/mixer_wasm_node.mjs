// Times the WebAssembly mixer chain in Node's V8 (the browser's engine) through the page's own
// wrapper, static/mixer/wasm-chain.js. Driven by bench/mixer_wasm.py:
//   node bench/mixer_wasm_node.mjs MODULE.wasm SIGNAL.f32 SETTINGS.json OUTPUT.f32 FRAME
// prints {"median_us", "p99_us", "rss_mb"} and writes the processed samples to OUTPUT. RSS is
// read at the end, not getrusage's maximum, which on Linux counts the forking parent.
import { readFileSync, writeFileSync } from "node:fs";
import { WasmChain, flatten } from "../static/mixer/wasm-chain.js";

const [modulePath, signalPath, settingsPath, outputPath, frameArg] = process.argv.slice(2);
const frame = Number(frameArg);
const signal = new Float32Array(readFileSync(signalPath).buffer.slice(0));
const chain = new WasmChain(new WebAssembly.Module(readFileSync(modulePath)), 48000);
const rejected = chain.configure(flatten(JSON.parse(readFileSync(settingsPath, "utf8"))));
if (rejected) throw new Error(`settings rejected: ${rejected}`);

const output = new Float32Array(signal.length);
const times = [];
for (let start = 0; start + frame <= signal.length; start += frame) {
  const begin = process.hrtime.bigint();
  chain.process(signal.subarray(start, start + frame), output.subarray(start, start + frame));
  times.push(Number(process.hrtime.bigint() - begin) / 1000);
}
writeFileSync(outputPath, Buffer.from(output.buffer));
const sorted = times.slice(200).sort((a, b) => a - b); // the first 200: JIT warm-up
const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
console.log(JSON.stringify({
  median_us: at(0.5), p99_us: at(0.99), rss_mb: process.memoryUsage().rss / 2 ** 20,
}));
