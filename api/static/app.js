// Winback web app: the few interactive parts (brief progress, recording upload, live stages).
// Plain JavaScript, loaded from our own origin (strict CSP, no inline scripts).
"use strict";

function csrf() {
  return document.body.dataset.csrf || "";
}

async function api(method, url, body) {
  const response = await fetch(url, {
    method: method,
    headers: Object.assign({"X-CSRF-Token": csrf(), "Accept": "application/json"},
                           body ? {"Content-Type": "application/json"} : {}),
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    // "message" is the reason in the user's language (quotas, rate limits); else the detail.
    throw new Error(data.message || data.detail || ("HTTP " + response.status));
  }
  return data;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function showError(id, message) {
  const el = document.getElementById(id);
  if (el) { el.textContent = message; el.hidden = false; }
}

// --- "Prepare brief": start the job, poll it, then show the stored brief. ---
function setupBrief() {
  const button = document.getElementById("prepare-brief");
  if (!button) return;
  button.addEventListener("click", async () => {
    const progress = document.getElementById("brief-progress");
    button.disabled = true;
    progress.hidden = false;
    document.getElementById("brief-error").hidden = true;
    try {
      let job = await api("POST", "/api/accounts/" + button.dataset.account + "/briefs");
      while (job.status === "queued" || job.status === "running") {
        await sleep(700);
        job = await api("GET", "/api/brief-jobs/" + job.id);
      }
      if (job.status !== "done") throw new Error(job.message || job.error || job.status);
      window.location.reload();
    } catch (err) {
      showError("brief-error", err.message);
      progress.hidden = true;
      button.disabled = false;
    }
  });
}

// --- Upload: drag and drop, upload progress, then job progress until the note exists. ---
function setupUpload() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("upload-file");
  const zone = document.getElementById("dropzone");
  const name = document.getElementById("file-name");
  let file = null;
  const choose = (f) => { file = f; name.textContent = f ? f.name + " (" + Math.round(f.size / 1024) + " KB)" : ""; };
  input.addEventListener("change", () => choose(input.files[0] || null));
  ["dragenter", "dragover"].forEach((ev) => zone.addEventListener(ev, (e) => {
    e.preventDefault(); zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((ev) => zone.addEventListener(ev, (e) => {
    e.preventDefault(); zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (e) => { if (e.dataTransfer.files.length) choose(e.dataTransfer.files[0]); });
  // A drop area that is a tab stop of its own (older pages give it tabindex) opens the file
  // chooser with Enter or Space, so it is never a stop that does nothing.
  zone.addEventListener("keydown", (e) => {
    if (e.target === zone && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); input.click(); }
  });
  const at = form.elements["given_at"];
  if (!at.value) {
    const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
    at.value = now.toISOString().slice(0, 16);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    document.getElementById("upload-error").hidden = true;
    if (!file) { showError("upload-error", form.dataset.choose); return; }
    // The server asks for the confirmation too; checked here first so nothing is sent in vain.
    if (!form.elements["confirm"].checked) { showError("upload-error", form.dataset.consent); return; }
    const params = new URLSearchParams({
      given_by: form.elements["given_by"].value,
      method: form.elements["method"].value,
      given_at: new Date(form.elements["given_at"].value).toISOString(),
      text_version: form.elements["text_version"].value,
      consent_confirmed: "true",
      filename: file.name,
      call_date: new Date().toISOString().slice(0, 10),
    });
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/accounts/" + form.dataset.account + "/recordings?" + params.toString());
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", file.type && file.type.startsWith("audio/") ? file.type : "application/octet-stream");
    const status = document.getElementById("upload-status");
    const bar = document.getElementById("upload-progress");
    status.hidden = false;
    document.getElementById("upload-button").disabled = true;
    xhr.upload.addEventListener("progress", (ev) => { if (ev.lengthComputable) bar.value = ev.loaded / ev.total; });
    xhr.addEventListener("load", () => {
      let data = {};
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = {}; }
      if (xhr.status >= 300) {
        // A 409 is shown as the form's conflict text; else the reason in the user's
        // language ("message", api/error_messages.py), else the detail.
        const message = xhr.status === 409 && !data.message ? form.dataset.conflict : (data.message || data.detail);
        showError("upload-error", message || ("HTTP " + xhr.status));
        document.getElementById("upload-button").disabled = false;
        return;
      }
      bar.value = 1;
      // The call page has a stage block; an older page only the status block around it.
      const stage = document.getElementById("upload-stage") || status;
      stage.dataset.recording = data.id;
      const link = document.getElementById("recording-link");
      if (link) { link.href = "/recordings/" + data.id; link.hidden = false; }
      showStage(stage, data);
      followRecording(stage);
    });
    xhr.addEventListener("error", () => {
      showError("upload-error", form.dataset.network);
      document.getElementById("upload-button").disabled = false;
    });
    xhr.send(file);
  });
}

// --- A recording's stage (uploaded, transcribing x %, analysing, draft ready), kept live. ---
// Every element with data-recording is followed until its draft note exists or it failed;
// the text sits in a role=status region, so a screen reader hears each new stage.
function showStage(el, rec) {
  const stage = rec.stage || {};
  const set = (selector, value) => { const node = el.querySelector(selector); if (node) node.textContent = value; };
  const bar = el.querySelector("#job-progress") || el.querySelector("progress");
  if (bar && bar.max === 1) bar.max = 100;
  if (bar) bar.value = stage.percent || 0;
  el.dataset.stage = stage.stage || "";
  set(".stage-label, #job-state", stage.label || "");
  const finished = stage.stage === "draft_ready" || stage.stage === "failed";
  set(".stage-percent", finished ? "" : "· " + (stage.percent || 0) + " %");
  set(".stage-eta", finished ? "" : (stage.remaining || ""));
  if (rec.note_id) {
    const link = el.querySelector(".note-link, #note-link");
    if (link) link.href = "/notes/" + rec.note_id;
    const ready = el.querySelector(".note-ready, #note-ready");
    if (ready) ready.hidden = false;
    if (bar) bar.value = bar.max;
    const summary = el.querySelector(".note-summary");
    if (summary && !summary.textContent.trim()) {
      // The draft's summary right here, so the rep reads it without leaving the page.
      api("GET", "/api/notes/" + rec.note_id).then((note) => {
        summary.textContent = note.summary || "";
        summary.hidden = !note.summary;
      }).catch(() => {});
    }
  }
  if (stage.stage === "failed" && rec.error) set(".stage-eta", rec.error);
  return finished;
}

async function followRecording(el) {
  let wait = 1000;
  for (;;) {
    let rec;
    try {
      rec = await api("GET", "/api/recordings/" + el.dataset.recording);
    } catch (err) {
      // A dropped connection: keep the last state on screen and try again a little later.
      await sleep(Math.min(wait *= 2, 15000));
      continue;
    }
    if (showStage(el, rec)) return;
    await sleep(1000);
  }
}

function setupStages() {
  document.querySelectorAll("[data-recording]").forEach((el) => {
    if (el.dataset.stage !== "draft_ready" && el.dataset.stage !== "failed") followRecording(el);
  });
}

// --- A brief's source numbers open the list of sources at that record. ---
function setupSources() {
  const list = document.getElementById("sources");
  if (!list) return;
  const open = () => { if (location.hash.startsWith("#src-")) list.open = true; };
  document.querySelectorAll("a.src").forEach((a) => a.addEventListener("click", () => { list.open = true; }));
  window.addEventListener("hashchange", open);
  open();
}

document.addEventListener("DOMContentLoaded", () => {
  setupBrief(); setupUpload(); setupStages(); setupSources();
});
