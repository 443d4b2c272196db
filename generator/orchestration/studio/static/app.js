// adgen studio: the page. Three views by URL hash: #/ (templates), #/edit/<id>, #/runs and #/runs/<run>.
"use strict";

const view = document.getElementById("view");
const statusLine = document.getElementById("status");

async function api(path, body, method) {
  const options = { headers: { "X-Adgen-Studio": "1" } };
  if (body !== undefined) {
    options.method = method || "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json();
  return { ok: response.ok, status: response.status, data };
}

function show(templateId) {
  view.replaceChildren(document.getElementById(templateId).content.cloneNode(true));
}

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// ---- #/ : the template list -------------------------------------------------------------------
async function listView() {
  show("t-list");
  const { data } = await api("/api/templates");
  const body = view.querySelector("#templates tbody");
  for (const t of data.templates) {
    const row = element("tr", { "data-id": t.id, onclick: () => { location.hash = `#/edit/${t.id}`; } },
      element("td", {}, t.id), element("td", {}, t.vertical), element("td", {}, t.aspects.join(" ")),
      element("td", {}, t.version === null ? "–" : `v${t.version}`), element("td", {}, t.error ? `⚠ ${t.error}` : t.name));
    body.append(row);
  }
}

// ---- #/edit/<id> : editor, form, previews, renders ----------------------------------------------
async function editView(id) {
  show("t-edit");
  const $ = (selector) => view.querySelector(selector);
  $("#title").textContent = id;
  const [source, schema, rows] = await Promise.all([api(`/api/templates/${encodeURIComponent(id)}`), api("/api/schema"), api("/api/rows")]);
  if (!source.ok) { $("#problems").append(element("li", { class: "error" }, source.data.error)); return; }
  const state = { id, schema: schema.data, savedText: source.data.text, formVisible: false, plan: null, generation: 0, offered: [] };
  const editor = AdgenEditor.create($("#editor"), { doc: source.data.text, schema: state.schema, onChange: () => changed() });
  window.studioEditor = editor;

  fillRows(rows.data.rows);
  $("#row-search").addEventListener("input", debounce(async (event) => {
    const found = await api(`/api/rows?q=${encodeURIComponent(event.target.value)}`);
    fillRows(found.data.rows);
    refresh();
  }, 250));
  $("#row").addEventListener("change", () => refresh());
  $("#aspect").addEventListener("change", () => refresh());
  $("#platform").addEventListener("change", () => refresh());
  $("#safe").addEventListener("change", placeSafeZone);
  $("#draft").addEventListener("loadedmetadata", placeSafeZone);
  $("#tab-yaml").addEventListener("click", () => showForm(false));
  $("#tab-form").addEventListener("click", () => showForm(true));
  $("#save").addEventListener("click", saveDialog);
  $("#render-row").addEventListener("click", () => render([$("#row").value]));
  $("#render-all").addEventListener("click", () => render(null));

  function fillRows(list) {
    const select = $("#row");
    const kept = select.value;
    select.replaceChildren(...list.map((r) => element("option", { value: r.sku }, `${r.sku} · ${r.title}`)));
    if (list.some((r) => r.sku === kept)) select.value = kept;
  }

  const changed = debounce(() => { refresh(); if (state.formVisible) loadForm(); }, 400);

  async function refresh() {
    const generation = ++state.generation;
    const text = editor.getText();
    statusLine.textContent = "checking…";
    const lint = await api(`/api/templates/${encodeURIComponent(id)}/lint`, { text, platform: $("#platform").value });
    if (generation !== state.generation) return;
    const problems = lint.ok ? lint.data.problems : [{ severity: "error", message: lint.data.error, line: null, column: null }];
    showProblems(problems);
    if (problems.some((p) => p.severity === "error") || !$("#row").value) { statusLine.textContent = "not previewed: fix the errors"; return; }
    statusLine.textContent = "previewing…";
    const preview = await api(`/api/templates/${encodeURIComponent(id)}/preview`, { text, sku: $("#row").value, aspect: $("#aspect").value || null });
    if (generation !== state.generation) return;
    if (!preview.ok) { showProblems([{ severity: "error", message: preview.data.error, line: null, column: null }]); statusLine.textContent = ""; return; }
    showPreview(preview.data);
    statusLine.textContent = "storyboard up to date; drafting the video…";
    const video = await api(`/api/templates/${encodeURIComponent(id)}/preview/video`, { text, sku: $("#row").value, aspect: $("#aspect").value || null });
    if (generation !== state.generation) return;
    if (video.ok) $("#draft").src = video.data.video;
    statusLine.textContent = video.ok ? "up to date" : video.data.error;
  }

  function showProblems(problems) {
    editor.setDiagnostics(problems.filter((p) => p.line).map((p) => ({ line: p.line, column: p.column, severity: p.severity, message: p.message })));
    $("#problems").replaceChildren(...problems.map((p) => element("li", {
      class: p.severity, "data-line": p.line ?? "",
      onclick: () => { if (p.line) editor.view.dispatch({ selection: { anchor: editor.view.state.doc.line(Math.min(p.line, editor.view.state.doc.lines)).from }, scrollIntoView: true }); },
    }, `${p.line ? `line ${p.line}${p.column ? `:${p.column}` : ""}: ` : ""}${p.severity}: ${p.message}`)));
  }

  function showPreview(data) {
    state.plan = data;
    $("#storyboard").src = data.storyboard;
    $("#storyboard").dataset.planHash = data.plan_hash;
    $("#draft").dataset.duration = data.duration;
    $("#notes").replaceChildren(
      ...data.shortened.map((s) => element("li", { class: "warning" }, `shortened in shot ${s.shot}: “${s.text}” (was “${s.from}”)`)),
      ...data.contrast.map((c) => element("li", { class: "warning" }, c)));
    $("#lines").replaceChildren(...data.lines.map((l) => element("li", { "data-shot": l.shot },
      `♪ ${l.shot} · ${l.start.toFixed(2)} s: “${l.line}” ${l.spoken.toFixed(2)} s`)));
  }

  function placeSafeZone() {
    const zone = $("#safe-zone");
    const video = $("#draft");
    zone.hidden = !$("#safe").checked || !state.plan;
    if (zone.hidden) return;
    const [x, y, w, h] = state.plan.safe_area;
    Object.assign(zone.style, { left: `${x * video.clientWidth}px`, top: `${y * video.clientHeight}px`,
      width: `${w * video.clientWidth}px`, height: `${h * video.clientHeight}px` });
  }

  // Form mode: the schema gives each field its kind; every change is one edit sent to the server,
  // which writes it into the YAML (keeping comments and layout) and sends the text back. Fields the
  // server offers where the YAML leaves them out (the voice, shot lines, captions) show their default.
  function showForm(visible) {
    state.formVisible = visible;
    $("#form").hidden = !visible;
    $("#editor").hidden = visible;
    $("#tab-form").classList.toggle("on", visible);
    $("#tab-yaml").classList.toggle("on", !visible);
    if (visible) loadForm();
  }

  async function loadForm() {
    const answer = await api("/api/form", { text: editor.getText() });
    const form = $("#form");
    if (!answer.ok) { form.replaceChildren(element("p", { class: "error" }, answer.data.error)); return; }
    showFields(answer.data);
  }

  function showFields(data) {
    state.offered = data.offered;
    $("#form").replaceChildren(...fields(state.schema, data.data, []));
  }

  async function edit(change) {
    const answer = await api("/api/form/edit", { text: editor.getText(), edit: change });
    if (!answer.ok) { statusLine.textContent = answer.data.error; return; }
    editor.setText(answer.data.text);
    showFields(answer.data);
    refresh();
  }

  function resolve(node, value) {
    let seen = 0;
    while (node && node.$ref && seen++ < 20) node = state.schema.$defs[node.$ref.split("/").pop()];
    for (const key of ["anyOf", "oneOf"]) {
      if (node && node[key]) {
        const kind = Array.isArray(value) ? "array" : value === null ? "null" : typeof value === "object" ? "object" : typeof value === "number" ? "number" : typeof value;
        const branches = node[key].map((b) => resolve(b, value));
        node = branches.find((b) => b.type === kind || (kind === "number" && b.type === "integer") || (b.enum && b.enum.includes(value))) || branches[0];
      }
    }
    return node || {};
  }

  function fields(schemaNode, value, path) {
    const node = resolve(schemaNode, value);
    if (Array.isArray(value)) {
      const items = value.map((item, index) => {
        const children = fields(node.items || {}, item, [...path, index]);
        if (item === null || typeof item !== "object") return children[0];
        const tools = element("span", {},
          element("button", { type: "button", title: "Move up", disabled: index === 0 ? "" : null, onclick: () => edit({ op: "move", path, from: index, to: index - 1 }) }, "↑"),
          element("button", { type: "button", title: "Move down", disabled: index === value.length - 1 ? "" : null, onclick: () => edit({ op: "move", path, from: index, to: index + 1 }) }, "↓"));
        return element("fieldset", { "data-path": [...path, index].join(".") }, element("legend", {}, `${item.id || index + 1} `, tools), ...children);
      });
      return [element("fieldset", { "data-path": path.join(".") }, element("legend", {}, String(path[path.length - 1] ?? "")), ...items)];
    }
    if (value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      const order = Object.keys(node.properties || {});
      const absent = new Map();  // key the YAML leaves out -> the first field offered under it
      for (const offer of state.offered.filter((o) => o.path.length > path.length && o.path.slice(0, path.length).join(".") === path.join("."))) {
        const key = String(offer.path[path.length]);
        if (key in value || absent.has(key)) continue;
        keys.splice(keys.reduce((at, k, i) => (order.indexOf(k) < order.indexOf(key) ? i + 1 : at), 0), 0, key);  // in schema order
        absent.set(key, offer);
      }
      return keys.map((key) => {
        const childSchema = (node.properties && node.properties[key]) || (typeof node.additionalProperties === "object" ? node.additionalProperties : {});
        const where = [...path, key];
        const offer = absent.get(key);
        if (offer && offer.path.length === where.length) return scalar(childSchema, offer.default, where, true);
        const child = offer ? {} : value[key];  // a mapping to be added (voice): its offered fields
        const inner = fields(childSchema, child, where);
        return child !== null && typeof child === "object" && !Array.isArray(child)
          ? element("fieldset", { "data-path": where.join("."), class: offer ? "unset" : null }, element("legend", {}, key), ...inner)
          : inner[0];
      });
    }
    return [scalar(schemaNode, value, path, false)];
  }

  // A field's input, by its schema (the non-null kind of an optional field) and value; ``unset``: not in the
  // YAML, showing its default until changed.
  function scalar(schemaNode, value, path, unset) {
    const name = String(path[path.length - 1]);
    const where = path.join(".");
    const resolved = resolve(schemaNode, value);
    const node = resolved.type === "null" ? typed(schemaNode) : resolved;
    const options = node.enum || [];
    let input;
    if (options.length) {
      input = element("select", { "data-path": where }, ...options.map((o) => element("option", { value: o }, String(o))));
      input.value = value;
    } else if (typeof value === "boolean" || node.type === "boolean") {
      input = element("input", { type: "checkbox", "data-path": where });
      input.checked = Boolean(value);
    } else if (typeof value === "number" || node.type === "number" || node.type === "integer") {
      input = element("input", { type: "number", step: "any", value: value ?? "", "data-path": where });
    } else if (typeof value === "string" && /^#[0-9a-fA-F]{6}$/.test(value)) {
      input = element("input", { type: "color", value, "data-path": where });
    } else {
      input = element("input", { type: "text", value: value ?? "", "data-path": where });
    }
    if (unset) input.setAttribute("placeholder", "default");
    input.addEventListener("change", () => {
      if (input.type === "number" && input.value === "") return;
      const next = input.tagName === "SELECT" ? options.find((o) => String(o) === input.value)
        : input.type === "checkbox" ? input.checked : input.type === "number" ? Number(input.value) : input.value;
      edit({ op: "set", path, value: next });
    });
    const title = [schemaNode.description || node.description, unset ? "(not in the YAML: its default)" : ""].filter(Boolean).join(" ");
    return element("label", { title, class: unset ? "unset" : null }, element("span", {}, name), input);
  }

  // The first branch of an optional field's schema that is not null.
  function typed(schemaNode) {
    return (schemaNode.anyOf || schemaNode.oneOf || []).map((b) => resolve(b, undefined)).find((b) => b.type !== "null") || {};
  }

  async function saveDialog() {
    const text = editor.getText();
    const diff = await api(`/api/templates/${encodeURIComponent(id)}/diff`, { text });
    const lint = await api(`/api/templates/${encodeURIComponent(id)}/lint`, { text });
    const errors = (lint.data.problems || []).filter((p) => p.severity === "error");
    const dialog = view.querySelector("#save-dialog");
    dialog.querySelector("#diff").textContent = diff.data.diff || "(no changes)";
    dialog.querySelector("#save-problems").textContent = errors.length ? `${errors.length} error(s): saving anyway forces it.` : "";
    dialog.querySelector("#save-confirm").textContent = errors.length ? "Save anyway" : "Save";
    dialog.onclose = async () => {
      if (dialog.returnValue !== "save") return;
      const saved = await api(`/api/templates/${encodeURIComponent(id)}`, { text, force: errors.length > 0 }, "PUT");
      statusLine.textContent = saved.data.saved ? `saved${saved.data.backup ? ` (backup ${saved.data.backup})` : ""}` : "not saved";
    };
    dialog.showModal();
  }

  async function render(skus) {
    const answer = await api("/api/renders", { template: id, text: editor.getText(), skus, aspect: $("#aspect").value || null });
    if (!answer.ok) { $("#render-status").textContent = answer.data.error; return; }
    const progress = $("#progress");
    progress.hidden = false;
    progress.max = Math.max(answer.data.total, 1);
    progress.value = 0;
    $("#render-status").textContent = `rendering ${answer.data.total} video(s)…`;
    const events = new EventSource(`/api/renders/${answer.data.run}/events`);
    let last = null;
    events.addEventListener("progress", (event) => {
      const data = JSON.parse(event.data);
      progress.value = data.done;
      if (data.result.status === "rendered" || data.result.status === "skipped") last = data.result;
      $("#render-status").textContent = `${data.done}/${data.total}: ${data.result.sku} ${data.result.status}`;
    });
    events.addEventListener("finished", (event) => {
      events.close();
      const data = JSON.parse(event.data);
      $("#render-status").innerHTML = "";
      $("#render-status").append(`done: ${Object.entries(data.counts).map(([k, v]) => `${v} ${k}`).join(", ")} · `,
        element("a", { href: `#/runs/${data.run}` }, "open the run"));
      if (last && last.video_file) {
        const video = $("#rendered");
        video.hidden = false;
        video.src = `/files/${last.video_file}`;
        video.dataset.run = data.run;
      }
    });
  }

  const described = (await api("/api/templates")).data.templates.find((t) => t.id === id);
  state.aspects = described ? described.aspects : [];
  $("#aspect").replaceChildren(...state.aspects.map((a) => element("option", { value: a }, a)));
  refresh();
}

// ---- #/runs and #/runs/<run> ----------------------------------------------------------------------
async function runsView() {
  show("t-runs");
  const { data } = await api("/api/runs");
  view.querySelector("#runs").replaceChildren(...data.runs.map((run) => element("li", {}, element("a", { href: `#/runs/${run}` }, run))));
}

async function runView(run) {
  show("t-run");
  view.querySelector("#run-title").textContent = `Run ${run}`;
  const { ok, data } = await api(`/api/runs/${encodeURIComponent(run)}`);
  if (!ok) { view.querySelector("#run-title").textContent = data.error; return; }
  view.querySelector("#failures").replaceChildren(...Object.entries(data.failures).map(([reason, skus]) =>
    element("li", { class: "error" }, `${reason}: ${skus.join(", ")}`)));
  const play = view.querySelector("#play");
  view.querySelector("#grid").replaceChildren(...data.lines.map((line) => {
    const fidelity = line.fidelity ? `fidelity: ${Object.entries(line.fidelity).map(([k, v]) => `${k} ${v}`).join(" · ")}` : "";
    const tile = element("div", { class: `tile ${line.status}`, "data-sku": line.sku },
      line.poster_file ? element("img", { src: `/files/${line.poster_file}`, alt: `${line.sku} poster` }) : element("p", {}, line.reason || line.status),
      element("div", { class: "meta" }, `${line.sku} · ${line.aspect || ""} · ${line.status}`, element("br"), fidelity || line.error || ""));
    if (line.video_file) tile.addEventListener("click", () => {
      play.querySelector("video").src = `/files/${line.video_file}`;
      play.showModal();
    });
    return tile;
  }));
}

function route() {
  const [, page, arg] = location.hash.split("/");
  statusLine.textContent = "";
  if (page === "edit" && arg) return editView(decodeURIComponent(arg));
  if (page === "runs" && arg) return runView(decodeURIComponent(arg));
  if (page === "runs") return runsView();
  return listView();
}

window.addEventListener("hashchange", route);
route();
