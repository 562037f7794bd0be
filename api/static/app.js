// Winback web app: the few interactive parts (brief progress, recording upload).
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
      if (job.status !== "done") throw new Error(job.error || job.status);
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
  const at = form.elements["given_at"];
  if (!at.value) {
    const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
    at.value = now.toISOString().slice(0, 16);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    document.getElementById("upload-error").hidden = true;
    if (!file) { showError("upload-error", document.querySelector("#dropzone label").textContent); return; }
    const params = new URLSearchParams({
      given_by: form.elements["given_by"].value,
      method: form.elements["method"].value,
      given_at: new Date(form.elements["given_at"].value).toISOString(),
      text_version: form.elements["text_version"].value,
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
        // A 409 is shown as the form's German conflict text; else the reason in the user's
        // language ("message": quotas, rate limits), else the detail.
        const message = xhr.status === 409 ? form.dataset.conflict : (data.message || data.detail);
        showError("upload-error", message || ("HTTP " + xhr.status));
        document.getElementById("upload-button").disabled = false;
        return;
      }
      bar.value = 1;
      followRecording(data.id);
    });
    xhr.addEventListener("error", () => showError("upload-error", "Network error"));
    xhr.send(file);
  });
}

async function followRecording(id) {
  const bar = document.getElementById("job-progress");
  const state = document.getElementById("job-state");
  for (;;) {
    let rec;
    try { rec = await api("GET", "/api/recordings/" + id); } catch (err) { showError("upload-error", err.message); return; }
    bar.value = rec.progress;
    state.textContent = rec.status;
    if (rec.note_id) {
      const link = document.getElementById("note-link");
      link.href = "/notes/" + rec.note_id;
      document.getElementById("note-ready").hidden = false;
      bar.value = 1;
      return;
    }
    if (rec.status === "failed") { showError("upload-error", rec.error || "failed"); return; }
    await sleep(1000);
  }
}

document.addEventListener("DOMContentLoaded", () => { setupBrief(); setupUpload(); });
