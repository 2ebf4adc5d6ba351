// The mixer chain's WebAssembly module (wasm/mixer_chain.c, served at /wasm): one instance is
// one stream with its own state. Used by the AudioWorklet and, once at load, by the page to
// check that the module instantiates. No TextDecoder: AudioWorkletGlobalScope lacks it.

// The module imports its transcendental functions from the host; JS Math gives the same
// values as the server's libm to within an ulp.
export const HOST_MATH = {
  exp: Math.exp, log: Math.log, pow: Math.pow, sin: Math.sin, cos: Math.cos, log10: Math.log10,
};

export class WasmChain {
  constructor(module, sampleRate) {
    this.api = new WebAssembly.Instance(module, { env: HOST_MATH }).exports;
    if (this.api.chain_init(sampleRate) !== 0) {
      throw new Error(`the mixer chain does not support ${sampleRate} Hz`);
    }
    const count = this.api.chain_param_count();
    this.names = Array.from({ length: count }, (_, i) => this.#string(this.api.chain_param_name(i)));
    this.latency = this.api.chain_latency(); // samples
  }

  #string(pointer) {
    const bytes = new Uint8Array(this.api.memory.buffer, pointer, 64);
    return String.fromCharCode(...bytes.subarray(0, bytes.indexOf(0)));
  }

  #view(Type, pointer, length) {
    return new Type(this.api.memory.buffer, pointer, length);
  }

  // values: {"compressor.ratio": 4, "eq.enabled": true, ...}. Returns null when applied, else
  // the name of the first rejected setting (the previous settings then stay in force).
  configure(values) {
    const slots = this.#view(Float64Array, this.api.chain_params(), this.names.length);
    for (const [name, value] of Object.entries(values)) {
      const index = this.names.indexOf(name);
      if (index < 0) return name;
      slots[index] = Number(value);
    }
    const rejected = this.api.chain_configure();
    return rejected < 0 ? null : this.names[rejected];
  }

  // Process frame (Float32Array) into out; returns the meters, or null for a frame the
  // module refuses (non-finite samples), whose output is then silence.
  process(frame, out) {
    this.#view(Float32Array, this.api.chain_input(), frame.length).set(frame);
    if (this.api.chain_process(frame.length) !== 0) {
      out.fill(0);
      return null;
    }
    out.set(this.#view(Float32Array, this.api.chain_output(), frame.length));
    const [peak, rms, compressorGr, limiterGr] = this.#view(Float64Array, this.api.chain_meters(), 4);
    return { peak, rms, compressorGr, limiterGr };
  }
}

// {"eq": {"low": 2}} -> {"eq.low": 2}: the module's slot names.
export function flatten(config, prefix = "") {
  const flat = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== null && typeof value === "object") Object.assign(flat, flatten(value, `${prefix}${key}.`));
    else flat[`${prefix}${key}`] = value;
  }
  return flat;
}
