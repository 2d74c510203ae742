// Live sensor values over EventSource. The browser reconnects by itself
// (sending Last-Event-ID); if the server refuses the stream (503) we wait
// and open a new one, passing the last id in the URL. Ids are consecutive,
// so a gap or a repeat is visible here: "missed" and "duplicates".
(function () {
  "use strict";
  var NAMES = ["temperature", "humidity", "pressure", "light"];
  var KEEP = 60;
  var hist = { temperature: [], humidity: [] };
  var n = { received: 0, missed: 0, duplicates: 0, reconnects: 0 };
  var lastId = null, opens = 0, fresh = false;

  function $(id) { return document.getElementById(id); }
  function show(k) { $(k).textContent = n[k]; }
  function state(s) { var el = $("status"); el.textContent = s; el.className = s; }

  function draw(name) {
    var h = hist[name], lo = Math.min.apply(null, h), hi = Math.max.apply(null, h);
    var span = hi - lo || 1, pts = [];
    for (var i = 0; i < h.length; i++) {
      pts.push((i * 300 / (KEEP - 1)).toFixed(1) + "," +
               (95 - (h[i] - lo) * 90 / span).toFixed(1));
    }
    $("line-" + name).setAttribute("points", pts.join(" "));
  }

  function onReading(e) {
    var id = parseInt(e.lastEventId, 10);
    if (lastId !== null && id <= lastId) {
      if (!(fresh && id < lastId)) { n.duplicates++; show("duplicates"); return; }
      lastId = null;          // server restarted: its ids start again
    }
    fresh = false;
    if (lastId !== null && id > lastId + 1) { n.missed += id - lastId - 1; show("missed"); }
    lastId = id;
    var r = JSON.parse(e.data);
    NAMES.forEach(function (k) { $(k).textContent = r[k]; });
    ["temperature", "humidity"].forEach(function (k) {
      hist[k].push(r[k]);
      if (hist[k].length > KEEP) hist[k].shift();
      draw(k);
    });
    if (!n.received++) $("received").dataset.first = id;
    show("received");
    $("last-id").textContent = id;
  }

  function connect() {
    state("connecting");
    var es = new EventSource("/events" + (lastId === null ? "" : "?last=" + lastId));
    es.onopen = function () {
      if (opens++) { n.reconnects++; show("reconnects"); }
      fresh = true;
      state("live");
    };
    es.addEventListener("reading", onReading);
    es.addEventListener("skipped", function (e) {
      // The server no longer had some readings: count them, jump ahead.
      var s = JSON.parse(e.data);
      n.missed += s.missed; show("missed");
      lastId = s.next - 1;
    });
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED) {   // refused: retry later
        state("offline");
        setTimeout(connect, 3000);
      } else {
        state("reconnecting");                     // the browser retries
      }
    };
  }
  connect();
})();
