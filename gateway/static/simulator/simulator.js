/* Điểm Tựa phone simulator: a feature phone in the browser.
 *
 * It calls the same webhooks a provider calls (POST /ussd and /sms/inbound, Africa's Talking
 * form fields, ?token= when the server has a WEBHOOK_TOKEN) and polls what the phone received.
 * UI texts live in strings.json (one block per language); a translator adds a block there.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const settings = JSON.parse($("sim-settings").textContent);
  const STRINGS = JSON.parse($("sim-strings").textContent);
  const LANGS = Object.keys(STRINGS);

  // ---------------------------------------------------------------------------------------
  // Storage: the token lives in sessionStorage only (this tab, until it is closed).

  const session = {
    get(key) {
      try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
    },
    set(key, value) {
      try { window.sessionStorage.setItem(key, value); } catch (e) { /* private mode */ }
    },
    del(key) {
      try { window.sessionStorage.removeItem(key); } catch (e) { /* private mode */ }
    },
  };
  const TOKEN_KEY = "simulator.token";
  const LANG_KEY = "simulator.lang";
  const PHONE_KEY = "simulator.phone";
  const CUTOFF_KEY = "simulator.cutoff.";

  function storedLang() {
    try {
      const value = window.localStorage.getItem(LANG_KEY);
      return value && STRINGS[value] ? value : null;
    } catch (e) {
      return null;
    }
  }

  let lang = storedLang() || settings.defaultLang;

  // ---------------------------------------------------------------------------------------
  // Texts

  function t(key, params) {
    const own = STRINGS[lang] || {};
    let text = own[key];
    if (text === undefined) text = (STRINGS[settings.defaultLang] || {})[key];
    if (text === undefined) text = key;
    if (params) {
      text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
    }
    return text;
  }

  // ---------------------------------------------------------------------------------------
  // GSM-7 / UCS-2 counting, the same rules as menus/encoding.py (alphabets come from the server).

  const GSM_BASIC = new Set(Array.from(settings.gsm7.basic));
  const GSM_EXT = new Set(Array.from(settings.gsm7.extension));

  function countSegments(text) {
    const chars = Array.from(text);
    const gsm = chars.every((c) => GSM_BASIC.has(c) || GSM_EXT.has(c));
    const costs = chars.map((c) =>
      gsm ? (GSM_EXT.has(c) ? 2 : 1) : (c.codePointAt(0) > 0xffff ? 2 : 1));
    const units = costs.reduce((a, b) => a + b, 0);
    const single = gsm ? settings.gsm7.single : settings.ucs2.single;
    const part = gsm ? settings.gsm7.part : settings.ucs2.part;
    const encoding = gsm ? "GSM-7" : "UCS-2";
    if (units === 0) return { encoding, segments: 0, units: 0, capacity: single };
    if (units <= single) return { encoding, segments: 1, units, capacity: single };
    let parts = 1;
    let used = 0;
    for (const cost of costs) {
      // Escape pairs and surrogate pairs are never split across parts.
      if (used + cost > part) {
        parts += 1;
        used = 0;
      }
      used += cost;
    }
    return { encoding, segments: parts, units, capacity: parts * part };
  }
  window.simulatorCountSegments = countSegments;

  // ---------------------------------------------------------------------------------------
  // Talking to the server

  class AccessError extends Error {
    constructor(reason) {
      super(reason);
      this.reason = reason;
    }
  }

  class HttpError extends Error {
    constructor(status) {
      super(String(status));
      this.status = status;
    }
  }

  function token() {
    return session.get(TOKEN_KEY) || "";
  }

  function randomHex(bytes) {
    // crypto.getRandomValues works on plain http too (randomUUID needs a secure context).
    const buf = new Uint8Array(bytes);
    window.crypto.getRandomValues(buf);
    return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function api(path, phone) {
    // The phone travels in a header, not the URL, so it stays out of access logs.
    const headers = {};
    if (phone) headers[settings.phoneHeader] = phone;
    if (settings.tokenRequired) headers[settings.tokenHeader] = token();
    const resp = await fetch(path, { headers, cache: "no-store", credentials: "same-origin" });
    if (resp.status === 403) {
      let body = {};
      try { body = await resp.json(); } catch (e) { /* not JSON */ }
      throw new AccessError(body.error || "bad_token");
    }
    if (!resp.ok) throw new HttpError(resp.status);
    return resp.json();
  }

  function webhookUrl(path) {
    // Exactly what a provider calls: the token, when there is one, in the query string.
    return settings.tokenRequired ? `${path}?token=${encodeURIComponent(token())}` : path;
  }

  async function postForm(path, fields) {
    const resp = await fetch(webhookUrl(path), {
      method: "POST",
      body: new URLSearchParams(fields),
      cache: "no-store",
      credentials: "same-origin",
    });
    const text = await resp.text();
    if (resp.status === 403) {
      throw new AccessError(/address/i.test(text) ? "address" : "bad_token");
    }
    if (!resp.ok) throw new HttpError(resp.status);
    return text;
  }

  function utcStamp() {
    return new Date().toISOString().slice(0, 19).replace("T", " ");
  }

  // ---------------------------------------------------------------------------------------
  // State

  const state = {
    phones: [],
    loaded: false,
    demo: false,
    phone: null,
    role: null,
    who: null,
    typed: null, // {phone, who} of a number typed by hand
    thread: null, // last /api/inbox answer for state.phone
    pending: [], // SMS sent from this page not yet seen in the inbox
    blocked: null, // an access problem that stops polling until solved
    signature: "",
  };

  const ussd = {
    sessionId: null,
    inputs: [],
    active: false,
    busy: false,
    view: "idle", // idle | dialing | con | end | hungup | error
    text: "",
    errorKey: null,
    errorParams: null,
  };

  // ---------------------------------------------------------------------------------------
  // Rendering

  const el = {
    langBtn: $("lang-btn"),
    resetBtn: $("reset-btn"),
    forgetBtn: $("forget-token"),
    banner: $("banner"),
    select: $("phone-select"),
    who: $("phone-who"),
    otherForm: $("other-form"),
    otherInput: $("other-phone"),
    otherError: $("other-error"),
    screen: $("screen"),
    screenStatus: $("screen-status"),
    screenText: $("screen-text"),
    entry: $("entry"),
    entryLabel: $("entry-label"),
    callBtn: $("call-btn"),
    delBtn: $("del-btn"),
    hangupBtn: $("hangup-btn"),
    threadTitle: $("thread-title"),
    thread: $("thread"),
    resetNote: $("reset-note"),
    showAll: $("show-all"),
    smsForm: $("sms-form"),
    smsLabel: $("sms-label"),
    smsText: $("sms-text"),
    smsCounter: $("sms-counter"),
    smsSend: $("sms-send"),
    smsError: $("sms-error"),
    tokenDialog: $("token-dialog"),
    tokenForm: $("token-form"),
    tokenInput: $("token-input"),
    tokenError: $("token-error"),
  };

  function applyStrings() {
    document.documentElement.lang = lang;
    document.title = t("app.title");
    document.querySelectorAll("[data-i18n]").forEach((node) => {
      node.textContent = t(node.dataset.i18n);
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((node) => {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    });
    document.querySelectorAll("[data-i18n-aria]").forEach((node) => {
      node.setAttribute("aria-label", t(node.dataset.i18nAria));
    });
    const next = LANGS[(LANGS.indexOf(lang) + 1) % LANGS.length];
    el.langBtn.textContent = STRINGS[next]["lang.name"] || next;
    el.langBtn.lang = next;
    el.langBtn.setAttribute("aria-label", `${t("lang.toggle")}: ${STRINGS[next]["lang.name"]}`);
    el.smsLabel.textContent = t("sms.compose_label", { code: settings.shortCode });
    el.forgetBtn.hidden = !settings.tokenRequired;
    renderPhoneOptions();
    renderWho();
    renderScreen();
    renderThread(true);
    renderCounter();
    renderBanner();
  }

  function renderBanner() {
    if (!state.blocked || state.blocked === "bad_token" || state.blocked === "token_required") {
      el.banner.hidden = true;
      el.banner.textContent = "";
      return;
    }
    el.banner.hidden = false;
    el.banner.textContent = t(`error.${state.blocked}`);
  }

  function phoneLabel(role, phone) {
    return `${t(`role.${role}`)} — ${phone}`;
  }

  function renderPhoneOptions() {
    const sel = el.select;
    sel.textContent = "";
    for (const p of state.phones) {
      const opt = document.createElement("option");
      opt.value = p.phone;
      opt.dataset.role = p.role;
      opt.textContent = phoneLabel(p.role, p.phone);
      sel.appendChild(opt);
    }
    if (state.typed && !state.phones.some((p) => p.phone === state.typed.phone)) {
      const opt = document.createElement("option");
      opt.value = state.typed.phone;
      opt.dataset.role = "typed";
      opt.textContent = phoneLabel("typed", state.typed.phone);
      sel.appendChild(opt);
    }
    sel.disabled = sel.options.length === 0;
    if (state.phone) sel.value = state.phone;
  }

  function renderWho() {
    if (!state.phone) {
      el.who.textContent = state.loaded && !state.demo ? t("phone.demo_missing") : "";
      return;
    }
    el.who.textContent = state.who || t("phone.nobody");
    el.who.title = el.who.textContent;
    el.threadTitle.textContent = t("sms.thread_for", { phone: state.phone });
  }

  function renderScreen() {
    const code = settings.serviceCode;
    let status = "";
    let text = ussd.text;
    switch (ussd.view) {
      case "idle":
        status = t("ussd.ready");
        text = `${t("ussd.hint", { code })}\n${t("ussd.hint_empty", { code })}`;
        break;
      case "dialing":
        status = t("ussd.dialing", { code });
        break;
      case "con":
        status = t("ussd.session", { code });
        break;
      case "end":
        status = t("ussd.ended");
        break;
      case "hungup":
        status = t("ussd.hung_up");
        break;
      case "error":
        status = t(ussd.errorKey || "ussd.unexpected", ussd.errorParams || {});
        break;
      default:
        break;
    }
    el.screen.dataset.state = ussd.view;
    el.screen.setAttribute("aria-busy", ussd.busy ? "true" : "false");
    el.screenStatus.textContent = status;
    el.screenText.textContent = text;
    el.entryLabel.textContent = t(ussd.active ? "ussd.reply_label" : "ussd.input_label");
    el.callBtn.textContent = t(ussd.active ? "key.send" : "key.call");
    el.callBtn.disabled = ussd.busy || !state.phone;
    el.hangupBtn.disabled = ussd.busy;
  }

  function renderCounter() {
    const text = el.smsText.value;
    const c = countSegments(text);
    if (c.units === 0) {
      el.smsCounter.textContent = t("sms.counter_empty");
      el.smsCounter.dataset.encoding = "";
      return;
    }
    const note = c.encoding === "UCS-2" ? ` (${t("sms.ucs2_note")})` : "";
    el.smsCounter.textContent = t("sms.counter", c) + note;
    el.smsCounter.dataset.encoding = c.encoding;
    el.smsCounter.dataset.segments = String(c.segments);
  }

  function cutoff(phone) {
    const raw = session.get(CUTOFF_KEY + phone);
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  function threadItems() {
    const items = [];
    const data = state.thread;
    const cut = state.phone ? cutoff(state.phone) : null;
    if (data && data.phone === state.phone) {
      for (const m of data.sent) {
        if (cut && m.id <= cut.sent) continue;
        items.push({ dir: "out", key: `o${m.id}`, ...m });
      }
      for (const m of data.messages) {
        if (cut && m.id <= cut.received) continue;
        items.push({ dir: "in", key: `i${m.id}`, ...m });
      }
    }
    items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.key < b.key ? -1 : 1));
    for (const p of state.pending) {
      if (p.phone === state.phone) items.push({ dir: "out", key: p.ref, pending: true, ...p });
    }
    return items;
  }

  function span(cls, text) {
    const node = document.createElement("span");
    node.className = cls;
    node.textContent = text;
    return node;
  }

  function bubble(item) {
    const li = document.createElement("li");
    li.className = `msg msg-${item.dir}`;
    li.dataset.key = item.key;
    const meta = document.createElement("div");
    meta.className = "meta";
    const foot = document.createElement("div");
    foot.className = "foot";
    if (item.dir === "in") {
      li.classList.add(`kind-${item.kind}`);
      li.dataset.kind = item.kind;
      meta.appendChild(span("badge", t(`kind.${item.kind}`)));
      meta.appendChild(span("time", item.time));
      const seg = t("sms.parts", { segments: item.segments }) +
        (item.estimated ? ` (${t("sms.estimated")})` : "");
      foot.appendChild(span("enc", item.encoding));
      foot.appendChild(span("seg", seg));
      foot.appendChild(span("status", t(`status.${item.status}`)));
    } else {
      meta.appendChild(span("badge badge-you", t("sms.you")));
      if (item.time) meta.appendChild(span("time", item.time));
      if (item.error) {
        li.classList.add("msg-failed");
        foot.appendChild(span("status", item.error));
      } else {
        foot.appendChild(span("status", t(`status.${item.pending ? "pending" : item.status}`)));
      }
    }
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = item.text;
    li.append(meta, body, foot);
    return li;
  }

  function renderThread(force) {
    const items = state.phone ? threadItems() : [];
    const signature = lang + "|" + items
      .map((i) => `${i.key}:${i.status || ""}:${i.encoding || ""}:${i.segments || ""}:${i.error || ""}`)
      .join(",");
    if (!force && signature === state.signature) return;
    const list = el.thread;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const grew = signature.length > state.signature.length;
    state.signature = signature;
    list.textContent = "";
    if (items.length === 0) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = t("sms.empty");
      list.appendChild(li);
    } else {
      for (const item of items) list.appendChild(bubble(item));
    }
    if (nearBottom || grew || force) list.scrollTop = list.scrollHeight;
    el.resetNote.hidden = !(state.phone && cutoff(state.phone));
  }

  // ---------------------------------------------------------------------------------------
  // Access: the token dialog and errors

  function showTokenDialog(wrong) {
    el.tokenError.textContent = wrong ? t("token.bad") : "";
    el.tokenInput.value = "";
    if (!el.tokenDialog.open) el.tokenDialog.showModal();
    el.tokenInput.focus();
  }

  function handleAccess(err) {
    if (!(err instanceof AccessError)) return false;
    if (err.reason === "bad_token" || err.reason === "token_required") {
      const hadToken = Boolean(token());
      session.del(TOKEN_KEY);
      state.blocked = err.reason;
      showTokenDialog(hadToken || err.reason === "bad_token");
    } else {
      state.blocked = err.reason;
    }
    renderBanner();
    return true;
  }

  function networkTrouble(on) {
    if (on && !state.blocked) {
      el.banner.hidden = false;
      el.banner.textContent = t("error.network");
    } else if (!on && !state.blocked) {
      el.banner.hidden = true;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Phones

  async function loadPhones() {
    let data;
    try {
      data = await api("/simulator/api/phones");
    } catch (err) {
      if (!handleAccess(err)) networkTrouble(true);
      return;
    }
    state.blocked = null;
    if (el.tokenDialog.open) el.tokenDialog.close();
    renderBanner();
    state.loaded = true;
    state.demo = data.demo;
    state.phones = data.phones;
    const saved = session.get(PHONE_KEY);
    const found = state.phones.find((p) => p.phone === saved) ||
      state.phones.find((p) => p.role === "member") || state.phones[0];
    renderPhoneOptions();
    if (found) {
      setPhone(found.phone, found.role, found.who);
    } else if (saved) {
      lookupAndUse(saved);
    } else {
      renderWho();
    }
    schedulePoll(0);
  }

  function setPhone(phone, role, who) {
    if (phone !== state.phone) {
      hangUp(true);
      ussd.view = "idle";
      ussd.text = "";
      el.entry.value = "";
      state.thread = null;
      state.signature = "";
    }
    state.phone = phone;
    state.role = role;
    state.who = who;
    session.set(PHONE_KEY, phone);
    renderPhoneOptions();
    renderWho();
    renderScreen();
    renderThread(true);
    schedulePoll(0);
  }

  async function lookupAndUse(raw) {
    el.otherError.textContent = "";
    if (!/^[0-9+()\s./-]{3,40}$/.test(raw)) {
      el.otherError.textContent = t("phone.bad");
      return;
    }
    let data;
    try {
      data = await api("/simulator/api/lookup", raw);
    } catch (err) {
      if (handleAccess(err)) return;
      el.otherError.textContent = err instanceof HttpError && err.status === 400
        ? t("phone.bad") : t("error.network");
      return;
    }
    const demo = state.phones.find((p) => p.phone === data.phone);
    if (demo) {
      setPhone(demo.phone, demo.role, demo.who);
    } else {
      state.typed = { phone: data.phone, who: data.who };
      setPhone(data.phone, "typed", data.who);
    }
    el.otherInput.value = "";
  }

  // ---------------------------------------------------------------------------------------
  // USSD

  function stem(code) {
    return code.endsWith("#") ? code.slice(0, -1) : code;
  }

  function dialedInputs(entry) {
    // "" or the service code: a fresh session; "*384*123*1*2#": AT's "dial with input" ("1*2").
    const code = settings.serviceCode;
    if (entry === "" || entry === code) return [];
    const prefix = `${stem(code)}*`;
    if (entry.startsWith(prefix) && entry.endsWith("#") && entry.length > prefix.length + 1) {
      return [entry.slice(prefix.length, -1)];
    }
    return null;
  }

  async function green() {
    if (ussd.busy || !state.phone) return;
    const entry = el.entry.value.trim();
    if (ussd.active) {
      if (entry === "") return;
      await hop([...ussd.inputs, entry]);
      return;
    }
    const inputs = dialedInputs(entry);
    if (inputs === null) {
      ussd.view = "error";
      ussd.text = "";
      ussd.errorKey = "ussd.bad_code";
      ussd.errorParams = { code: settings.serviceCode };
      renderScreen();
      return;
    }
    ussd.sessionId = `SIM${randomHex(12)}`;
    ussd.inputs = [];
    ussd.active = true;
    ussd.view = "dialing";
    ussd.text = entry || settings.serviceCode;
    await hop(inputs);
  }

  function ussdFailed(key, params) {
    ussd.active = false;
    ussd.view = "error";
    ussd.errorKey = key;
    ussd.errorParams = params || {};
  }

  async function hop(inputs) {
    ussd.busy = true;
    renderScreen();
    const fields = {
      sessionId: ussd.sessionId,
      serviceCode: settings.serviceCode,
      phoneNumber: state.phone,
      networkCode: settings.networkCode,
      text: inputs.join("*"),
    };
    try {
      const answer = await postForm("/ussd", fields);
      const match = /^(CON|END)\s?([\s\S]*)$/.exec(answer);
      if (!match) {
        ussdFailed("ussd.unexpected");
        ussd.text = answer;
      } else if (match[1] === "CON") {
        ussd.inputs = inputs;
        ussd.view = "con";
        ussd.text = match[2];
      } else {
        ussd.active = false;
        ussd.view = "end";
        ussd.text = match[2];
      }
      el.entry.value = "";
    } catch (err) {
      if (err instanceof AccessError) {
        ussdFailed(err.reason === "address" ? "error.address" : "token.bad");
        ussd.text = "";
        handleAccess(err);
      } else if (err instanceof HttpError) {
        ussdFailed("ussd.error", { status: err.status });
      } else {
        ussdFailed("error.network");
      }
    } finally {
      ussd.busy = false;
      renderScreen();
    }
    if (!el.tokenDialog.open) el.entry.focus({ preventScroll: true });
  }

  function hangUp(silent) {
    if (ussd.active) {
      ussd.active = false;
      ussd.view = "hungup";
    }
    ussd.sessionId = null;
    ussd.inputs = [];
    if (!silent) {
      el.entry.value = "";
      renderScreen();
    }
  }

  function pressKey(key) {
    if (el.entry.disabled) return;
    el.entry.value += key;
    flashKey(key);
  }

  function backspace() {
    el.entry.value = el.entry.value.slice(0, -1);
  }

  function flashKey(key) {
    const btn = document.querySelector(`.key[data-key="${CSS.escape(key)}"]`);
    if (!btn) return;
    btn.classList.add("pressed");
    window.setTimeout(() => btn.classList.remove("pressed"), 140);
  }

  // ---------------------------------------------------------------------------------------
  // SMS

  async function sendSms() {
    const text = el.smsText.value;
    if (!text.trim() || !state.phone) return;
    el.smsError.textContent = "";
    const ref = `sim-${randomHex(12)}`;
    const pending = { ref, phone: state.phone, text };
    state.pending.push(pending);
    el.smsText.value = "";
    renderCounter();
    renderThread();
    try {
      await postForm("/sms/inbound", {
        from: state.phone,
        to: settings.shortCode,
        text,
        id: ref,
        date: utcStamp(),
        networkCode: settings.networkCode,
      });
      pending.sent = true;
    } catch (err) {
      pending.error = err instanceof HttpError
        ? t("sms.error", { status: err.status })
        : err instanceof AccessError ? t("token.bad") : t("error.network");
      el.smsError.textContent = pending.error;
      handleAccess(err);
      renderThread();
      return;
    }
    schedulePoll(0);
  }

  // ---------------------------------------------------------------------------------------
  // Polling the inbox

  let pollTimer = null;
  let polling = false;

  function schedulePoll(delay) {
    if (pollTimer !== null) window.clearTimeout(pollTimer);
    pollTimer = window.setTimeout(poll, delay);
  }

  async function poll() {
    pollTimer = null;
    if (polling) return;
    const phone = state.phone;
    if (!phone || state.blocked || document.hidden) {
      schedulePoll(settings.pollMs);
      return;
    }
    polling = true;
    try {
      const data = await api("/simulator/api/inbox", phone);
      networkTrouble(false);
      if (phone === state.phone) {
        state.thread = data;
        const seen = new Set(data.sent.map((m) => m.ref));
        state.pending = state.pending.filter((p) => p.error || !seen.has(p.ref));
        renderThread();
      }
    } catch (err) {
      if (!handleAccess(err)) networkTrouble(true);
    } finally {
      polling = false;
      if (pollTimer === null) schedulePoll(settings.pollMs);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Reset: hang up, clear the screen and hide what this phone received so far

  function resetConversation() {
    hangUp(true);
    ussd.view = "idle";
    ussd.text = "";
    el.entry.value = "";
    el.smsText.value = "";
    el.smsError.textContent = "";
    if (state.phone) {
      const data = state.thread && state.thread.phone === state.phone ? state.thread : null;
      const maxId = (rows) => rows.reduce((m, r) => Math.max(m, r.id), 0);
      session.set(CUTOFF_KEY + state.phone, JSON.stringify({
        sent: data ? maxId(data.sent) : 0,
        received: data ? maxId(data.messages) : 0,
      }));
      state.pending = state.pending.filter((p) => p.phone !== state.phone);
    }
    renderScreen();
    renderCounter();
    renderThread(true);
    el.entry.focus({ preventScroll: true });
  }

  // ---------------------------------------------------------------------------------------
  // Events

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    const tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function bind() {
    el.langBtn.addEventListener("click", () => {
      lang = LANGS[(LANGS.indexOf(lang) + 1) % LANGS.length];
      try { window.localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
      applyStrings();
    });
    el.resetBtn.addEventListener("click", resetConversation);
    el.showAll.addEventListener("click", () => {
      if (state.phone) session.del(CUTOFF_KEY + state.phone);
      renderThread(true);
    });
    el.forgetBtn.addEventListener("click", () => {
      session.del(TOKEN_KEY);
      state.blocked = "token_required";
      showTokenDialog(false);
    });
    el.select.addEventListener("change", () => {
      const opt = el.select.selectedOptions[0];
      if (!opt) return;
      const demo = state.phones.find((p) => p.phone === opt.value);
      if (demo) setPhone(demo.phone, demo.role, demo.who);
      else if (state.typed) setPhone(state.typed.phone, "typed", state.typed.who);
    });
    el.otherForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const raw = el.otherInput.value.trim();
      if (raw) lookupAndUse(raw);
    });

    document.querySelectorAll(".key").forEach((btn) => {
      btn.addEventListener("click", (ev) => {
        pressKey(btn.dataset.key);
        if (ev.detail > 0) el.entry.focus({ preventScroll: true }); // a mouse click; keyboard users keep their place
      });
    });
    el.callBtn.addEventListener("click", green);
    el.delBtn.addEventListener("click", (ev) => {
      backspace();
      if (ev.detail > 0) el.entry.focus({ preventScroll: true });
    });
    el.hangupBtn.addEventListener("click", () => hangUp(false));

    el.entry.addEventListener("input", () => {
      const clean = el.entry.value.replace(/[^0-9*#+]/g, "");
      if (clean !== el.entry.value) el.entry.value = clean;
    });
    el.entry.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        green();
      } else if (ev.key === "Escape") {
        ev.preventDefault();
        hangUp(false);
      } else if (/^[0-9*#]$/.test(ev.key)) {
        flashKey(ev.key);
      }
    });

    // Typing anywhere on the page (outside form fields) goes to the keypad.
    document.addEventListener("keydown", (ev) => {
      if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (el.tokenDialog.open || isTyping(ev.target)) return;
      const onButton = ev.target && ev.target.tagName === "BUTTON";
      if (/^[0-9*#]$/.test(ev.key)) {
        ev.preventDefault();
        pressKey(ev.key);
        el.entry.focus({ preventScroll: true });
      } else if (ev.key === "Backspace") {
        ev.preventDefault();
        backspace();
      } else if (ev.key === "Enter" && !onButton) {
        ev.preventDefault();
        green();
      } else if (ev.key === "Escape") {
        ev.preventDefault();
        hangUp(false);
      }
    });

    el.smsText.addEventListener("input", renderCounter);
    el.smsText.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        sendSms();
      }
    });
    el.smsForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      sendSms();
    });

    el.tokenForm.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const value = el.tokenInput.value.trim();
      if (!value) return;
      session.set(TOKEN_KEY, value);
      el.tokenError.textContent = "";
      loadPhones();
    });
    el.tokenDialog.addEventListener("cancel", (ev) => {
      if (settings.tokenRequired && !token()) ev.preventDefault();
    });

    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) schedulePoll(0);
    });
  }

  function start() {
    bind();
    applyStrings();
    if (settings.tokenRequired && !token()) {
      state.blocked = "token_required";
      showTokenDialog(false);
      return;
    }
    loadPhones();
  }

  start();
})();
