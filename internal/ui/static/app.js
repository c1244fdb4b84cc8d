// Ringleader dashboard: keeps the server-rendered board fresh.
//
// Authentication: the API token typed into the page is kept in
// sessionStorage (this tab only, gone when it closes) and sent as
// "Authorization: Bearer <token>" on every request. The event stream is
// read with fetch() streaming rather than EventSource, because EventSource
// cannot send headers; it resumes with Last-Event-ID after a reconnect.
"use strict";
(function () {
  const store = window.sessionStorage;
  const KEY_TOKEN = "ringleader.token", KEY_ACTOR = "ringleader.actor";
  const $ = (id) => document.getElementById(id);
  const board = $("board"), live = $("live"), notice = $("notice"), feed = $("events");
  let lastEventId = "";
  let streamAbort = null;
  let renderedAt = Date.now();
  let refreshTimer = null, refreshing = false, refreshAgain = false;

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const token = store.getItem(KEY_TOKEN), actor = store.getItem(KEY_ACTOR);
    if (token) h["Authorization"] = "Bearer " + token;
    if (actor) h["X-Ringleader-Actor"] = actor;
    return h;
  }

  function showNotice(msg) {
    notice.textContent = msg;
    notice.hidden = !msg;
  }

  async function errorText(resp) {
    try {
      const body = await resp.json();
      if (body && body.error) return body.error;
    } catch (e) { /* not JSON */ }
    return resp.status + " " + resp.statusText;
  }

  function authHint(status) {
    return status === 401 ? "This server needs an API token: enter it above and press Use."
      : "Your token's role may not do this.";
  }

  // refresh re-fetches the board fragment; calls while one is in flight
  // coalesce into one more.
  async function refresh() {
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    try {
      const resp = await fetch("/ui/board", { headers: headers(), cache: "no-store" });
      if (resp.status === 401 || resp.status === 403) {
        showNotice(authHint(resp.status) + " (" + await errorText(resp) + ")");
        return;
      }
      if (!resp.ok) { showNotice("Could not load the board: " + await errorText(resp)); return; }
      board.innerHTML = await resp.text();
      renderedAt = Date.now();
      tick();
      if (notice.dataset.sticky !== "1") showNotice("");
    } catch (e) {
      showNotice("Could not reach the server: " + e.message);
    } finally {
      refreshing = false;
      if (refreshAgain) { refreshAgain = false; refresh(); }
    }
  }

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 100);
  }

  // tick counts the server-rendered countdowns down between refreshes.
  function fmt(s) {
    if (s <= 0) return "due";
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    if (h > 0) return h + "h " + String(m).padStart(2, "0") + "m";
    if (m > 0) return m + "m " + String(sec).padStart(2, "0") + "s";
    return sec + "s";
  }
  function tick() {
    const elapsed = Math.floor((Date.now() - renderedAt) / 1000);
    for (const el of board.querySelectorAll("[data-remaining]")) {
      el.textContent = fmt(Number(el.dataset.remaining) - elapsed);
    }
  }

  function setLive(state, text) {
    live.dataset.state = state;
    live.textContent = text;
  }

  function addEvent(ev) {
    if (feed.firstElementChild && feed.firstElementChild.classList.contains("muted")) feed.innerHTML = "";
    const li = document.createElement("li");
    const type = document.createElement("span");
    type.className = "ev-type";
    const at = ev.at ? new Date(ev.at).toISOString().substring(11, 19) : "";
    type.textContent = "#" + ev.id + " " + at + " " + ev.type;
    li.appendChild(type);
    li.appendChild(document.createTextNode(ev.summary || ""));
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > 50) feed.removeChild(feed.lastChild);
  }

  // handle one parsed server-sent event.
  function handle(msg) {
    if (msg.id) lastEventId = msg.id;
    if (!msg.data) return;
    let ev;
    try { ev = JSON.parse(msg.data); } catch (e) { return; }
    if (ev.type !== "reset") addEvent(ev);
    scheduleRefresh();
  }

  // stream reads /v1/events until it ends, then reconnects.
  async function stream() {
    if (streamAbort) streamAbort.abort();
    const ctl = new AbortController();
    streamAbort = ctl;
    let watchdog = null;
    const arm = () => { clearTimeout(watchdog); watchdog = setTimeout(() => ctl.abort(), 45000); };
    try {
      const h = headers({ Accept: "text/event-stream" });
      if (lastEventId) h["Last-Event-ID"] = lastEventId;
      const resp = await fetch("/v1/events", { headers: h, cache: "no-store", signal: ctl.signal });
      if (resp.status === 401 || resp.status === 403) {
        setLive("unauthorized", "no access");
        showNotice(authHint(resp.status));
        return; // wait for a token
      }
      if (!resp.ok || !resp.body) throw new Error(await errorText(resp));
      setLive("live", "live");
      scheduleRefresh(); // catch up on anything missed while disconnected
      arm();
      const reader = resp.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        buf += dec.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const msg = { data: "" };
          for (const line of block.split("\n")) {
            if (line === "" || line.startsWith(":")) continue;
            const i = line.indexOf(":");
            const field = i < 0 ? line : line.slice(0, i);
            const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
            if (field === "data") msg.data += (msg.data ? "\n" : "") + val;
            else if (field === "id") msg.id = val;
            else if (field === "event") msg.event = val;
          }
          handle(msg);
        }
      }
    } catch (e) {
      if (streamAbort !== ctl) return; // replaced by a newer stream
    } finally {
      clearTimeout(watchdog);
    }
    if (streamAbort !== ctl) return;
    setLive("reconnecting", "reconnecting…");
    setTimeout(stream, 2000);
  }

  // The reason dialog serves both "halt everything" and "resume".
  const dialog = $("reason-dialog"), form = $("reason-form"), reason = $("reason"), reasonError = $("reason-error");
  let pending = null; // {url, body, verb}

  function ask(title, help, verb, url, body) {
    pending = { url: url, body: body };
    $("reason-title").textContent = title;
    $("reason-help").textContent = help;
    $("reason-ok").textContent = verb;
    reason.value = "";
    reasonError.hidden = true;
    dialog.showModal();
    reason.focus();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = reason.value.trim();
    if (!text || !pending) { reasonError.textContent = "A reason is required."; reasonError.hidden = false; return; }
    const body = Object.assign({}, pending.body, { reason: text });
    try {
      const resp = await fetch(pending.url, {
        method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
      });
      if (!resp.ok) {
        const msg = await errorText(resp);
        reasonError.textContent = (resp.status === 401 || resp.status === 403 ? authHint(resp.status) + " " : "") + msg;
        reasonError.hidden = false;
        return;
      }
      dialog.close();
      pending = null;
      refresh();
    } catch (err) {
      reasonError.textContent = "Could not reach the server: " + err.message;
      reasonError.hidden = false;
    }
  });
  $("reason-cancel").addEventListener("click", () => { pending = null; dialog.close(); });

  $("halt-all").addEventListener("click", () => {
    ask("Halt every promotion, everywhere",
      "A global halt stops every promotion in every ring and region as soon as a quorum commits it. Your name and reason appear on every dashboard.",
      "Halt everything", "/v1/halts", { global: true });
  });

  board.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-resume]");
    if (!btn) return;
    const id = btn.dataset.resume;
    ask("Resume " + id, "Promotions this halt covered may start again at once. Say why it is safe.",
      "Resume", "/v1/halts/" + encodeURIComponent(id) + "/resume", {});
  });

  // Identity: name and token for this tab.
  $("actor").value = store.getItem(KEY_ACTOR) || "";
  $("token").value = store.getItem(KEY_TOKEN) || "";
  $("identity").addEventListener("submit", (e) => {
    e.preventDefault();
    const actor = $("actor").value.trim(), token = $("token").value.trim();
    if (actor) store.setItem(KEY_ACTOR, actor); else store.removeItem(KEY_ACTOR);
    if (token) store.setItem(KEY_TOKEN, token); else store.removeItem(KEY_TOKEN);
    showNotice("");
    refresh();
    stream();
  });

  setInterval(tick, 1000);
  refresh();
  stream();
})();
