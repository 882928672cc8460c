// Web chat of the Municipality of Chania. No framework, no inline script (CSP: script-src 'self').
// Protocol: see bot/channels/webchat.py. Every frame carries a client id; unacknowledged frames are sent again
// after a reconnect or a "try later" error, and the server de-duplicates on the id.
(function () {
  "use strict";

  var root = document.getElementById("chat");
  var T = JSON.parse(document.getElementById("texts").textContent);
  var log = document.getElementById("log");
  var statusEl = document.getElementById("status");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var locateButton = document.getElementById("locate");

  var pending = new Map(); // client id -> {frame, el}
  var shownReplies = new Set(); // stored message ids of the replies on the page (history, then live frames)
  var ws = null;
  var attempt = 0;
  var retryTimer = null;
  var URL_RE = /(https?:\/\/[^\s<>"]+)/g;

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function langHint() {
    // The page's language when the person chose it; otherwise the browser's (a tourist's "en-US").
    return root.dataset.explicitLang === "1" ? root.dataset.lang : (navigator.language || root.dataset.lang);
  }

  function setStatus(text) { statusEl.textContent = text; }

  function safeUrl(url) {
    try {
      var u = new URL(url, window.location.href);
      return (u.protocol === "https:" || u.protocol === "http:") ? u.href : null;
    } catch (e) { return null; }
  }

  // Long links (map URLs) shown by their site only: "openstreetmap.org/…".
  function shortUrl(href) {
    var u = new URL(href);
    var rest = (u.pathname + u.search + u.hash).replace(/^\/$/, "");
    return u.hostname.replace(/^www\./, "") + (rest ? "/…" : "");
  }

  // Text with clickable links, built from DOM nodes (never innerHTML).
  function appendText(parent, text) {
    var p = document.createElement("p");
    var parts = text.split(URL_RE);
    for (var i = 0; i < parts.length; i++) {
      if (i % 2 === 1 && safeUrl(parts[i])) {
        var a = document.createElement("a");
        a.href = safeUrl(parts[i]);
        a.textContent = shortUrl(a.href);
        a.title = a.href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        p.appendChild(a);
      } else if (parts[i]) {
        p.appendChild(document.createTextNode(parts[i]));
      }
    }
    parent.appendChild(p);
  }

  function bubble(kind, who) {
    var el = document.createElement("div");
    el.className = "msg " + kind;
    var label = document.createElement("span");
    label.className = "who";
    label.textContent = who;
    el.appendChild(label);
    log.appendChild(el);
    return el;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function showOwn(text, id) {
    var el = bubble("in", T.you);
    appendText(el, text);
    if (id) {
      el.classList.add("pending");
      el.setAttribute("aria-busy", "true");
      el.title = T.pending;
    }
    scrollDown();
    return el;
  }

  function disableGroup(group) {
    var buttons = group.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
  }

  // inert: a reply from the history of an earlier visit; its buttons no longer act (issue 9)
  // id: the stored message's; a reply already shown (the history after a reconnect, then its live frame) is skipped
  // edit: the id of a reply this one replaces in place (a picker whose ticks change with each tap)
  function showReply(reply, sender, inert, id, edit) {
    if (id) {
      if (shownReplies.has(id)) { return; }
      shownReplies.add(id);
    }
    var old = edit ? log.querySelector('[data-reply-id="' + CSS.escape(edit) + '"]') : null;
    var el = bubble("out", sender && String(sender).indexOf("staff") === 0 ? T.staff : T.bot);
    if (id) { el.dataset.replyId = id; }
    if (old) { old.replaceWith(el); }
    if (reply.text) { appendText(el, reply.text); }
    if (reply.location && safeUrl(reply.location.map_url)) {
      var a = document.createElement("a");
      a.href = safeUrl(reply.location.map_url);
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.className = "map";
      a.textContent = "📍 " + reply.location.name + " — " + T.open_map;
      el.appendChild(a);
    }
    if (reply.image && safeUrl(reply.image)) {
      var img = document.createElement("img");
      img.src = safeUrl(reply.image);
      img.alt = T.image_alt;
      img.loading = "lazy";
      el.appendChild(img);
    }
    if (reply.document && safeUrl(reply.document.url)) {
      var file = document.createElement("a");
      file.href = safeUrl(reply.document.url);
      file.download = reply.document.name;
      file.className = "document";
      file.textContent = "⬇ " + reply.document.name;
      el.appendChild(file);
    }
    if (reply.request_contact && !inert) { el.appendChild(phoneForm()); }
    if ((reply.buttons && reply.buttons.length) || reply.request_location) {
      var group = document.createElement("div");
      group.className = "buttons";
      if (inert) { group.classList.add("inert"); group.title = T.old_buttons; }
      (reply.buttons || []).forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.label;
        button.addEventListener("click", function () {
          disableGroup(group);
          sendButton(b.label, b.payload, id);
        });
        group.appendChild(button);
      });
      if (reply.request_location) {
        var loc = document.createElement("button");
        loc.type = "button";
        loc.className = "secondary";
        loc.textContent = T.use_location;
        loc.addEventListener("click", function () { shareLocation(); });
        group.appendChild(loc);
      }
      el.appendChild(group);
      if (inert) { disableGroup(group); }
    }
    scrollDown();
  }

  // The phone step: a field for the number (there is no "share my phone" button on the web).
  function phoneForm() {
    var f = document.createElement("form");
    f.className = "phone";
    var label = document.createElement("label");
    label.textContent = T.phone_label;
    var field = document.createElement("input");
    field.type = "tel";
    field.name = "phone";
    field.autocomplete = "tel";
    field.inputMode = "tel";
    field.maxLength = 24;
    field.required = true;
    label.appendChild(field);
    var send = document.createElement("button");
    send.type = "submit";
    send.textContent = T.phone_send;
    f.appendChild(label);
    f.appendChild(send);
    f.addEventListener("submit", function (event) {
      event.preventDefault();
      var number = field.value.trim();
      if (!number) { return; }
      field.disabled = true;
      send.disabled = true;
      sendText(number);
    });
    return f;
  }

  function transmit(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(frame)); }
  }

  function enqueue(frame, shown) {
    var el = showOwn(shown, frame.id);
    pending.set(frame.id, { frame: frame, el: el, shown: shown });
    transmit(frame);
  }

  function sendText(text) {
    enqueue({ type: "message", id: uuid(), text: text, lang: langHint() }, text);
  }

  function sendButton(label, payload, of) {
    var frame = { type: "button", id: uuid(), payload: payload, lang: langHint() };
    if (of) { frame.of = of; }
    enqueue(frame, label);
  }

  function shareLocation() {
    if (!navigator.geolocation) { setStatus(T.location_unavailable); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      enqueue({ type: "location", id: uuid(), lat: pos.coords.latitude, lon: pos.coords.longitude,
                lang: langHint() }, T.location_sent);
    }, function () {
      setStatus(T.location_unavailable);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function resendPendingLater(delayMs) {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () {
      retryTimer = null;
      pending.forEach(function (p) { transmit(p.frame); });
    }, delayMs);
  }

  function renderHistory(messages) {
    log.textContent = "";
    shownReplies.clear();
    // only the very last reply may still be answered with its buttons; the earlier ones are inert
    var lastOut = messages.length && messages[messages.length - 1].direction === "out" ? messages.length - 1 : -1;
    var tail = lastOut;
    while (tail > 0 && messages[tail - 1].direction === "out") { tail--; }  // one turn may be several replies
    messages.forEach(function (m, i) {
      if (m.direction === "out") {
        showReply(m.reply, m.sender, lastOut < 0 || i < tail, m.id);
      } else {
        var text = m.location ? T.location_sent : (m.photo ? T.photo_sent : m.text);
        if (text) { showOwn(text, null); }
      }
    });
    // messages typed while offline stay visible and are sent again
    pending.forEach(function (p) { p.el = showOwn(p.shown, p.frame.id); });
  }

  function onFrame(event) {
    var f;
    try { f = JSON.parse(event.data); } catch (e) { return; }
    if (f.type === "history") {
      renderHistory(f.messages || []);
    } else if (f.type === "reply") {
      showReply(f.reply, f.sender || "bot", false, f.id, f.edit);
    } else if (f.type === "ack") {
      var p = pending.get(f.id);
      if (p && f.duplicate) {
        p.el.remove(); // sent before a reconnect: the history already shows it
        pending.delete(f.id);
      } else if (p) {
        p.el.classList.remove("pending");
        p.el.removeAttribute("aria-busy");
        p.el.removeAttribute("title");
        pending.delete(f.id);
      }
    } else if (f.type === "error") {
      setStatus(f.message || T.error_invalid);
      if (f.code === "unavailable" || f.code === "slow_down") {
        resendPendingLater(4000);
      } else if (f.id && pending.has(f.id)) {
        pending.get(f.id).el.classList.add("failed");
        pending.delete(f.id);
      }
    }
  }

  function connect() {
    setStatus(T.connecting);
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + window.location.host + root.dataset.ws);
    ws.addEventListener("open", function () {
      attempt = 0;
      setStatus(T.connected);
      pending.forEach(function (p) { transmit(p.frame); });
    });
    ws.addEventListener("message", onFrame);
    ws.addEventListener("close", function () {
      setStatus(T.offline);
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt++)) + Math.floor(Math.random() * 500);
      setTimeout(connect, delay);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    sendText(text);
    input.value = "";
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  locateButton.addEventListener("click", shareLocation);

  // Photos: the file field or a photo dropped on the chat; the server checks type and size (bot/channels/webchat.py)
  var photoInput = document.getElementById("photo");
  function sendPhoto(file) {
    if (!file) { return; }
    var id = uuid();
    var el = showOwn(T.photo_sent, id);
    var body = new FormData();
    body.append("id", id);
    body.append("lang", langHint());
    body.append("photo", file, file.name || "photo");
    fetch(root.dataset.upload, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (resp) { return resp.json().catch(function () { return {}; }); })
      .then(function (f) {
        if (f.type === "ack") {
          el.classList.remove("pending");
          el.removeAttribute("aria-busy");
          el.removeAttribute("title");
        } else {
          el.classList.add("failed");
          setStatus(f.message || T.error_invalid);
        }
      })
      .catch(function () { el.classList.add("failed"); setStatus(T.error_unavailable); });
  }
  photoInput.addEventListener("change", function () {
    sendPhoto(photoInput.files && photoInput.files[0]);
    photoInput.value = "";
  });
  root.addEventListener("dragover", function (event) {
    event.preventDefault();
    root.classList.add("dropping");
    setStatus(T.photo_drop);
  });
  root.addEventListener("dragleave", function () { root.classList.remove("dropping"); });
  root.addEventListener("drop", function (event) {
    event.preventDefault();
    root.classList.remove("dropping");
    var files = event.dataTransfer && event.dataTransfer.files;
    if (files && files.length) { sendPhoto(files[0]); }
  });
  // a pasted text longer than the field takes is cut by the browser: say so instead of cutting silently
  input.addEventListener("input", function () {
    var max = parseInt(input.getAttribute("maxlength") || "0", 10);
    if (max && input.value.length >= max) { setStatus(T.cut_for_length.replace("{max}", String(max))); }
  });

  connect();
})();
