/* The waiting-for-staff queue of the monitor: a new request (intent talk_to_human) is added at the end with a
   short tone and the count in the badge and the tab title; waiting times go up every minute. Citizen text only
   through textContent. */
(function () {
  "use strict";
  var box = document.getElementById("waiting-queue");
  if (!box) { return; }
  var ds = box.dataset;
  var list = document.getElementById("waiting-list");
  var badge = document.getElementById("waiting-count");
  var empty = document.getElementById("waiting-empty");
  var title = document.title;

  function minutesText(since) {
    var n = Math.max(0, Math.floor((Date.now() - new Date(since).getTime()) / 60000));
    return ds.minutes.replace("{n}", String(isNaN(n) ? 0 : n));
  }

  function refresh() {
    var n = list.children.length;
    var words = badge.dataset.template.replace("{n}", String(n));
    badge.textContent = String(n);  /* the heading says "waiting": the number only, the words for screen readers */
    badge.title = words;
    badge.setAttribute("aria-label", words);
    badge.hidden = n === 0;
    empty.hidden = n > 0;
    document.title = n ? "(" + n + ") " + title : title;
    Array.prototype.forEach.call(list.children, function (li) {
      if (li.dataset.since) { li.querySelector(".wait").textContent = minutesText(li.dataset.since); }
    });
  }

  function tone() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (err) { /* no sound before the first click: the badge and the title still say it */ }
  }

  function find(id) {
    for (var i = 0; i < list.children.length; i++) { if (list.children[i].dataset.id === id) { return list.children[i]; } }
    return null;
  }

  function add(data) {
    if (find(data.conversation_id)) { return; }
    var li = document.createElement("li");
    li.dataset.id = data.conversation_id;
    li.dataset.since = data.created_at || new Date().toISOString();
    var wait = document.createElement("span"); wait.className = "wait";
    var text = document.createElement("span"); text.className = "text"; text.textContent = (data.text || "").slice(0, 120);
    var link = document.createElement("a");
    link.href = ds.prefix + "/conversations/" + encodeURIComponent(data.conversation_id);
    link.textContent = ds.labelOpen;
    /* as the rows the server drew: channel and language by name (the section's data-channel-* / data-language-*) */
    var named = function (prefix, code) { return (code && ds[prefix + code.charAt(0).toUpperCase() + code.slice(1)]) || code || ds.labelNew; };
    li.appendChild(wait);
    li.appendChild(document.createTextNode(" · " + named("channel", data.channel) + " · " + named("language", data.language) + " · "));
    li.appendChild(text); li.appendChild(document.createTextNode(" · ")); li.appendChild(link);
    list.appendChild(li);
    tone();
    refresh();
  }

  var source = new EventSource(ds.events);
  source.addEventListener("message", function (e) {
    var data; try { data = JSON.parse(e.data); } catch (err) { return; }
    if (data.direction === "in" && data.intent === "talk_to_human") { add(data); }
  });
  source.addEventListener("conversation", function (e) {
    var data; try { data = JSON.parse(e.data); } catch (err) { return; }
    var li = data.paused ? find(data.conversation_id) : null;  /* taken over: no longer waiting */
    if (li) { li.parentNode.removeChild(li); refresh(); }
  });
  window.addEventListener("pagehide", function () { source.close(); });
  setInterval(refresh, 30000);
  refresh();
}());
