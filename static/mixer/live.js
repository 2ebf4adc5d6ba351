// /mixer/live: microphone or file -> AudioWorklet running the WebAssembly chain -> speakers,
// with the spec's config as controls and the chain's meters. "Process the file" renders the
// whole file through the same worklet in an OfflineAudioContext and offers the result.
import { WasmChain, flatten } from "./wasm-chain.js";

const config = JSON.parse(document.getElementById("mixer-config").textContent);
const workletUrl = document.querySelector("script[data-worklet]").dataset.worklet;
const $ = (id) => document.getElementById(id);

let module = null; // the compiled WebAssembly.Module, shared by every worklet
let settings = structuredClone(config.defaults);
let live = null; // {context, node, stream}
let latestMeters = null;

function setStatus(text, state) {
  $("status").textContent = text;
  $("status").dataset.state = state;
}

// ---------------------------------------------------------------------------- controls

function buildControls(schema, parent, path = []) {
  for (const field of schema) {
    const keyPath = [...path, field.key];
    if (field.kind === "section") {
      const box = document.createElement("fieldset");
      box.innerHTML = `<legend>${field.key}</legend>`;
      parent.append(box);
      buildControls(field.fields, box, keyPath);
      continue;
    }
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.name = keyPath.join(".");
    input.dataset.path = input.name;
    if (field.kind === "bool") {
      input.type = "checkbox";
      label.append(input, ` ${field.key}`);
    } else {
      Object.assign(input, { type: "range", min: field.min, max: field.max, step: "any" });
      const shown = document.createElement("output");
      label.append(`${field.key} `, input, " ", shown, ` ${field.unit}`);
    }
    input.addEventListener("input", () => onControl(input));
    parent.append(label);
  }
}

function valueAt(path) {
  return path.split(".").reduce((node, key) => node[key], settings);
}

function setAt(path, value) {
  const keys = path.split(".");
  const last = keys.pop();
  keys.reduce((node, key) => node[key], settings)[last] = value;
}

function showSettings() {
  for (const input of document.querySelectorAll("#controls input")) {
    const value = valueAt(input.dataset.path);
    if (input.type === "checkbox") input.checked = value;
    else {
      input.value = value;
      input.nextElementSibling.textContent = Number(value).toFixed(1);
    }
  }
}

function onControl(input) {
  const value = input.type === "checkbox" ? input.checked : Number(input.value);
  setAt(input.dataset.path, value);
  if (input.type !== "checkbox") input.nextElementSibling.textContent = value.toFixed(1);
  live?.node.port.postMessage({ type: "config", values: { [input.dataset.path]: value } });
}

function onPreset() {
  const genre = $("preset").value;
  settings = structuredClone(genre ? config.presets[genre] : config.defaults);
  showSettings();
  live?.node.port.postMessage({ type: "config", values: flatten(settings) });
}

// ---------------------------------------------------------------------------- meters

function onWorkletMessage(event) {
  const message = event.data;
  if (message.type === "meters") latestMeters = message;
  else if (message.type === "error") setStatus(`Mixer chain: ${message.message}`, "error");
  else if (message.type === "configured" && message.rejected) {
    setStatus(`The chain rejected ${message.rejected}`, "error");
  }
}

function drawMeters() {
  if (latestMeters) {
    const { peak, rms, compressorGr, limiterGr } = latestMeters;
    for (const [id, value] of [["peak", peak], ["rms", rms], ["comp", compressorGr], ["lim", limiterGr]]) {
      $(id).textContent = value.toFixed(1);
    }
    $("meter-peak").value = peak;
    $("meter-rms").value = rms;
    $("meter-comp").value = compressorGr;
    $("meter-lim").value = limiterGr;
    latestMeters = null;
  }
  requestAnimationFrame(drawMeters);
}

// ---------------------------------------------------------------------------- audio graph

async function chainNode(context, { meters }) {
  await context.audioWorklet.addModule(workletUrl);
  const node = new AudioWorkletNode(context, "mixer-chain", {
    numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
    channelCount: 1, channelCountMode: "explicit", channelInterpretation: "speakers",
    processorOptions: { module, frameSize: config.frameSize, settings: flatten(settings), meters },
  });
  node.port.onmessage = onWorkletMessage;
  return node;
}

function chosenFile() {
  const file = $("file").files[0];
  if (!file) throw new Error("Choose an audio file first.");
  return file;
}

async function decode(file) {
  // decodeAudioData resamples to the context's rate: 48 kHz, the chain's rate
  const decoder = new OfflineAudioContext(1, 1, config.sampleRate);
  return decoder.decodeAudioData(await file.arrayBuffer());
}

async function sourceFor(context) {
  if (document.querySelector("input[name=source]:checked").value === "mic") {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    return { node: context.createMediaStreamSource(stream), stream };
  }
  const node = new AudioBufferSourceNode(context, { buffer: await decode(chosenFile()), loop: true });
  node.start();
  return { node, stream: null };
}

async function startLive() {
  await stopLive();
  const context = new AudioContext({ sampleRate: config.sampleRate, latencyHint: "interactive" });
  try {
    const node = await chainNode(context, { meters: true });
    const source = await sourceFor(context);
    source.node.connect(node).connect(context.destination);
    live = { context, node, stream: source.stream };
    $("stop").disabled = false;
    setStatus("Playing through the WebAssembly chain.", "playing");
  } catch (error) {
    await context.close();
    setStatus(String(error.message || error), "error");
  }
}

async function stopLive() {
  if (!live) return;
  live.stream?.getTracks().forEach((track) => track.stop());
  await live.context.close();
  live = null;
  $("stop").disabled = true;
  setStatus("Stopped.", "ready");
}

// The browser downmixes the worklet's input with the "speakers" rule: the mean of L and R.
function monoOf(buffer) {
  const mono = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const channel = buffer.getChannelData(c);
    for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / buffer.numberOfChannels;
  }
  return mono;
}

// Render the chosen file through the chain offline; the result is aligned with the input.
async function renderFile() {
  const input = await decode(chosenFile());
  const delay = config.frameSize + new WasmChain(module, config.sampleRate).latency;
  const context = new OfflineAudioContext(1, input.length + delay, config.sampleRate);
  const node = await chainNode(context, { meters: false });
  const source = new AudioBufferSourceNode(context, { buffer: input });
  source.connect(node).connect(context.destination);
  source.start(0);
  const rendered = await context.startRendering();
  const output = rendered.getChannelData(0).slice(delay);
  window.liveMixer.lastRender = { input: input.numberOfChannels === 1 ? input.getChannelData(0) : monoOf(input), output, settings: structuredClone(settings) };
  offerDownload(output);
  return window.liveMixer.lastRender;
}

function offerDownload(samples) {
  const link = $("download");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(wavFile(samples, config.sampleRate));
  link.download = `${chosenFile().name.replace(/\.[^.]*$/, "")}_mixed.wav`;
  link.hidden = false;
}

// A mono 32-bit float WAV: keeps the chain's output exactly.
function wavFile(samples, rate) {
  const header = new DataView(new ArrayBuffer(44));
  const text = (at, value) => [...value].forEach((ch, i) => header.setUint8(at + i, ch.charCodeAt(0)));
  text(0, "RIFF"); header.setUint32(4, 36 + samples.byteLength, true); text(8, "WAVE");
  text(12, "fmt "); header.setUint32(16, 16, true); header.setUint16(20, 3, true);
  header.setUint16(22, 1, true); header.setUint32(24, rate, true);
  header.setUint32(28, rate * 4, true); header.setUint16(32, 4, true); header.setUint16(34, 32, true);
  text(36, "data"); header.setUint32(40, samples.byteLength, true);
  return new Blob([header, samples], { type: "audio/wav" });
}

async function runRender() {
  setStatus("Processing the file…", "rendering");
  try {
    const { output } = await renderFile();
    setStatus(`Processed ${output.length} samples.`, "rendered");
  } catch (error) {
    setStatus(String(error.message || error), "error");
  }
}

// ---------------------------------------------------------------------------- start-up

async function init() {
  buildControls(config.schema, $("controls"));
  showSettings();
  $("preset").addEventListener("change", onPreset);
  $("start").addEventListener("click", startLive);
  $("stop").addEventListener("click", stopLive);
  $("render").addEventListener("click", runRender);
  requestAnimationFrame(drawMeters);
  try {
    module = await WebAssembly.compileStreaming(fetch(config.wasmUrl));
    const check = new WasmChain(module, config.sampleRate);
    $("latency").textContent = `${config.frameSize + check.latency} samples (${((config.frameSize + check.latency) / config.sampleRate * 1000).toFixed(1)} ms)`;
    $("start").disabled = $("render").disabled = false;
    setStatus(`WebAssembly chain ready (${check.names.length} settings).`, "ready");
  } catch (error) {
    setStatus(`The WebAssembly chain failed to load: ${error.message || error}`, "error");
  }
}

window.liveMixer = { renderFile, startLive, stopLive, lastRender: null };
init();
