// Winback note page: play the recording from a line or a quote, take quotes from the
// transcript, add step rows without a round trip. Every part also works without this file
// (links with #t=, the <datalist> of customer lines, the "add a step" submit button).
"use strict";

function setupPlayer() {
  const audio = document.getElementById("recording");
  if (!audio) return;
  document.addEventListener("click", (e) => {
    const link = e.target.closest("a.play");
    if (!link) return;
    e.preventDefault();
    const start = parseFloat(link.dataset.start || "0");
    const seek = () => { audio.currentTime = start; audio.play().catch(() => {}); };
    if (audio.readyState >= 1) seek();
    else { audio.addEventListener("loadedmetadata", seek, {once: true}); audio.load(); }
    audio.scrollIntoView({block: "nearest"});
  });
}

function setupQuotes() {
  const editor = document.getElementById("note-editor");
  if (!editor) return;
  let target = null;
  editor.querySelectorAll(".reason-row").forEach((row) => {
    const box = row.querySelector("input[type=checkbox]");
    const input = row.querySelector(".evidence-input");
    input.addEventListener("focus", () => { target = row; });
    box.addEventListener("change", () => { if (box.checked) target = row; row.classList.toggle("on", box.checked); });
  });
  document.querySelectorAll("button.use-quote").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => {
      if (!target) {
        const first = editor.querySelector(".reason-row.on") || editor.querySelector(".reason-row");
        target = first;
      }
      if (!target) return;
      // A selection inside this line is the quote; else the whole line.
      const selection = window.getSelection();
      const line = button.closest("li");
      let text = button.dataset.text || "";
      if (selection && !selection.isCollapsed && line.contains(selection.anchorNode)) {
        text = selection.toString().trim() || text;
      }
      const input = target.querySelector(".evidence-input");
      input.value = text.slice(0, 400);
      const box = target.querySelector("input[type=checkbox]");
      box.checked = true;
      target.classList.add("on");
      input.focus();
    });
  });
}

function setupSteps() {
  const add = document.getElementById("add-step");
  const rows = document.getElementById("step-rows");
  if (!add || !rows) return;
  add.addEventListener("click", (e) => {
    const blank = rows.querySelector(".step-row.blank");
    const all = rows.querySelectorAll(".step-row");
    if (!blank || all.length >= 16) return;  // the server adds the row then
    e.preventDefault();
    let key = 0;
    all.forEach((r) => { key = Math.max(key, parseInt(r.dataset.key, 10) + 1); });
    const copy = blank.cloneNode(true);
    copy.dataset.key = String(key);
    copy.querySelectorAll("[name]").forEach((el) => {
      el.name = el.name.replace(/^step\.\d+\./, "step." + key + ".");
      if (el.type !== "hidden") el.value = el.tagName === "SELECT" ? el.options[0].value : "";
    });
    copy.querySelectorAll(".field-error").forEach((el) => el.remove());
    copy.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    rows.appendChild(copy);
    const first = copy.querySelector("select");
    if (first) first.focus();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupPlayer();
  setupQuotes();
  setupSteps();
});
