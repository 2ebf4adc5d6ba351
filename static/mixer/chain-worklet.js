// AudioWorklet: the WebAssembly mixer chain over the 128-sample render quantum.
//
// The chain works on 960-sample frames (20 ms at 48 kHz), which 128-sample quanta do not
// divide, so input collects in a frame buffer and output leaves through a ring buffer. The
// ring starts with one frame of silence. Before quantum q is read it then holds
// 960 + 128 (q + 1) - r - 128 q = 1088 - r samples, r = 128 (q + 1) mod 960 <= 896: never
// fewer than 192, so it never runs dry, and the output lags the input by a constant
// frameSize + chain latency samples (960 + 72 = 1032, 21.5 ms).
import { WasmChain } from "./wasm-chain.js";

class SampleRing {
  constructor(capacity) {
    this.data = new Float32Array(capacity);
    this.readAt = 0;
    this.size = 0;
  }

  write(samples) {
    for (let i = 0; i < samples.length; i++) {
      this.data[(this.readAt + this.size + i) % this.data.length] = samples[i];
    }
    this.size += samples.length;
  }

  read(into) {
    const n = Math.min(into.length, this.size);
    for (let i = 0; i < n; i++) into[i] = this.data[(this.readAt + i) % this.data.length];
    into.fill(0, n); // only if the ring ran dry, which the priming rules out
    this.readAt = (this.readAt + n) % this.data.length;
    this.size -= n;
  }
}

class MixerChainProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { module, frameSize, settings, meters } = options.processorOptions;
    this.frame = new Float32Array(frameSize);
    this.processed = new Float32Array(frameSize);
    this.filled = 0;
    this.sendMeters = meters;
    this.ring = new SampleRing(2 * frameSize + 256);
    this.ring.write(new Float32Array(frameSize));
    try {
      this.chain = new WasmChain(module, sampleRate);
    } catch (error) {
      this.chain = null;
      this.port.postMessage({ type: "error", message: String(error) });
      return;
    }
    this.port.onmessage = (event) => {
      if (event.data.type === "config") this.configure(event.data.values);
    };
    this.configure(settings);
    this.port.postMessage({ type: "ready", latency: frameSize + this.chain.latency });
  }

  configure(values) {
    this.port.postMessage({ type: "configured", rejected: this.chain.configure(values) });
  }

  process(inputs, outputs) {
    const output = outputs[0];
    if (!this.chain) {
      output.forEach((channel) => channel.fill(0));
      return true;
    }
    this.push(inputs[0][0], output[0].length); // mono: channelCount 1 makes the browser downmix
    this.ring.read(output[0]);
    for (let c = 1; c < output.length; c++) output[c].set(output[0]);
    return true;
  }

  // Append a quantum (silence when nothing is connected) and run every frame it completes.
  push(input, length) {
    for (let at = 0; at < length; ) {
      const take = Math.min(length - at, this.frame.length - this.filled);
      if (input) this.frame.set(input.subarray(at, at + take), this.filled);
      else this.frame.fill(0, this.filled, this.filled + take);
      this.filled += take;
      at += take;
      if (this.filled === this.frame.length) this.runFrame();
    }
  }

  runFrame() {
    const meters = this.chain.process(this.frame, this.processed);
    this.ring.write(this.processed);
    this.filled = 0;
    if (meters === null) this.port.postMessage({ type: "error", message: "non-finite input" });
    else if (this.sendMeters) this.port.postMessage({ type: "meters", ...meters });
  }
}

registerProcessor("mixer-chain", MixerChainProcessor);
