// The studio's YAML editor: CodeMirror 6 with YAML highlighting, server-side diagnostics shown as lint
// marks, and completion of keys and enum values from the template's JSON Schema.
// Built into ../static/vendor/editor.js as the global `AdgenEditor` (see build.sh).

import { basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { yaml } from "@codemirror/lang-yaml";
import { forEachDiagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";

// ---------------------------------------------------------------------------------------------------------
// The schema: a JSON Schema (draft 2020-12) as pydantic writes it. A "place" in the document is a path of
// segments from the root: a property name, or ITEM for "any item of this array".

const ITEM = Symbol("item");

/** Follows `$ref`s ("#/$defs/Name", or any "#/..." pointer) until a schema without one. */
function deref(root, schema) {
  for (let hops = 0; schema && typeof schema.$ref === "string" && hops < 32; hops++) {
    const pointer = schema.$ref.replace(/^#\/?/, "").split("/").filter(Boolean);
    schema = pointer.reduce((node, part) => node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], root);
  }
  return schema && typeof schema === "object" ? schema : null;
}

/** The concrete alternatives of a schema: `$ref`s resolved, `anyOf`/`oneOf`/`allOf` branches flattened. */
function branches(root, schema) {
  const resolved = deref(root, schema);
  if (!resolved) return [];
  const parts = [...(resolved.anyOf ?? []), ...(resolved.oneOf ?? []), ...(resolved.allOf ?? [])];
  return parts.length ? [resolved, ...parts.flatMap((part) => branches(root, part))] : [resolved];
}

/** The schema one step down, merged over every branch; null when no branch allows that step. */
function childSchema(root, schema, segment) {
  const found = [];
  for (const branch of branches(root, schema)) {
    if (segment === ITEM) {
      if (branch.items && typeof branch.items === "object") found.push(branch.items);
      found.push(...(branch.prefixItems ?? []));
    } else if (branch.properties && segment in branch.properties) {
      found.push(branch.properties[segment]);
    } else if (branch.additionalProperties && typeof branch.additionalProperties === "object") {
      found.push(branch.additionalProperties);
    }
  }
  return found.length ? { anyOf: found } : null;
}

function schemaAt(root, path) {
  return path.reduce((schema, segment) => schema && childSchema(root, schema, segment), root);
}

/** A short type label for the completion list: the `$def` names or JSON types of the branches. */
function typeLabel(root, schema) {
  const names = [];
  const visit = (node) => {
    if (node?.$ref) names.push(node.$ref.split("/").pop());
    else if (node?.anyOf || node?.oneOf) (node.anyOf ?? node.oneOf).forEach(visit);
    else if (node?.enum || node?.const !== undefined) names.push("enum");
    else if (node?.type) names.push([].concat(node.type).join(" | "));
  };
  visit(schema);
  return [...new Set(names)].join(" | ");
}

// YAML scalars that must be quoted to stay strings: anything but a plain word, and the words YAML 1.1
// reads as booleans or null ("9:16" would even be read as a base-60 number).
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function yamlScalar(value) {
  if (typeof value !== "string") return JSON.stringify(value);
  return /^[A-Za-z_][\w.-]*$/.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}

/** Completion options for the keys a mapping with this schema allows. */
function keyOptions(root, schema) {
  const options = new Map();
  for (const branch of branches(root, schema)) {
    for (const [name, property] of Object.entries(branch.properties ?? {})) {
      if (options.has(name)) continue;
      const described = [property, ...branches(root, property)].find((node) => node.description);
      options.set(name, {
        label: yamlScalar(name),
        apply: `${yamlScalar(name)}: `,
        type: "property",
        detail: typeLabel(root, property),
        info: described?.description,
        boost: (branch.required ?? []).includes(name) ? 1 : 0,
      });
    }
    // Mappings keyed by an enum (pydantic's dict[Literal[...], X]): offer those keys too.
    for (const name of branch.propertyNames?.enum ?? []) {
      const label = yamlScalar(name);
      if (!options.has(name)) options.set(name, { label, apply: `${label}: `, type: "property" });
    }
  }
  return [...options.values()];
}

/** Completion options for the values a schema pins down: its enums, consts and booleans. */
function valueOptions(root, schema) {
  const values = [];
  for (const branch of branches(root, schema)) {
    values.push(...(branch.enum ?? []));
    if ("const" in branch) values.push(branch.const);
    if ([].concat(branch.type).includes("boolean")) values.push(true, false);
  }
  const labels = [...new Set(values.map(yamlScalar))];
  return labels.map((label) => ({ label, type: "enum" }));
}

// ---------------------------------------------------------------------------------------------------------
// The place of the cursor, read from the YAML text. Block structure comes from indentation: each line is a
// run of "entries" (block-sequence dashes, then at most one `key:`), each at a column. Flow collections on the
// cursor's line (`{text: "...", style: headline}`, `[a, b]`) are read with a small bracket scanner.

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}[\],:][^#]*?)\s*:(?=\s|$)/;

function unquote(key) {
  if (key.startsWith('"')) {
    try {
      return JSON.parse(key);
    } catch {
      return key.slice(1, -1);
    }
  }
  return key.startsWith("'") ? key.slice(1, -1).replace(/''/g, "'") : key;
}

/** The entries of a line's text, `[{col, segment}]` (a key's also says whether a value follows it on the
 *  line, `hasValue`, and whether a space follows its colon, `spaced`), and the column where the rest begins. */
function blockEntries(text) {
  const entries = [];
  let col = text.length - text.trimStart().length;
  for (let dash; (dash = /^-(\s+|$)/.exec(text.slice(col))); col += dash[0].length) {
    entries.push({ col, segment: ITEM });
  }
  const key = KEY.exec(text.slice(col));
  if (key) {
    const colonEnd = col + key[0].length;
    const rest = text.slice(colonEnd);
    const restCol = colonEnd + (rest.length - rest.trimStart().length);
    const hasValue = restCol < text.length && text[restCol] !== "#";
    entries.push({ col, segment: unquote(key[1].trim()), hasValue, spaced: restCol > colonEnd });
    col = restCol;
  }
  return { entries, restCol: col };
}

/**
 * The path to the node whose line starts at `node` ({col, segment}), found by walking up the lines
 * above `lineNo`: the nearest entry to the left of the node is its parent, and so on up to the root.
 * A sequence may sit at its parent key's own column (`key:` then `- item` below it, unindented).
 */
function ancestors(doc, lineNo, node) {
  const path = [];
  let current = node;
  for (let n = lineNo - 1; n >= 1 && !(current.col === 0 && current.segment !== ITEM); n--) {
    const text = doc.line(n).text;
    if (/^(---|\.\.\.)(\s|$)/.test(text)) break; // start or end of a document
    if (!text.trim() || text.trimStart().startsWith("#")) continue;
    const { entries } = blockEntries(text);
    const isParent = (entry) =>
      entry.col < current.col ||
      (current.segment === ITEM && entry.segment !== ITEM && entry.col === current.col && !entry.hasValue);
    const last = entries.findLastIndex(isParent);
    if (last < 0) continue;
    // Entries left of the parent on its line hold it: `- key:` is the key inside a sequence item.
    path.unshift(...entries.slice(0, last + 1).map((entry) => entry.segment));
    current = entries[0];
  }
  return path;
}

/**
 * Scans a line's text for flow collections still open at its end. Returns null when none is open,
 * `{comment: true}` when the text ends in a comment (a `#` after a space), else `{start, path, mode, token}`:
 * where the outermost one opens, the path inside it to the innermost one, whether the end is at a key
 * ("key"), after `key:` (path then ends with the key: "value") or at a sequence item ("value"), and the
 * text typed there so far. Quoted strings are skipped.
 */
function scanFlow(text) {
  const frames = []; // [{kind: "{" | "[", via: the segment it is entered by, key, afterColon}]
  let start = -1;
  let token = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const top = frames[frames.length - 1];
    if ((ch === '"' || ch === "'") && /(^|[\s,[{:])$/.test(text.slice(0, i))) {
      const end = quoteEnd(text, i);
      if (end < 0) return frames.length ? { start, ...flowPlace(frames, token + text.slice(i)) } : null;
      token += text.slice(i, end + 1);
      i = end;
    } else if (ch === "#" && (i === 0 || /\s/.test(text[i - 1]))) {
      return { comment: true };
    } else if (ch === "{" || ch === "[") {
      if (!frames.length) start = i;
      frames.push({ kind: ch, via: top?.kind === "[" ? ITEM : top?.key, key: null, afterColon: false });
      token = "";
    } else if ((ch === "}" || ch === "]") && frames.length) {
      frames.pop();
      token = "";
    } else if (ch === "," && top) {
      Object.assign(top, { key: null, afterColon: false });
      token = "";
    } else if (ch === ":" && top?.kind === "{" && !top.afterColon && /^[\s,{}[\]]?$/.test(text[i + 1] ?? "")) {
      Object.assign(top, { key: unquote(token.trim()), afterColon: true });
      token = "";
    } else {
      token += ch;
    }
  }
  return frames.length ? { start, ...flowPlace(frames, token) } : null;
}

/** The index of the quote closing the string that opens at `i`, or -1 when the line ends inside it. */
function quoteEnd(text, i) {
  const quote = text[i];
  for (let j = i + 1; j < text.length; j++) {
    if (quote === '"' && text[j] === "\\") j++; // an escape: skip the next character
    else if (text[j] === quote && quote === "'" && text[j + 1] === "'") j++; // '' inside '...'
    else if (text[j] === quote) return j;
  }
  return -1;
}

function flowPlace(frames, token) {
  // Each frame below the outermost is entered from its parent's key at the time, or as a sequence item.
  const path = frames.slice(1).map((frame) => frame.via);
  const top = frames[frames.length - 1];
  if (top.kind === "[") return { path: [...path, ITEM], mode: "value", token };
  return top.afterColon ? { path: [...path, top.key], mode: "value", token } : { path, mode: "key", token };
}

/**
 * Where completion applies at `pos`: `{path, mode, from}` with mode "key" (offer the mapping's keys),
 * "value" (offer the values of the schema at path) or "any" (after a bare `- `: either), or null.
 */
function locate(state, pos) {
  const line = state.doc.lineAt(pos);
  const before = line.text.slice(0, pos - line.from);
  const partial = /["']?[\w.-]*$/.exec(before)[0];
  const flow = scanFlow(before);
  if (flow?.comment) return null;
  if (flow) {
    // The block part of the line before the flow collection: dashes, and maybe the key it is the value of.
    const { entries, restCol } = blockEntries(before.slice(0, flow.start));
    if (restCol !== flow.start || entries.at(-1)?.spaced === false) return null;
    if (!/^\s*["']?[\w.-]*$/.test(flow.token)) return null;
    const node = entries[0] ?? { col: flow.start };
    const path = [...ancestors(state.doc, line.number, node), ...entries.map((e) => e.segment)];
    return { path: [...path, ...flow.path], mode: flow.mode, from: pos - partial.length };
  }
  const { entries, restCol } = blockEntries(before);
  if (before.slice(restCol) !== partial) return null; // inside a longer scalar: nothing to offer
  const last = entries.at(-1);
  if (last && last.segment !== ITEM && !last.spaced) return null; // right after `key:`, before its space
  const node = entries[0] ?? { col: restCol };
  const path = [...ancestors(state.doc, line.number, node), ...entries.map((e) => e.segment)];
  const mode = !last ? "key" : last.segment === ITEM ? "any" : "value";
  return { path, mode, from: pos - partial.length };
}

/** The completion source: keys and enum values allowed at the cursor's place in the schema. */
function schemaCompletion(schema) {
  return (context) => {
    const place = locate(context.state, context.pos);
    if (!place || (place.from === context.pos && !context.explicit)) return null;
    const target = schemaAt(schema, place.path);
    if (!target) return null;
    const options = [
      ...(place.mode !== "value" ? keyOptions(schema, target) : []),
      ...(place.mode !== "key" ? valueOptions(schema, target) : []),
    ];
    return options.length ? { from: place.from, options, validFor: /^["']?[\w.-]*$/ } : null;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Diagnostics from the server: {line (1-based), column (1-based or null), severity, message}.

/** A server diagnostic as a CodeMirror one: from its column (or the line's first non-blank) to the end of
 *  the word there (or of the line). Lines past the end are clamped to the last line. */
function toDiagnostic(doc, item) {
  const line = doc.line(Math.min(Math.max(1, Math.trunc(item.line) || 1), doc.lines));
  const indent = line.text.length - line.text.trimStart().length;
  const offset = item.column ? Math.min(Math.max(0, item.column - 1), line.length) : indent;
  const word = item.column ? /^[^\s,:{}[\]]*/.exec(line.text.slice(offset))[0].length : 0;
  const from = line.from + offset;
  const to = word ? from + word : Math.max(from, line.to);
  const severity = ["error", "warning", "info", "hint"].includes(item.severity) ? item.severity : "error";
  return { from, to, severity, message: String(item.message ?? "") };
}

// ---------------------------------------------------------------------------------------------------------
// The API.

export function create(parent, { doc = "", schema = null, onChange = () => {} } = {}) {
  // One source function for the editor's life: autocompletion tells its results apart by their source.
  const completionData = schema ? [{ autocomplete: schemaCompletion(schema) }] : [];
  const extensions = [
    basicSetup,
    yaml(),
    lintGutter(),
    EditorView.theme({ "&": { height: "100%" }, ".cm-scroller": { overflow: "auto" } }),
    // User edits only: setText swaps the whole state, which runs no update listener.
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange(update.state.doc.toString());
    }),
    EditorState.languageData.of(() => completionData),
  ];
  const view = new EditorView({ parent, state: EditorState.create({ doc, extensions }) });

  return {
    view,
    getText: () => view.state.doc.toString(),
    /** Replaces the document with a fresh state (undo history and diagnostics start over), keeping the
     *  cursor's offset (clamped) and the scroll position; calls no onChange. The same text changes nothing. */
    setText(text) {
      if (text === view.state.doc.toString()) return;
      const anchor = Math.min(view.state.selection.main.head, text.length);
      const scroll = view.scrollSnapshot();
      view.setState(EditorState.create({ doc: text, extensions, selection: { anchor } }));
      view.dispatch({ effects: scroll });
    },
    setDiagnostics(list) {
      const diagnostics = (list ?? []).map((item) => toDiagnostic(view.state.doc, item));
      view.dispatch(setDiagnostics(view.state, diagnostics.sort((a, b) => a.from - b.from || a.to - b.to)));
    },
    diagnosticLines() {
      const lines = new Set();
      forEachDiagnostic(view.state, (_, from) => lines.add(view.state.doc.lineAt(from).number));
      return [...lines].sort((a, b) => a - b);
    },
  };
}
