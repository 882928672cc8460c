/* Live updates of the monitor and of one conversation, from the server-sent events of /staff/events.
   Citizen text is untrusted: it only ever goes into the page through textContent, never as HTML. */
(function () {
  "use strict";

  function fmtTime(iso, lang) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "el-GR", {
      timeZone: "Europe/Athens", day: "2-digit", month: "2-digit", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).format(d).replace(",", "");
  }

  function fmtConfidence(c) {
    return (c === null || c === undefined || c === "") ? "—" : Math.round(Number(c) * 100) + "%";
  }

  /* intent names in the staff's language, from the page (data-intent-names); the code stays in a tooltip */
  function intentCell(tag, className, names, intent) {
    var node = el(tag, className, intent ? (names[intent] || intent) : "—");
    if (intent) { node.title = intent; }
    return node;
  }

  function namesOf(ds) {
    try { return JSON.parse(ds.intentNames || "{}"); } catch (err) { return {}; }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function connect(url, onEvent) {
    var state = document.getElementById("live-state");
    var source = new EventSource(url);
    function show(on) {
      document.body.dataset.live = on ? "1" : "";
      if (state) {
        state.textContent = on ? state.dataset.on : state.dataset.off;
        state.classList.toggle("on", on);
      }
    }
    source.onopen = function () { show(true); };
    source.onerror = function () { show(false); };
    ["message", "conversation"].forEach(function (kind) {
      source.addEventListener(kind, function (e) {
        var data;
        try { data = JSON.parse(e.data); } catch (err) { return; }
        onEvent(kind, data);
      });
    });
    window.addEventListener("pagehide", function () { source.close(); });
    return source;
  }

  /* ---------------------------------------------------------------- the monitor */
  function monitor(table) {
    var tbody = table.tBodies[0];
    var ds = table.dataset;
    var threshold = parseFloat(ds.lowConfidence || "0.5");
    var limit = parseInt(ds.limit || "100", 10);
    var empty = document.getElementById("no-conversations");
    var names = namesOf(ds);

    function findRow(id) {
      for (var i = 0; i < tbody.rows.length; i++) {
        if (tbody.rows[i].dataset.id === id) { return tbody.rows[i]; }
      }
      return null;
    }

    function matches(s) {
      if (ds.filterChannel && s.channel !== ds.filterChannel) { return false; }
      if (ds.filterLanguage && s.language !== ds.filterLanguage) { return false; }
      if (ds.filterIntent && s.intent !== ds.filterIntent) { return false; }
      if (ds.filterLow && !(s.confidence !== "" && Number(s.confidence) < threshold)) { return false; }
      if (ds.filterPaused && !s.paused) { return false; }
      return true;
    }

    function channelLabel(c) {
      var key = "channel" + c.charAt(0).toUpperCase() + c.slice(1);
      return ds[key] || c;
    }

    function languageLabel(l) {
      if (!l) { return "—"; }
      return ds["language" + l.charAt(0).toUpperCase() + l.slice(1)] || l;
    }

    function fill(row, s) {
      row.dataset.id = s.id;
      row.dataset.channel = s.channel;
      row.dataset.language = s.language;
      row.dataset.intent = s.intent;
      row.dataset.confidence = s.confidence;
      row.dataset.paused = s.paused ? "1" : "";
      row.dataset.holder = s.holder || "";
      while (row.firstChild) { row.removeChild(row.firstChild); }
      row.appendChild(el("td", "time", fmtTime(s.at, ds.lang)));
      row.appendChild(el("td", "channel", channelLabel(s.channel)));
      row.appendChild(el("td", "language", languageLabel(s.language)));
      row.appendChild(el("td", "text", (s.text || "").slice(0, 160)));
      row.appendChild(intentCell("td", "intent", names, s.intent));
      var conf = el("td", "confidence", fmtConfidence(s.confidence));
      if (s.confidence !== "" && Number(s.confidence) < threshold) { conf.classList.add("low"); }
      row.appendChild(conf);
      var state = el("td", "state");
      if (s.paused) {
        state.appendChild(el("span", "badge warn", ds.labelPaused));
        if (s.holder) { state.appendChild(document.createTextNode(" ")); state.appendChild(el("span", "holder", s.holder)); }
      }
      else { state.textContent = ds.labelBot; }
      row.appendChild(state);
      var cell = el("td");
      var link = el("a", "", ds.labelOpen);
      link.href = "/staff/conversations/" + encodeURIComponent(s.id);
      cell.appendChild(link);
      row.appendChild(cell);
      row.classList.remove("flash-new");
      void row.offsetWidth;
      row.classList.add("flash-new");
    }

    function stateOf(row) {
      return {
        id: row.dataset.id, channel: row.dataset.channel, language: row.dataset.language,
        intent: row.dataset.intent, confidence: row.dataset.confidence, paused: row.dataset.paused === "1",
        holder: row.dataset.holder || "", text: (row.querySelector("td.text") || {}).textContent || "", at: null
      };
    }

    connect(ds.events, function (kind, ev) {
      if (!ev.conversation_id) { return; }
      var row = findRow(ev.conversation_id);
      var s = row ? stateOf(row) : {id: ev.conversation_id, channel: ev.channel || "", language: "", intent: "",
                                    confidence: "", paused: false, text: "", at: null};
      if (kind === "conversation") {
        if (!row || typeof ev.paused !== "boolean") { return; }
        s.paused = ev.paused;
        s.holder = ev.paused ? (ev.held_by_name || "") : "";
        s.at = ev.created_at || new Date().toISOString();
      } else {
        if (ev.channel) { s.channel = ev.channel; }
        if (ev.language) { s.language = ev.language; }
        if (typeof ev.paused === "boolean") { s.paused = ev.paused; }
        if (ev.direction === "in") {  /* the row shows what the resident said last; replies only bump the time */
          s.intent = ev.intent || "";
          s.confidence = (ev.confidence === null || ev.confidence === undefined) ? "" : String(ev.confidence);
          s.text = ev.text || "";
        }
        s.at = ev.created_at;
      }
      if (!matches(s)) {
        if (row) { row.parentNode.removeChild(row); }
      } else {
        if (!row) { row = document.createElement("tr"); }
        var keepTime = kind === "conversation" && row.cells.length ? row.cells[0].textContent : null;
        fill(row, s);
        if (keepTime) { row.cells[0].textContent = keepTime; }
        tbody.insertBefore(row, tbody.firstChild);
        while (tbody.rows.length > limit) { tbody.deleteRow(tbody.rows.length - 1); }
      }
      if (empty) { empty.hidden = tbody.rows.length > 0; }
    });
  }

  /* ---------------------------------------------------------------- one conversation */
  function transcript(list) {
    var ds = list.dataset;
    var threshold = parseFloat(ds.lowConfidence || "0.5");
    var banner = document.getElementById("state-changed");
    var names = namesOf(ds);

    /* a shared location: a link to the map (the street and area names come with the page's next load) */
    function place(loc) {
      var lat = Number(loc.lat), lon = Number(loc.lon);
      var coords = ds.lang === "en" ? lat.toFixed(5) + ", " + lon.toFixed(5)
        : lat.toFixed(5).replace(".", ",") + "; " + lon.toFixed(5).replace(".", ",");
      var p = el("p", "extra shared-location", ds.labelLocation + ": ");
      var link = el("a", "map-link", ds.labelOpenMap);
      link.href = "https://www.openstreetmap.org/?mlat=" + lat.toFixed(5) + "&mlon=" + lon.toFixed(5) +
        "#map=18/" + lat.toFixed(5) + "/" + lon.toFixed(5);
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      p.appendChild(link);
      p.appendChild(el("span", "coordinates", " · " + coords));
      return p;
    }

    /* photos through this service's proxy: the page never loads a platform URL */
    function thumbnails(ev) {
      var ul = el("ul", "photos thumbs");
      ev.photos.forEach(function (index, n) {
        var src = "/staff/conversations/" + encodeURIComponent(ds.conversationId) + "/photos/" +
          encodeURIComponent(ev.message_id) + "/" + Number(index);
        var li = el("li"), link = el("a"), img = el("img");
        link.href = src;
        link.target = "_blank";
        link.rel = "noopener";
        img.src = src;
        img.alt = ds.labelPhoto.replace("{n}", String(n + 1));
        link.appendChild(img);
        li.appendChild(link);
        ul.appendChild(li);
      });
      return ul;
    }

    connect(ds.events, function (kind, ev) {
      if (ev.conversation_id !== ds.conversationId) { return; }
      if (kind === "conversation" || typeof ev.paused === "boolean") {
        var paused = ev.paused ? "1" : "";
        if (typeof ev.paused === "boolean" && paused !== ds.paused && banner) { banner.hidden = false; }
        if (kind === "conversation") { return; }
      }
      var item = el("li", "msg " + (ev.direction === "in" ? "in" : "out"));
      item.dataset.direction = ev.direction || "";
      var meta = el("div", "meta");
      var time = el("time", "", fmtTime(ev.created_at, ds.lang));
      time.setAttribute("datetime", ev.created_at || "");
      meta.appendChild(time);
      var who;
      if (ev.direction === "in") { who = ds.labelResident; }
      else if ((ev.sender || "").indexOf("staff:") === 0) { who = ds.labelStaff + ev.sender.slice(6); }
      else { who = ds.labelBot; }
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(el("span", "who", who));
      item.appendChild(meta);
      if (ev.text) { item.appendChild(el("p", "text", ev.text)); }
      if (ev.location && isFinite(ev.location.lat) && isFinite(ev.location.lon)) { item.appendChild(place(ev.location)); }
      if (ev.message_id && ev.photos && ev.photos.length) { item.appendChild(thumbnails(ev)); }
      if (ev.direction === "in" && ev.intent) {
        var nlu = el("p", "nlu-live");
        nlu.appendChild(intentCell("span", "intent", names, ev.intent));
        nlu.appendChild(document.createTextNode(" · "));
        var c = el("span", "", fmtConfidence(ev.confidence));
        if (ev.confidence !== null && ev.confidence < threshold) { c.className = "low"; }
        nlu.appendChild(c);
        item.appendChild(nlu);
      }
      list.appendChild(item);
      item.scrollIntoView({block: "nearest"});
    });
  }

  var table = document.getElementById("live-conversations");
  if (table) { monitor(table); }
  var list = document.getElementById("transcript");
  if (list && list.dataset.events) { transcript(list); }
})();
