// ccov HTML report: sorting, filtering and the directory view on the index;
// toggles, missing-chunk and file navigation on file pages; keyboard help.
// Choices (sort, hidden kinds, views) are kept in localStorage, so they
// survive going from page to page.
"use strict";

const store = {
  get(key, fallback) {
    try { const v = localStorage.getItem("ccov." + key); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  },
  set(key, value) {
    try { localStorage.setItem("ccov." + key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  },
};

function toggleHelp(force) {
  const help = document.getElementById("help");
  if (help) help.hidden = force === undefined ? !help.hidden : !force;
}

function typing(event) {
  const t = event.target;
  return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA") && t.type !== "checkbox";
}

// ---- the index --------------------------------------------------------------------------

function setUpIndex() {
  const flat = document.getElementById("files");
  const tree = document.getElementById("tree");
  const filter = document.getElementById("filter");
  const hideCovered = document.getElementById("hide-covered");
  const treeView = document.getElementById("tree-view");
  const noMatch = document.getElementById("no-match");
  const flatBody = flat.tBodies[0];
  // The files index, and the function and class indexes (no tree), each
  // remember their own sort and filter.
  const filterKey = tree ? "filter" : "filter.regions";

  function sortRows(column, descending) {
    const rows = Array.from(flatBody.rows);
    const text = column === "name";
    rows.sort((a, b) => {
      const x = a.dataset[column], y = b.dataset[column];
      const order = text ? x.localeCompare(y) : parseFloat(x) - parseFloat(y);
      return (descending ? -order : order) || a.dataset.name.localeCompare(b.dataset.name);
    });
    rows.forEach((row) => flatBody.appendChild(row));
    flat.querySelectorAll("th[data-sort]").forEach((th) => {
      th.setAttribute("aria-sort", th.dataset.sort === column ? (descending ? "descending" : "ascending") : "none");
    });
  }

  function collapsed() { return new Set(store.get("collapsed", [])); }

  function apply() {
    const needle = filter.value.trim().toLowerCase();
    const hide = hideCovered.checked;
    const closed = collapsed();
    let shown = 0;
    for (const row of flatBody.rows) {
      const visible = row.dataset.name.toLowerCase().includes(needle) && !(hide && row.classList.contains("covered"));
      row.classList.toggle("hidden", !visible);
      if (visible) shown += 1;
    }
    const treeRows = tree ? Array.from(tree.tBodies[0].rows) : [];
    const kept = (row) => row.dataset.name.toLowerCase().includes(needle) && !(hide && row.classList.contains("covered"));
    // A directory shows only if the filter keeps a file somewhere under it.
    const holding = new Set(treeRows.filter((row) => row.classList.contains("file") && kept(row))
      .map((row) => row.dataset.parent || ""));
    const holds = (dir) => Array.from(holding).some((parent) => parent.startsWith(dir));
    for (const row of treeRows) {
      const parent = row.dataset.parent || "";
      const underClosed = Array.from(closed).some((dir) => parent.startsWith(dir));
      let visible = !underClosed;
      if (row.classList.contains("file")) {
        visible = visible && kept(row);
      } else {
        visible = visible && holds(row.dataset.path);
        row.querySelector(".twisty").setAttribute("aria-expanded", String(!closed.has(row.dataset.path)));
      }
      row.classList.toggle("hidden", !visible);
    }
    noMatch.hidden = shown > 0;
    if (!tree) return;  // the function and class indexes: a flat list only
    flat.hidden = treeView.checked;
    tree.hidden = !treeView.checked;
    // File pages follow the order (and the filter) seen here.
    store.set("order", Array.from(flatBody.rows).filter((r) => !r.classList.contains("hidden"))
      .map((r) => r.querySelector("a").getAttribute("href")));
  }

  flat.querySelectorAll("th[data-sort] button").forEach((button) => {
    button.addEventListener("click", () => {
      const column = button.parentElement.dataset.sort;
      const [current, descending] = store.get(sortKey, ["name", false]);
      const next = [column, current === column ? !descending : column !== "name"];
      store.set(sortKey, next);
      sortRows(...next);
      apply();
    });
  });
  if (tree) tree.addEventListener("click", (event) => {
    const twisty = event.target.closest(".twisty");
    if (!twisty) return;
    const path = twisty.closest("tr").dataset.path;
    const closed = collapsed();
    if (closed.has(path)) closed.delete(path); else closed.add(path);
    store.set("collapsed", Array.from(closed));
    apply();
  });
  filter.addEventListener("input", () => { store.set(filterKey, filter.value); apply(); });
  hideCovered.addEventListener("change", () => { store.set("hideCovered", hideCovered.checked); apply(); });
  if (treeView) treeView.addEventListener("change", () => { store.set("treeView", treeView.checked); apply(); });

  filter.value = store.get(filterKey, "");
  hideCovered.checked = store.get("hideCovered", false);
  if (treeView) treeView.checked = store.get("treeView", false);
  // Each index keeps its own sort: a region index has no file order to set.
  const sortKey = tree ? "sort" : `sort.${document.body.dataset.page}`;
  sortRows(...store.get(sortKey, ["name", false]));
  apply();

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { toggleHelp(false); if (typing(event)) event.target.blur(); return; }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/") { event.preventDefault(); filter.focus(); }
    else if (event.key === "h") { hideCovered.click(); }
    else if (event.key === "t" && treeView) { treeView.click(); }
    else if (event.key === "?") { toggleHelp(); }
  });
}

// ---- syntax colours ---------------------------------------------------------------------
// Python's keywords and builtins, and one regular expression over the whole
// source, so strings across lines are coloured right.  The text is escaped
// again before it goes back in as HTML.

const KEYWORDS = new Set(["False", "None", "True", "and", "as", "assert", "async", "await", "break", "case", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "match", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"]);
const BUILTINS = new Set(["ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BaseExceptionGroup", "BlockingIOError", "BrokenPipeError", "BufferError", "BytesWarning", "ChildProcessError", "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning", "EnvironmentError", "Exception", "ExceptionGroup", "False", "FileExistsError", "FileNotFoundError", "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError", "ImportWarning", "IndentationError", "IndexError", "InterruptedError", "IsADirectoryError", "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError", "ModuleNotFoundError", "NameError", "None", "NotADirectoryError", "NotImplemented", "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning", "PermissionError", "ProcessLookupError", "RecursionError", "ReferenceError", "ResourceWarning", "RuntimeError", "RuntimeWarning", "StopAsyncIteration", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError", "SystemExit", "TabError", "TimeoutError", "True", "TypeError", "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError", "UnicodeWarning", "UserWarning", "ValueError", "Warning", "ZeroDivisionError", "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint", "bytearray", "bytes", "callable", "chr", "classmethod", "compile", "complex", "copyright", "credits", "delattr", "dict", "dir", "divmod", "enumerate", "eval", "exec", "exit", "filter", "float", "format", "frozenset", "getattr", "globals", "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance", "issubclass", "iter", "len", "license", "list", "locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open", "ord", "pow", "print", "property", "quit", "range", "repr", "reversed", "round", "set", "setattr", "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip"]);
const TOKEN = new RegExp([
  String.raw`(#[^\n]*)`,
  String.raw`((?:[rRbBuUfF]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF])?(?:'''(?:[^\\]|\\[\s\S])*?(?:'''|$(?![\s\S]))` +
    String.raw`|"""(?:[^\\]|\\[\s\S])*?(?:"""|$(?![\s\S]))|'(?:[^'\\\n]|\\.)*(?:'|$)|"(?:[^"\\\n]|\\.)*(?:"|$)))`,
  String.raw`(\b\d[\w.]*)`,
  String.raw`(^[ \t]*@[\w.]+)`,
  String.raw`([A-Za-z_\u00C0-\uFFFF][\w\u00C0-\uFFFF]*)`,
].join("|"), "gm");

function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function colourSyntax() {
  const codes = Array.from(document.querySelectorAll(".line > code"));
  const text = codes.map((code) => code.textContent).join("\n");
  let html = "";
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const [token, comment, string, number, decorator, word] = match;
    let css = comment ? "c" : string ? "s" : number ? "n" : decorator ? "d" : null;
    if (word) css = KEYWORDS.has(word) ? "k" : BUILTINS.has(word) ? "b" : null;
    html += escapeHtml(text.slice(last, match.index));
    const escaped = escapeHtml(token);
    html += css ? `<span class="${css}">${escaped.replace(/\n/g, `</span>\n<span class="${css}">`)}</span>` : escaped;
    last = match.index + token.length;
  }
  html += escapeHtml(text.slice(last));
  html.split("\n").forEach((line, number) => { if (codes[number]) codes[number].innerHTML = line; });
}

// ---- a file's page ----------------------------------------------------------------------

function setUpFile() {
  colourSyntax();
  const kinds = ["run", "par", "mis", "exc"];
  const hidden = new Set(store.get("hiddenKinds", []));
  document.querySelectorAll(".controls input[data-kind]").forEach((box) => {
    box.checked = !hidden.has(box.dataset.kind);
    box.addEventListener("change", () => {
      if (box.checked) hidden.delete(box.dataset.kind); else hidden.add(box.dataset.kind);
      store.set("hiddenKinds", Array.from(hidden));
      show();
    });
  });
  function show() { kinds.forEach((k) => document.body.classList.toggle("hide-" + k, hidden.has(k))); }
  show();

  // Previous and next follow the index's order when this page is in it.
  const here = location.pathname.split("/").pop();
  const order = store.get("order", []);
  const at = order.indexOf(here);
  if (at >= 0) {
    for (const [id, to] of [["prev-file", order[at - 1]], ["next-file", order[at + 1]]]) {
      const link = document.getElementById(id);
      if (link && to) link.setAttribute("href", to);
      else if (link) link.remove();
    }
  }

  // A chunk is a run of missing statements (or partial branch lines) with no
  // fully executed statement between.
  const chunks = [];
  let previous = null;
  const gap = (line) => line.classList.contains("mis") || line.classList.contains("par");
  for (const line of document.querySelectorAll(".line.run, .line.mis, .line.par")) {
    if (gap(line) && !(previous && gap(previous))) chunks.push(line);
    previous = line;
  }
  let current = -1;
  function goToChunk(step) {
    if (!chunks.length) return;
    const top = window.scrollY;
    if (current < 0) {
      current = step > 0 ? chunks.findIndex((c) => c.getBoundingClientRect().top + window.scrollY > top + 1) : chunks.length - 1;
      if (current < 0) current = 0;
    } else {
      current = Math.min(Math.max(current + step, 0), chunks.length - 1);
    }
    document.querySelectorAll(".line.current").forEach((l) => l.classList.remove("current"));
    chunks[current].classList.add("current");
    chunks[current].scrollIntoView({ block: "center" });
  }
  setUpWho();
  drawMissedLinesMap();
  function follow(id) { const link = document.getElementById(id); if (link) location.href = link.getAttribute("href"); }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { toggleHelp(false); return; }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const actions = {
      j: () => goToChunk(1), k: () => goToChunk(-1), n: () => follow("next-file"), p: () => follow("prev-file"),
      u: () => follow("to-index"), "?": () => toggleHelp(),
    };
    if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
  });
}

// Who ran a line: the per-line buttons hold positions in the page's list of names.
function setUpWho() {
  const table = document.getElementById("contexts");
  const who = document.getElementById("who");
  if (!table || !who) return;
  const names = JSON.parse(table.textContent);
  document.querySelector(".source").addEventListener("click", (event) => {
    const button = event.target.closest("button.t");
    if (!button) return;
    const line = button.closest(".line").id.slice(1);
    const ran = button.dataset.c.split(" ").map((i) => names[+i] || "(outside any test)");
    who.innerHTML = `<strong>Line ${escapeHtml(line)}: ${ran.length} ran it</strong><ul>` +
      ran.map((name) => `<li>${escapeHtml(name)}</li>`).join("") + "</ul>";
    const box = button.getBoundingClientRect();
    who.style.top = `${window.scrollY + box.bottom + 4}px`;
    who.style.left = `${window.scrollX + box.left}px`;
    who.hidden = false;
    event.stopPropagation();
  });
  document.addEventListener("click", (event) => { if (!who.contains(event.target)) who.hidden = true; });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") who.hidden = true; });
}

// A permalink (#L495) scrolls its line to just below the sticky header, not
// under it: the CSS keeps that much room above a line (scroll-margin-top),
// and the header's height is known only here.  The browser scrolled to the
// anchor before this ran, so it is scrolled to again.
function keepLinesClearOfTheHeader() {
  const header = document.querySelector("header");
  if (!header) return;
  const measure = () => document.documentElement.style.setProperty("--header-height", `${header.offsetHeight}px`);
  measure();
  window.addEventListener("resize", measure);
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target) target.scrollIntoView();
}

// Beside the scrollbar, a map of the page: a mark for each missing statement
// and partial branch line, at its height in the file; a mark links to its line.
function drawMissedLinesMap() {
  const lines = document.querySelectorAll(".source .line");
  const missed = document.querySelectorAll(".source .line.mis:not(.cont), .source .line.par:not(.cont)");
  if (!lines.length || !missed.length) return;
  const map = document.createElement("nav");
  map.id = "map";
  map.setAttribute("aria-label", "Missed lines in this file");
  const total = lines.length;
  for (const line of missed) {
    const number = +line.id.slice(1);
    const mark = document.createElement("a");
    mark.href = `#${line.id}`;
    mark.className = line.classList.contains("par") ? "par" : "mis";
    mark.title = `line ${number}`;
    mark.style.top = `${(100 * (number - 1)) / total}%`;
    mark.style.height = `max(3px, ${100 / total}%)`;
    map.appendChild(mark);
  }
  document.body.appendChild(map);
}

document.addEventListener("DOMContentLoaded", () => {
  keepLinesClearOfTheHeader();
  const help = document.getElementById("help-button");
  if (help) help.addEventListener("click", () => toggleHelp());
  if (document.body.dataset.page === "index" || document.body.dataset.page === "regions") setUpIndex();
  else if (document.getElementById("help") || document.querySelector(".source")) setUpFile();
});
