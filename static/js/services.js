// The "Denoise a file" modal: one tab per service the server lists in #services-config.
// Plain script, no build step. Job data is only ever put in the page as text (never as HTML):
// file names are the client's own and untrusted.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("services-config").textContent);
  const tabs = new Map(config.tabs.map((tab) => [tab.kind, tab]));
  const jobs = new Map(config.tabs.map((tab) => [tab.kind, new Map()]));
  const deleted = new Set(); // "kind:id": late events must not bring a deleted job back
  const UNFINISHED = ["pending", "processing"];
  const live = { socket: null, pollTimer: null, retryMs: 1000 };

  // ---------------------------------------------------------------- small helpers
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, url) {
    const response = await fetch(url, {
      method, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
    });
    const body = await response.json().catch(() => ({}));
    return { status: response.status, body };
  }

  function errorText(body, fallback) {
    return (body && (body.message || body.error)) || fallback;
  }

  function formatBytes(bytes) {
    return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1048576).toFixed(1)} MB`;
  }

  const statusUrl = (tab, id) => `${tab.list_url}${id}/status/`;
  const deleteUrl = (tab, id) => `${tab.list_url}${id}/delete/`;

  // ---------------------------------------------- the API's checks, before uploading
  // The same test as the server's sniff_format (audioservices/audio/validate.py): the first
  // bytes decide, not the name. The server still checks everything again.
  const M4A_BRANDS = ["M4A ", "M4B ", "mp42", "mp41", "isom", "iso2", "dash", "MSNV", "3gp"];

  function sniff(head) {
    const text = (from, to) => String.fromCharCode(...head.slice(from, to));
    if (["RIFF", "RF64"].includes(text(0, 4)) && text(8, 12) === "WAVE") return "wav";
    if (text(0, 4) === "fLaC") return "flac";
    if (text(4, 8) === "ftyp" && M4A_BRANDS.some((b) => text(8, 12).startsWith(b))) return "m4a";
    if (text(0, 3) === "ID3") return "mp3";
    if (head[0] === 0xff && (head[1] & 0xe0) === 0xe0 && head[1] & 0x06) return "mp3";
    return null;
  }

  async function uploadProblem(tab, files) {
    if (tab.file_fields.some((name) => !files[name])) return tab.missing_file_message;
    const total = Object.values(files).reduce((sum, file) => sum + file.size, 0);
    if (total > config.maxUploadBytes) return config.messages.tooLarge;
    for (const file of Object.values(files)) {
      const extension = file.name.split(".").pop().toLowerCase();
      const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
      if (!config.formats.includes(extension) || !sniff(head)) return config.messages.unsupported;
    }
    return null;
  }

  // ---------------------------------------------------------------- one job's card
  function loudness(report) {
    if (!report || report.input_lufs === undefined) return null;
    const lufs = (v) => (v === null || v === undefined ? "silent" : `${v.toFixed(1)} LUFS`);
    const peak = (v) => (v === null || v === undefined ? "-" : `${v.toFixed(1)} dBTP`);
    return `Loudness ${lufs(report.input_lufs)} → ${lufs(report.output_lufs)}, ` +
      `true peak ${peak(report.input_true_peak_dbtp)} → ${peak(report.output_true_peak_dbtp)}`;
  }

  function facts(tab, job) {
    const parts = [];
    if (job.duration) parts.push(`Duration ${job.duration}`);
    if (job.boost_level) parts.push(`Boost ${job.boost_level}`);
    if (job.model) parts.push(`Engine ${job.model}`);
    if (tab.show_similarity && job.similarity_score !== null && job.similarity_score !== undefined) {
      parts.push(`Similarity ${Number(job.similarity_score).toFixed(1)} / 100`);
    }
    const report = loudness(job.report);
    if (report) parts.push(report);
    return el("p", { class: "facts", text: parts.join(" · ") });
  }

  function mediaFigure(job, media) {
    const url = job[media.key];
    if (!url) return null;
    const picture = job.waveforms && job.waveforms[media.key];
    return el("figure", {},
      el("figcaption", {}, el("span", { text: media.label }),
        el("a", { href: url, download: true, text: `Download ${media.label.toLowerCase()}` })),
      picture ? el("img", { src: picture, alt: `Waveform: ${media.label}`, loading: "lazy" }) : null,
      el("audio", { controls: true, preload: "none", src: url, "aria-label": media.label }));
  }

  function jobCard(tab, job) {
    const name = job[tab.filename_key] || job.filename || `#${job.id}`;
    const running = UNFINISHED.includes(job.status);
    const failed = job.status === tab.failed_status || job.status === "failed";
    return el("li", { class: "job", "data-job-id": job.id, "data-status": job.status },
      el("div", { class: "job-head" },
        el("span", { class: "name", text: name }),
        el("span", { class: `badge ${job.status}`, text: job.status }),
        el("button", { type: "button", class: "danger", onclick: () => deleteJob(tab, job.id, name),
          text: "Delete" })),
      running ? el("progress", { max: 100, value: job.progress || 0,
        "aria-label": `Progress of ${name}` }) : null,
      facts(tab, job),
      failed && job.error_message ? el("p", { class: "error", text: job.error_message }) : null,
      running ? null : el("div", { class: "media" },
        ...[...tab.inputs, ...tab.outputs].map((media) => mediaFigure(job, media))));
  }

  // Re-drawing a card would stop its audio players, so a progress step only moves the bar.
  const drawnFace = new Map();
  function face(job) {
    return JSON.stringify({ ...job, progress: UNFINISHED.includes(job.status) ? 0 : job.progress });
  }

  function newestFirst(a, b) {
    return (b.uploaded_at || "").localeCompare(a.uploaded_at || "") || b.id - a.id;
  }

  function drawList(kind) {
    const tab = tabs.get(kind);
    const list = document.getElementById(`${kind}-jobs`);
    const cards = new Map([...list.children].map((li) => [li.dataset.jobId, li]));
    const ordered = [...jobs.get(kind).values()].sort(newestFirst);
    ordered.forEach((job, index) => {
      const id = String(job.id);
      let card = cards.get(id);
      const key = `${kind}:${id}`;
      if (!card || drawnFace.get(key) !== face(job)) {
        const fresh = jobCard(tab, job);
        if (card) card.replaceWith(fresh);
        card = fresh;
        drawnFace.set(key, face(job));
      } else {
        const bar = card.querySelector("progress");
        if (bar) bar.value = job.progress || 0;
      }
      if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
      cards.delete(id);
    });
    cards.forEach((card) => card.remove());
    document.getElementById(`${kind}-empty`).hidden = ordered.length > 0;
  }

  function upsert(kind, job) {
    if (!jobs.has(kind) || deleted.has(`${kind}:${job.id}`)) return;
    jobs.get(kind).set(job.id, job);
    drawList(kind);
  }

  function forget(kind, id) {
    deleted.add(`${kind}:${id}`);
    jobs.get(kind).delete(id);
    drawList(kind);
  }

  async function loadList(kind) {
    const { status, body } = await api("GET", tabs.get(kind).list_url);
    if (status !== 200) return;
    jobs.get(kind).clear();
    for (const job of body.files) if (!deleted.has(`${kind}:${job.id}`)) jobs.get(kind).set(job.id, job);
    drawList(kind);
  }

  async function refreshJob(tab, id) {
    const { status, body } = await api("GET", statusUrl(tab, id));
    if (status === 200) upsert(tab.kind, body);
    else if (status === 404) forget(tab.kind, id);
  }

  async function deleteJob(tab, id, name) {
    if (!window.confirm(`Delete "${name}" and all its results?`)) return;
    const { status, body } = await api("DELETE", deleteUrl(tab, id));
    if (status === 200 || status === 404) forget(tab.kind, id);
    else showMessage(tab.kind, errorText(body, "The file could not be deleted."), true);
  }

  // ---------------------------------------------------------------- uploading
  function showMessage(kind, text, isError) {
    const message = document.getElementById(`${kind}-message`);
    message.textContent = text;
    message.className = isError ? "message error" : "message";
  }

  function sendUpload(tab, form, files) {
    const bar = document.getElementById(`${tab.kind}-upload-progress`);
    const button = form.querySelector("button[type=submit]");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", tab.upload_url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.responseType = "json";
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    xhr.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      bar.max = event.total;
      bar.value = event.loaded;
      const percent = Math.round((100 * event.loaded) / event.total);
      showMessage(tab.kind, `Uploading: ${formatBytes(event.loaded)} of ${formatBytes(event.total)} (${percent}%)`);
    };
    xhr.onload = () => {
      button.disabled = false;
      const body = xhr.response || {};
      if (xhr.status !== 200) return showMessage(tab.kind, errorText(body, `Upload failed (${xhr.status}).`), true);
      showMessage(tab.kind, body.message || "Uploaded.");
      form.reset();
      refreshJob(tab, body.file_id);
    };
    xhr.onerror = () => {
      button.disabled = false;
      showMessage(tab.kind, "The upload failed: the connection to the server was lost.", true);
    };
    xhr.send(new FormData(form));
  }

  async function onSubmit(tab, form, event) {
    event.preventDefault();
    const files = {};
    for (const name of tab.file_fields) {
      const input = form.elements[name];
      if (input.files.length) files[name] = input.files[0];
    }
    const problem = await uploadProblem(tab, files);
    if (problem) return showMessage(tab.kind, problem, true);
    sendUpload(tab, form, files);
  }

  // ---------------------------------------------------------------- tabs and modal
  function formField(tab, field) {
    const id = `${tab.kind}-${field.name}`;
    const input = field.type === "file"
      ? el("input", { type: "file", id, name: field.name,
        accept: [...config.formats.map((f) => `.${f}`), "audio/*"].join(",") })
      : el("select", { id, name: field.name },
        ...field.choices.map((c) => el("option", { value: c, selected: c === field.default, text: c })));
    return el("label", { for: id }, el("span", { text: field.label }), input);
  }

  function panel(tab) {
    const form = el("form", { class: "upload-form", novalidate: true },
      ...tab.fields.map((field) => formField(tab, field)),
      el("button", { type: "submit", class: "primary", text: "Upload" }));
    form.addEventListener("submit", (event) => onSubmit(tab, form, event));
    return el("section", { role: "tabpanel", id: `${tab.kind}-panel`, "aria-label": tab.label, hidden: true },
      form,
      el("div", { class: "upload-state" },
        el("progress", { id: `${tab.kind}-upload-progress`, hidden: true, "aria-label": "Upload progress" }),
        el("p", { id: `${tab.kind}-message`, class: "message", role: "status" })),
      el("h3", { text: `Your ${tab.label.toLowerCase()} files` }),
      el("p", { id: `${tab.kind}-empty`, text: "Nothing here yet." }),
      el("ul", { class: "jobs", id: `${tab.kind}-jobs` }));
  }

  function select(kind) {
    for (const tab of tabs.values()) {
      const chosen = tab.kind === kind;
      document.getElementById(`${tab.kind}-tab`).setAttribute("aria-selected", String(chosen));
      document.getElementById(`${tab.kind}-panel`).hidden = !chosen;
    }
  }

  function buildModal() {
    const tabList = document.getElementById("service-tabs");
    const panels = document.getElementById("service-panels");
    for (const tab of tabs.values()) {
      tabList.append(el("button", { type: "button", role: "tab", id: `${tab.kind}-tab`,
        "aria-controls": `${tab.kind}-panel`, onclick: () => select(tab.kind), text: tab.label }));
      panels.append(panel(tab));
    }
    const dialog = document.getElementById("services");
    const open = document.getElementById("open-services");
    open.addEventListener("click", () => {
      dialog.showModal();
      for (const kind of tabs.keys()) loadList(kind);
    });
    document.getElementById("close-services").addEventListener("click", () => dialog.close());
    if (tabs.size) select(tabs.keys().next().value);
    open.disabled = false;
  }

  // ------------------------------------------------- live updates, polling as fallback
  function setLiveState(text) {
    document.getElementById("live-state").textContent = text;
  }

  function pollUnfinished() {
    for (const [kind, byId] of jobs) {
      for (const job of byId.values()) {
        if (UNFINISHED.includes(job.status)) refreshJob(tabs.get(kind), job.id);
      }
    }
  }

  function startPolling() {
    if (live.pollTimer) return;
    setLiveState(`Live updates lost: checking every ${config.pollIntervalMs / 1000} s`);
    live.pollTimer = window.setInterval(pollUnfinished, config.pollIntervalMs);
  }

  function stopPolling() {
    window.clearInterval(live.pollTimer);
    live.pollTimer = null;
  }

  function onSocketMessage(event) {
    const message = JSON.parse(event.data);
    if (message.type === "snapshot") message.jobs.forEach((item) => upsert(item.service, item.job));
    else if (message.type === "job") upsert(message.service, message.job);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}${config.socketPath}`);
    live.socket = socket;
    socket.addEventListener("open", () => {
      const wasPolling = Boolean(live.pollTimer);
      stopPolling();
      live.retryMs = 1000;
      setLiveState("Live updates on");
      if (wasPolling) for (const kind of tabs.keys()) loadList(kind); // re-sync after a gap
    });
    socket.addEventListener("message", onSocketMessage);
    socket.addEventListener("close", () => {
      startPolling();
      window.setTimeout(connect, live.retryMs);
      live.retryMs = Math.min(live.retryMs * 2, 30000);
    });
  }

  buildModal();
  connect();
})();
