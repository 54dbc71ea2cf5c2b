// The staff page: hash-routed views over /api/v1.
// Everything that comes from documents is put on the page with textContent / text nodes,
// never parsed as HTML: the texts are not ours and may contain markup.
"use strict";

const API = "/api/v1";
const LANGS = ["kk", "ru"];
const GENRES = ["law", "decision", "order", "plan", "report", "convention_text", "press_release", "news", "other"];
const ENTITY_TYPES = ["convention", "agency", "date", "doc_ref", "person", "location"];
const ACT_KINDS = [
  "code", "law", "government_resolution", "ministerial_order", "maslikhat_decision", "akimat_resolution",
  "cop_decision", "plan", "press_release", "news", "other",
];
const ACT_STATUSES = ["in_force", "repealed", "unknown"];
const PAGE = 25;
const STATUSES = ["overdue", "due", "recurring", "on_event", "undated", "no_deadline"];
const SORTS = ["document", "due"];
const VIEWS = ["paired", "flat"]; // paired: a duty stated in both languages of an act is one row with both quotes

const state = {
  ui: localStorage.getItem("kb-ui-lang") || "ru",
  entities: { convention: [], agency: [], role: [] },
  search: { hits: null, offset: 0, total: 0 },
  answer: null,
  obl: { offset: 0, total: 0 },
  docs: { offset: 0, total: 0 },
  docCache: new Map(),
  acts: { offset: 0, total: 0 },
  actCache: new Map(), // act id -> Promise of the act (or null when unknown)
};

const $ = (sel) => document.querySelector(sel);

// -- labels ---------------------------------------------------------------------------------
function t(key, vars) {
  const dict = window.LABELS[state.ui] || window.LABELS.ru;
  let s = dict[key] ?? window.LABELS.ru[key] ?? key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

function applyLabels() {
  document.documentElement.lang = state.ui;
  document.title = t("app_title");
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = t(e.dataset.i18nPlaceholder);
  fillOptions();
}

function entityName(ent) {
  const n = ent.names || {};
  const name = n[state.ui] || n.ru || n.kk || n.en || ent.id;
  return Array.isArray(name) ? name[0] : name;
}

// Rebuilds every filter <select> from its data-options kind, keeping what was selected.
function fillOptions() {
  for (const sel of document.querySelectorAll("select[data-options]")) {
    const kind = sel.dataset.options;
    const keep = sel.value;
    let opts = [];
    if (kind === "doc_lang") opts = LANGS.map((l) => [l, t("lang_" + l)]);
    else if (kind === "genre") opts = GENRES.map((g) => [g, t("genre_" + g)]);
    else if (kind === "status") opts = STATUSES.map((st) => [st, t("st_" + st)]);
    else if (kind === "sort") opts = SORTS.map((so) => [so, t("sort_" + so)]);
    else if (kind === "view") opts = VIEWS.map((v) => [v, t("view_" + v)]);
    else if (kind === "actor")
      // agencies named in the knowledge base, then the generic roles of Rules (role:...)
      opts = [
        ...state.entities.agency.map((e) => [e.id, `${entityName(e)} (${e.mentions})`]),
        ...state.entities.role.map((r) => [r.id, `${entityName(r)} · ${t("role")}`]),
      ];
    else if (kind === "act_kind") opts = ACT_KINDS.map((k) => [k, t("kind_" + k)]);
    else if (kind === "act_status") opts = ACT_STATUSES.map((k) => [k, t("status_" + k)]);
    else opts = (state.entities[kind] || []).map((e) => [e.id, `${entityName(e)} (${e.mentions})`]);
    const any = "noAny" in sel.dataset ? [] : [el("option", { value: "" }, t("any"))];
    sel.replaceChildren(...any, ...opts.map(([v, label]) => el("option", { value: v }, label)));
    sel.value = opts.some(([v]) => v === keep) ? keep : any.length ? "" : opts[0][0];
  }
}

// -- DOM and HTTP helpers -------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === "") continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function docHref(docId, start, end) {
  let h = "#doc/" + encodeURIComponent(docId);
  if (start !== undefined && end !== undefined) h += `?start=${Number(start)}&end=${Number(end)}`;
  return h;
}

function showError(message) {
  const box = $("#error");
  box.textContent = message ? `${t("error")}: ${message}` : "";
  box.hidden = !message;
}

// A key is asked for only when an operation needs one (uploads; reads when the service
// requires a read key). It stays in this tab's sessionStorage, never in a cookie.
const KEY_SLOT = "kb-api-key";

function askForKey(retry) {
  const key = window.prompt(t(retry ? "key_rejected" : "key_prompt"));
  if (key && key.trim()) sessionStorage.setItem(KEY_SLOT, key.trim());
  else sessionStorage.removeItem(KEY_SLOT);
  return sessionStorage.getItem(KEY_SLOT);
}

async function api(path, options = {}, retried = false) {
  const init = { method: options.method || "GET", headers: {} };
  if (options.json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.json);
  } else if (options.form) {
    init.body = options.form;
  }
  let key = sessionStorage.getItem(KEY_SLOT);
  if (!key && options.write) key = askForKey(false);
  if (key) init.headers["Authorization"] = "Bearer " + key;
  $("#loading").hidden = false;
  try {
    const res = await fetch(API + path, init);
    const body = res.status === 204 ? null : await res.json().catch(() => null);
    if ((res.status === 401 || res.status === 403) && !retried && askForKey(true)) {
      return api(path, options, true);
    }
    if (!res.ok) {
      const err = new Error((body && body.detail) || `HTTP ${res.status}`);
      err.status = res.status;
      throw err;
    }
    return body;
  } finally {
    $("#loading").hidden = true;
  }
}

function query(params) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => qs.append(k, x));
    else if (v !== "" && v !== null && v !== undefined) qs.append(k, v);
  }
  return qs.toString();
}

function listOf(value) {
  return value ? [value] : [];
}

function docMeta(d) {
  return [t("lang_" + d.lang), t("genre_" + d.genre), d.date || "", d.number ? "№ " + d.number : ""]
    .filter(Boolean)
    .join(" · ");
}

// The server builds snippets from escaped text and adds <mark> tags. We split on the tags and
// decode the entities ourselves so the text still goes in as text nodes.
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

function snippetNodes(snippet) {
  const nodes = [];
  let inMark = false;
  for (const part of snippet.split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>") inMark = true;
    else if (part === "</mark>") inMark = false;
    else if (part) nodes.push(inMark ? el("mark", {}, decodeEntities(part)) : document.createTextNode(decodeEntities(part)));
  }
  return nodes;
}

// -- search ---------------------------------------------------------------------------------
function searchRequest(offset) {
  return {
    q: $("#q").value.trim(),
    top_k: 10,
    offset,
    lang: listOf($("#f-lang").value),
    genre: listOf($("#f-genre").value),
    convention: listOf($("#f-convention").value),
    agency: listOf($("#f-agency").value),
    kind: listOf($("#f-kind").value),
    status: listOf($("#f-status").value),
    date_from: $("#f-date-from").value || null,
    date_to: $("#f-date-to").value || null,
  };
}

async function runSearch(offset = 0) {
  const req = searchRequest(offset);
  if (!req.q) return showError(t("empty_query"));
  showError("");
  let res;
  try {
    res = await api("/search", { method: "POST", json: req });
  } catch (err) {
    return showError(err.message);
  }
  const hits = offset === 0 ? res.hits : state.search.hits.concat(res.hits);
  state.search = { hits, offset: offset + res.hits.length, total: res.total, done: res.hits.length === 0 };
  renderSearch();
}

function renderSearch() {
  const { hits, total, offset } = state.search;
  if (!hits) return;
  $("#results").replaceChildren(...hits.map(hitItem));
  $("#search-summary").textContent = total ? t("results_count", { n: total }) : t("no_results");
  $("#search-more").hidden = offset >= total || state.search.done;
}

function hitItem(hit) {
  const d = hit.document;
  return el(
    "li",
    { class: "hit", "data-doc": d.id, "data-lang": d.lang, title: hit.match || null },
    el("a", { class: "hit-title", href: docHref(d.id, hit.start, hit.end) }, d.title || d.source),
    el("div", { class: "meta" }, docMeta(d)),
    hit.act_id ? actBadgeSlot(hit.act_id) : null,
    hit.block_path ? el("div", { class: "path" }, hit.block_path) : null,
    el("p", { class: "snippet" }, snippetNodes(hit.snippet || hit.text)),
  );
}

// -- acts -----------------------------------------------------------------------------------
// A hit shows its act's kind, number, date, issuer and status; acts are fetched once each.
function fetchAct(actId) {
  if (!state.actCache.has(actId)) {
    const p = api("/acts/" + encodeURIComponent(actId)).catch((err) => {
      if (err.status !== 404) state.actCache.delete(actId); // a passing failure is tried again
      return null;
    });
    state.actCache.set(actId, p);
  }
  return state.actCache.get(actId);
}

function actHref(actId) {
  return "#act/" + encodeURIComponent(actId);
}

function actStatusBadge(act) {
  const status = act.status || "unknown";
  const label = t("status_" + status) + (status === "repealed" && act.repealed_on ? " " + act.repealed_on : "");
  return el("span", { class: "status-badge status-" + status }, label);
}

function actSummary(act) {
  return [act.kind ? t("kind_" + act.kind) : "", act.number ? "№ " + act.number : "", act.date || "", act.issuer || ""]
    .filter(Boolean)
    .join(" · ");
}

function actBadgeSlot(actId) {
  const slot = el("div", { class: "act-badge", "data-act": actId });
  fetchAct(actId).then((act) => {
    if (!act) return slot.remove();
    const langs = [...new Set(act.versions.map((v) => v.lang))].sort();
    slot.replaceChildren(
      el("a", { href: actHref(act.id) }, t("act") + (langs.length > 1 ? " (" + langs.map((l) => l.toUpperCase()).join("/") + ")" : "")),
      el("span", {}, actSummary(act)),
      actStatusBadge(act),
    );
  });
  return slot;
}

function actFilters() {
  const year = $("#a-year").value.trim();
  const [sort, order] = $("#a-sort").value.split(":");
  return {
    kind: $("#a-kind").value,
    issuer: $("#a-issuer").value.trim(),
    date_from: /^\d{4}$/.test(year) ? `${year}-01-01` : "",
    date_to: /^\d{4}$/.test(year) ? `${year}-12-31` : "",
    status: $("#a-status").value,
    lang: $("#a-lang").value,
    q: $("#a-q").value.trim(),
    sort,
    order,
  };
}

async function loadActs(offset = 0) {
  let page;
  try {
    page = await api(`/acts?${query({ ...actFilters(), offset, limit: PAGE })}`);
  } catch (err) {
    return showError(err.message);
  }
  showError("");
  state.acts = { offset, total: page.total };
  $("#acts-summary").textContent =
    t("acts_count", { n: page.total }) +
    (page.total ? " · " + t("page_range", { from: offset + 1, to: offset + page.items.length, total: page.total }) : "");
  $("#acts-list").replaceChildren(
    ...page.items.map((a) => {
      state.actCache.set(a.id, Promise.resolve(a));
      return el(
        "tr",
        { class: "act-row", "data-act": a.id, "data-kind": a.kind || "" },
        el("td", {}, el("a", { href: actHref(a.id) }, actTitle(a))),
        el("td", {}, a.kind ? t("kind_" + a.kind) : ""),
        el("td", {}, a.date || ""),
        el("td", {}, a.number || ""),
        el("td", {}, a.issuer || ""),
        el("td", {}, actStatusBadge(a)),
        el("td", {}, [...new Set(a.versions.map((v) => t("lang_" + v.lang)))].join(", ")),
      );
    }),
  );
  $("#acts-prev").disabled = offset === 0;
  $("#acts-next").disabled = offset + PAGE >= page.total;
}

function actTitle(act) {
  const ti = act.title || {};
  return (state.ui === "kk" ? ti.kk || ti.ru : ti.ru || ti.kk) || act.id;
}

async function getDocument(docId) {
  let doc = state.docCache.get(docId);
  if (!doc) {
    doc = await api("/documents/" + encodeURIComponent(docId));
    state.docCache.set(docId, doc);
  }
  return doc;
}

// Where a block sits in its act, the same in both languages: the mirrors' anchor, else the
// numbers of its path ("Статья 12 › п. 3" and "12-бап › 3-тармақ" are both "12/3").
// Blocks without a number belong to the numbered block before them.
function blockKeys(doc) {
  const groups = [];
  let current = null;
  for (const b of doc.blocks) {
    const nums = (b.path || []).map((p) => (p.match(/\d+(?:-\d+)?/g) || []).join("") || "_");
    const key = b.anchor || (nums.some((n) => n !== "_") ? nums.join("/") : null);
    if (key !== null && (!current || current.key !== key)) {
      current = { key, label: (b.path || []).join(" › ") || key, texts: [] };
      groups.push(current);
    } else if (!current) {
      current = { key: "_head", label: "", texts: [] };
      groups.push(current);
    }
    current.texts.push(doc.text.slice(b.start, b.end));
  }
  return groups;
}

// Rows of [key, label, kk texts, ru texts] in the order of the Russian text, the Kazakh-only
// keys placed after the key they follow there.
function alignTexts(kkDoc, ruDoc) {
  const kk = kkDoc ? blockKeys(kkDoc) : [];
  const ru = ruDoc ? blockKeys(ruDoc) : [];
  const rows = new Map();
  const order = [];
  const add = (g, side) => {
    if (!rows.has(g.key)) {
      rows.set(g.key, { key: g.key, label: g.label, kk: [], ru: [] });
      order.push(g.key);
    }
    rows.get(g.key)[side].push(...g.texts);
  };
  ru.forEach((g) => add(g, "ru"));
  let at = 0;
  for (const g of kk) {
    if (rows.has(g.key)) {
      at = order.indexOf(g.key) + 1;
      rows.get(g.key).kk.push(...g.texts);
    } else {
      rows.set(g.key, { key: g.key, label: g.label, kk: [...g.texts], ru: [] });
      order.splice(at++, 0, g.key);
    }
  }
  return order.map((k) => rows.get(k));
}

function safeUrl(url) {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

async function showAct(actId) {
  const box = $("#act-view");
  let act;
  try {
    act = await api("/acts/" + encodeURIComponent(actId));
  } catch (err) {
    box.replaceChildren();
    return showError(err.status === 404 ? t("act_not_found") : err.message);
  }
  showError("");
  const ti = act.title || {};
  const main = actTitle(act);
  const other = [ti.kk, ti.ru].find((x) => x && x !== main);
  const reg = act.registration;
  const rows = [
    ["act_kind", act.kind ? t("kind_" + act.kind) : ""],
    ["act_issuer", act.issuer || ""],
    ["col_date", act.date || ""],
    ["col_number", act.number || ""],
    ["act_registration", reg ? [reg.date, reg.number ? "№ " + reg.number : "", reg.body].filter(Boolean).join(" · ") : ""],
    ["act_status", actStatusBadge(act)],
    ["act_repealed_by", act.repealed_by || ""],
    ["act_edition", act.edition_date || ""],
  ].filter(([, v]) => v);
  const links = ["kk", "ru"]
    .map((l) => [l, safeUrl((act.urls || {})[l] || "")])
    .filter(([, u]) => u)
    .map(([l, u]) => el("a", { href: u, rel: "noopener noreferrer", target: "_blank" }, t("official_text") + " (" + t("lang_" + l) + ")"));
  const versions = act.versions.map((v) =>
    el("a", { href: docHref(v.doc_id), class: "version", title: `${t("pairing_" + v.method)} · ${Math.round(v.confidence * 100)}%` },
      t("lang_" + v.lang) + (v.part ? ` (${v.part})` : "")),
  );
  box.replaceChildren(
    el("div", { class: "act-head" }, el("h2", {}, main), other ? el("p", { class: "other-title" }, other) : null),
    el("dl", { class: "act-requisites" }, ...rows.flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", {}, v)])),
    links.length ? el("div", { class: "act-links" }, ...links) : null,
    el("div", { class: "act-versions" }, t("act_versions") + ": ", ...versions.flatMap((a, i) => (i ? [", ", a] : [a]))),
    el("div", { class: "aligned", "aria-live": "polite" }),
  );
  // The texts side by side: each part of a code with its part in the other language.
  const parts = [...new Set(act.versions.map((v) => v.part || ""))];
  const aligned = [el("div", { class: "aligned-row aligned-head" }, el("span", {}, ""), el("span", {}, t("lang_kk")), el("span", {}, t("lang_ru")))];
  try {
    for (const part of parts) {
      const pick = (lang) => act.versions.find((v) => v.lang === lang && (v.part || "") === part);
      const [kkV, ruV] = [pick("kk"), pick("ru")];
      const [kkDoc, ruDoc] = await Promise.all([kkV && getDocument(kkV.doc_id), ruV && getDocument(ruV.doc_id)]);
      for (const row of alignTexts(kkDoc, ruDoc)) {
        const col = (side, texts) =>
          el("div", { class: "col-" + side }, texts.length ? texts.join("\n") : el("span", { class: "missing" }, t("no_text_in_lang")));
        aligned.push(
          el("div", { class: "aligned-row", "data-key": (part ? part + "#" : "") + row.key },
            el("span", { class: "key" }, row.label), col("kk", row.kk), col("ru", row.ru)),
        );
      }
    }
  } catch (err) {
    showError(err.message);
  }
  box.querySelector(".aligned").replaceChildren(...aligned);
  window.scrollTo(0, 0);
}

// -- ask ------------------------------------------------------------------------------------
async function runAsk() {
  const question = $("#question").value.trim();
  if (!question) return showError(t("empty_question"));
  showError("");
  let ans;
  try {
    ans = await api("/ask", { method: "POST", json: { question, lang: listOf($("#a-lang").value) } });
  } catch (err) {
    return showError(err.message);
  }
  state.answer = ans;
  renderAnswer();
}

function renderAnswer() {
  const ans = state.answer;
  if (!ans) return;
  $("#answer").hidden = false;
  // Confidence in words; the calibrated probability on hover.
  const level = ans.confidence_level || (ans.confidence >= 0.8 ? "high" : ans.confidence >= 0.5 ? "medium" : "low");
  $("#confidence-value").textContent = t("confidence_" + level);
  $("#confidence").title = t("confidence_hover", { p: Math.round(ans.confidence * 100) });
  $("#confidence").className = "confidence confidence-" + level;
  const notes = [];
  if (ans.reason_code === "unsupported_language") notes.push(t("unsupported_language"));
  if (ans.answered && ans.source_lang_marked) notes.push(t("other_lang_note"));
  if ((ans.notes || []).includes("generator_failed")) notes.push(t("generator_failed"));
  $("#answer-note").textContent = notes.join(" ");
  $("#answer-note").hidden = !notes.length;
  const byN = new Map(ans.citations.map((c) => [c.n, c]));
  // "[2]" in the answer becomes a link to citation 2; the rest stays text. A refusal for an
  // unsupported language is said in the interface language (the note above) instead.
  const text = ans.reason_code === "unsupported_language" ? "" : ans.answer || "";
  const parts = text.split(/(\[\d+\])/);
  $("#answer-text").hidden = !text;
  $("#answer-text").replaceChildren(
    ...parts.map((p) => {
      const m = /^\[(\d+)\]$/.exec(p);
      const c = m && byN.get(Number(m[1]));
      return c ? el("a", { class: "cite-ref", href: docHref(c.doc_id, c.start, c.end) }, p) : document.createTextNode(p);
    }),
  );
  const cited = ans.answered ? ans.citations : [];
  $("#citations-head").hidden = $("#citations").hidden = !cited.length;
  $("#citations").replaceChildren(
    ...cited.map((c) =>
      el(
        "li",
        { value: c.n, class: "citation" },
        el("a", { class: "citation-link", href: docHref(c.doc_id, c.start, c.end) }, c.title || c.source),
        c.block_path ? el("span", { class: "path" }, " — " + c.block_path) : null,
        el("blockquote", {}, c.quote),
      ),
    ),
  );
  // A refusal names the closest acts as possibly related: titles only, nothing quoted.
  const related = ans.answered ? [] : ans.related || [];
  $("#related-head").hidden = $("#related").hidden = !related.length;
  $("#related").replaceChildren(
    ...related.map((r) => el("li", {}, el("a", { href: docHref(r.doc_id) }, r.title || r.source))),
  );
}

// -- obligations ----------------------------------------------------------------------------
function oblFilters() {
  return {
    actor: $("#o-actor").value,
    convention: $("#o-convention").value,
    deadline_from: $("#o-deadline-from").value,
    deadline_to: $("#o-deadline-to").value,
    lang: $("#o-lang").value,
    status: $("#o-status").value,
    sort: $("#o-sort").value,
  };
}

// Where an obligation stands today: a badge ("overdue 6 d", "due in 24 d", "recurring · 2027-03-01").
function statusBadge(o) {
  if (!o.status) return null;
  let label = t("st_" + o.status);
  if (o.status === "due" && o.days_left !== null) label = t("due_in", { n: o.days_left });
  else if (o.status === "overdue" && o.days_left !== null) label = t("overdue_by", { n: -o.days_left });
  else if (o.status === "recurring" && o.next_due) label = t("recurring_next", { date: o.next_due });
  const title = o.deadline ? [o.deadline.rrule, o.deadline.reason].filter(Boolean).join(" · ") : "";
  return el("span", { class: "badge st-" + o.status, title: title || null }, label);
}

// The source cell: the document and point; in the paired view each language's quote, linked.
function sourceCell(o) {
  const quotes = [["kk", o.quote_kk, o.doc_id_kk, o.title_kk], ["ru", o.quote_ru, o.doc_id_ru, o.title_ru]].filter((q) => q[1]);
  if (quotes.length < 2)
    return el("td", {}, el("a", { href: docHref(o.doc_id, o.quote.start, o.quote.end), title: o.quote.text }, o.title), o.quote.block_path ? el("div", { class: "path" }, o.quote.block_path) : null);
  return el(
    "td",
    { class: "quotes" },
    ...quotes.map(([lang, q, docId, title]) =>
      el(
        "div",
        { class: "quote", lang },
        el("span", { class: "badge lang" }, lang.toUpperCase()),
        " ",
        el("a", { href: docHref(docId, q.start, q.end), title: title || "" }, q.text),
        q.block_path ? el("div", { class: "path" }, q.block_path) : null,
      ),
    ),
  );
}

async function loadObligations(offset = 0) {
  const filters = oblFilters();
  const view = $("#o-view").value || "paired";
  $("#csv-link").href = `${API}/obligations.csv?${query(filters)}`;
  // the feed a calendar subscribes to: an absolute address, with the filters shown
  $("#ics-link").href = new URL(`${API}/obligations.ics?${query({ ...filters, view })}`, location.href).href;
  let page;
  try {
    page = await api(`/obligations?${query({ ...filters, view, offset, limit: PAGE })}`);
  } catch (err) {
    return showError(err.message);
  }
  showError("");
  state.obl = { offset, total: page.total };
  $("#obl-summary").textContent =
    t("obl_count", { n: page.total }) +
    (page.total ? " · " + t("page_range", { from: offset + 1, to: offset + page.items.length, total: page.total }) : "");
  $("#obl-table tbody").replaceChildren(
    ...page.items.map((o) =>
      el(
        "tr",
        {},
        el("td", {}, o.actor ? o.actor.text : el("span", { class: "muted", title: o.actor_reason || "" }, t("actor_none"))),
        el("td", {}, el("span", { class: "badge mod-" + o.modality }, t("mod_" + o.modality)), " ", o.action),
        el("td", {}, o.deadline ? o.deadline.text : "", o.deadline && o.deadline.value ? el("div", { class: "muted" }, o.deadline.value) : null),
        el("td", {}, statusBadge(o)),
        el("td", {}, o.condition || ""),
        sourceCell(o),
      ),
    ),
  );
  $("#obl-prev").disabled = offset === 0;
  $("#obl-next").disabled = offset + PAGE >= page.total;
}

// -- documents ------------------------------------------------------------------------------
async function loadDocuments(offset = 0) {
  let page;
  try {
    page = await api(`/documents?${query({ offset, limit: PAGE, lang: $("#d-lang").value, genre: $("#d-genre").value })}`);
  } catch (err) {
    return showError(err.message);
  }
  showError("");
  state.docs = { offset, total: page.total };
  $("#docs-summary").textContent = t("docs_count", { n: page.total });
  $("#docs-table tbody").replaceChildren(
    ...page.items.map((d) =>
      el(
        "tr",
        {},
        el("td", {}, el("a", { href: docHref(d.id) }, d.title || d.source)),
        el("td", {}, t("lang_" + d.lang)),
        el("td", {}, t("genre_" + d.genre)),
        el("td", {}, d.date || ""),
        el("td", {}, d.number || ""),
        el("td", { class: "num" }, d.obligations),
      ),
    ),
  );
  $("#docs-prev").disabled = offset === 0;
  $("#docs-next").disabled = offset + PAGE >= page.total;
}

async function upload() {
  const files = [...$("#upload-file").files];
  const status = $("#upload-status");
  if (!files.length) return (status.textContent = t("choose_file"));
  const form = new FormData();
  files.forEach((f) => form.append("files", f));
  status.textContent = t("uploading");
  try {
    let job = await api("/jobs", { method: "POST", form, write: true });
    while (job.status === "queued" || job.status === "running") {
      status.textContent = t("job_progress", { done: job.done, total: job.total || files.length })
        + (job.eta_s != null ? " · " + t("job_eta", { s: Math.ceil(job.eta_s) }) : "");
      await new Promise((r) => setTimeout(r, 500));
      job = await api("/jobs/" + encodeURIComponent(job.id));
    }
    state.docCache.clear();
    const failed = job.failed.map((f) => `${f.path}: ${f.reason}`).join("; ");
    status.textContent = t("job_done", { added: job.added + job.updated, unchanged: job.unchanged, failed: job.failed.length });
    await loadEntities();
    await loadDocuments(0);
    state.actCache.clear();
    showError(failed || job.error || ""); // after the reloads, which clear the error box when they succeed
  } catch (err) {
    status.textContent = "";
    showError(err.message);
  }
}

// -- one document ---------------------------------------------------------------------------
async function showDocument(docId, range) {
  let doc = state.docCache.get(docId);
  if (!doc) {
    try {
      doc = await api("/documents/" + encodeURIComponent(docId));
    } catch (err) {
      $("#doc-title").textContent = "";
      $("#doc-text").replaceChildren();
      return showError(err.status === 404 ? t("not_found") : err.message);
    }
    state.docCache.set(docId, doc);
  }
  showError("");
  $("#doc-title").textContent = doc.title || doc.source;
  $("#doc-meta").textContent = [docMeta(doc), doc.issuer || "", doc.source].filter(Boolean).join(" · ");
  const types = ENTITY_TYPES.filter((ty) => doc.entities.some((e) => e.type === ty));
  $("#doc-legend").replaceChildren(
    ...(types.length ? [el("span", { class: "legend-title" }, t("legend") + ":")] : []),
    ...types.map((ty) => el("span", { class: "ent ent-" + ty }, t("ent_" + ty))),
  );
  $("#doc-text").replaceChildren(...renderText(doc, range));
  $("#doc-obligations").replaceChildren(
    ...(doc.obligations.length
      ? doc.obligations.map((o) =>
          el(
            "li",
            { class: "obligation" },
            el("span", { class: "badge mod-" + o.modality }, t("mod_" + o.modality)),
            " ",
            el("strong", {}, o.actor ? o.actor.text : t("actor_none")),
            ": ",
            o.action,
            o.deadline ? el("div", { class: "muted" }, `${t("col_deadline")}: ${o.deadline.text}`) : null,
            o.condition ? el("div", { class: "muted" }, `${t("col_condition")}: ${o.condition}`) : null,
            el("a", { class: "show-in-text", href: docHref(doc.id, o.quote.start, o.quote.end) }, t("show_in_text")),
          ),
        )
      : [el("li", { class: "muted empty" }, t("no_obligations"))]),
  );
  const mark = $("#doc-text mark.quote");
  if (mark) mark.scrollIntoView({ block: "center" });
  else window.scrollTo(0, 0);
}

// Splits each block at entity and quote boundaries so that every piece is one text node,
// wrapped in an entity <span> and/or a quote <mark> as needed.
function renderText(doc, range) {
  const ents = doc.entities
    .filter((e) => e.end > e.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const kept = []; // overlapping entities: the first (longest) one wins
  let lastEnd = -1;
  for (const e of ents) {
    if (e.start < lastEnd) continue;
    kept.push(e);
    lastEnd = e.end;
  }

  const blocks = doc.blocks.length
    ? doc.blocks
    : [{ index: 0, kind: "paragraph", start: 0, end: doc.text.length, path: [] }];
  const out = [];
  let ei = 0;
  for (const b of blocks) {
    while (ei < kept.length && kept[ei].end <= b.start) ei++;
    const inBlock = [];
    for (let j = ei; j < kept.length && kept[j].start < b.end; j++) inBlock.push(kept[j]);
    const cuts = new Set([b.start, b.end]);
    for (const e of inBlock) cuts.add(Math.max(e.start, b.start)).add(Math.min(e.end, b.end));
    if (range) for (const x of [range.start, range.end]) if (x > b.start && x < b.end) cuts.add(x);
    const points = [...cuts].sort((x, y) => x - y);
    const node = el("div", {
      class: "blk blk-" + b.kind,
      id: "blk-" + b.index,
      "data-start": b.start,
      "data-end": b.end,
      title: (b.path || []).join(" › ") || null,
    });
    for (let i = 0; i + 1 < points.length; i++) {
      const [s, e] = [points[i], points[i + 1]];
      let piece = document.createTextNode(doc.text.slice(s, e));
      const ent = inBlock.find((x) => x.start <= s && x.end >= e);
      if (ent) piece = el("span", { class: "ent ent-" + ent.type, title: t("ent_" + ent.type) + (ent.id ? ` · ${ent.id}` : "") + (ent.value ? ` · ${ent.value}` : "") }, piece);
      if (range && s >= range.start && e <= range.end) {
        piece = el("mark", { class: "quote" }, piece);
        node.classList.add("has-quote");
      }
      node.append(piece);
    }
    out.push(node);
  }
  return out;
}

// -- routing --------------------------------------------------------------------------------
function parseHash() {
  const raw = location.hash.replace(/^#/, "");
  const [path, qs] = raw.split("?");
  return { path: path || "search", params: new URLSearchParams(qs || "") };
}

function show(view) {
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== "view-" + view;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view);
}

async function route() {
  const { path, params } = parseHash();
  if (path.startsWith("act/")) {
    show("act");
    return showAct(decodeURIComponent(path.slice(4)));
  }
  if (path.startsWith("doc/")) {
    show("doc");
    const start = params.get("start");
    const end = params.get("end");
    const range = start !== null && end !== null ? { start: Number(start), end: Number(end) } : null;
    return showDocument(decodeURIComponent(path.slice(4)), range);
  }
  const view = ["search", "ask", "obligations", "acts", "documents"].includes(path) ? path : "search";
  show(view);
  if (view === "search" && params.get("q")) {
    $("#q").value = params.get("q");
    await runSearch(0);
  }
  if (view === "obligations") await loadObligations(0);
  if (view === "documents") await loadDocuments(0);
  if (view === "acts") await loadActs(0);
}

async function loadEntities() {
  try {
    const all = await api("/entities");
    state.entities.convention = all.filter((e) => e.type === "convention");
    state.entities.agency = all.filter((e) => e.type === "agency");
    state.entities.role = await api("/roles");
  } catch (err) {
    showError(err.message);
  }
  fillOptions();
}

function init() {
  const uiSel = $("#ui-lang");
  uiSel.value = window.LABELS[state.ui] ? state.ui : "ru";
  uiSel.addEventListener("change", () => {
    state.ui = uiSel.value;
    localStorage.setItem("kb-ui-lang", state.ui);
    applyLabels();
    renderSearch();
    renderAnswer();
    route();
  });
  applyLabels();

  $("#search-form").addEventListener("submit", (ev) => (ev.preventDefault(), runSearch(0)));
  for (const sel of ["#f-lang", "#f-genre", "#f-convention", "#f-agency", "#f-kind", "#f-status", "#f-date-from", "#f-date-to"])
    $(sel).addEventListener("change", () => $("#q").value.trim() && runSearch(0));
  $("#search-more").addEventListener("click", () => runSearch(state.search.offset));

  $("#ask-form").addEventListener("submit", (ev) => (ev.preventDefault(), runAsk()));

  $("#obl-form").addEventListener("submit", (ev) => (ev.preventDefault(), loadObligations(0)));
  for (const sel of ["#o-actor", "#o-convention", "#o-deadline-from", "#o-deadline-to", "#o-lang", "#o-status", "#o-sort", "#o-view"])
    $(sel).addEventListener("change", () => loadObligations(0));
  $("#obl-prev").addEventListener("click", () => loadObligations(Math.max(0, state.obl.offset - PAGE)));
  $("#obl-next").addEventListener("click", () => loadObligations(state.obl.offset + PAGE));

  $("#acts-form").addEventListener("submit", (ev) => (ev.preventDefault(), loadActs(0)));
  for (const sel of ["#a-kind", "#a-status", "#a-lang", "#a-sort", "#a-year"])
    $(sel).addEventListener("change", () => loadActs(0));
  $("#acts-prev").addEventListener("click", () => loadActs(Math.max(0, state.acts.offset - PAGE)));
  $("#acts-next").addEventListener("click", () => loadActs(state.acts.offset + PAGE));

  $("#upload-form").addEventListener("submit", (ev) => (ev.preventDefault(), upload()));
  for (const sel of ["#d-lang", "#d-genre"]) $(sel).addEventListener("change", () => loadDocuments(0));
  $("#docs-prev").addEventListener("click", () => loadDocuments(Math.max(0, state.docs.offset - PAGE)));
  $("#docs-next").addEventListener("click", () => loadDocuments(state.docs.offset + PAGE));

  $("#doc-back").addEventListener("click", (ev) => (ev.preventDefault(), history.back()));

  window.addEventListener("hashchange", route);
  loadEntities().then(route);
}

document.addEventListener("DOMContentLoaded", init);
