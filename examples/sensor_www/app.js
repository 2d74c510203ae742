// Live sensor values over EventSource, one section per feed.
// Which feeds: the page's ?feed= parameters (repeatable), else FEEDS. A
// relay's feed is /events/<topic> (examples/relay.py --www serves this
// page too, so it stays same-origin): ?feed=/events/ahttp/sensor1/events.
// On connect the server replays its ring, so the plot fills at once.
// The browser reconnects by itself (sending Last-Event-ID); if the server
// refuses the stream (503) we wait and open a new one, passing the last id
// in the URL. Ids grow, so a repeat is visible: "duplicates"; a gap in
// consecutive ids, or a "skipped" event, is "missed".
(function () {
  "use strict";
  var FEEDS = ["/events"];
  var NAMES = ["temperature", "humidity", "pressure", "light"];
  var KEEP = 60;
  var RESTART_JUMP = 10000;   // ids skipped at once that mean "the source restarted"
  // plot area in the SVG's viewBox (index.html)
  var X0 = 44, W = 312, Y0 = 8, H = 132;

  function Feed(url, suffix, root) {
    var self = this;
    var hist = { temperature: [], humidity: [] }, times = [];
    var n = { received: 0, missed: 0, duplicates: 0, reconnects: 0 };
    var lastId = null, opens = 0, fresh = false;

    function $(id) { return document.getElementById(id + suffix); }
    function show(k) { $(k).textContent = n[k]; }
    function state(s) { var el = $("status"); el.textContent = s; el.className = s; }
    $("source").textContent = url;

    function draw() {
      var t0 = times[0], span = times[times.length - 1] - t0 || 1;
      ["temperature", "humidity"].forEach(function (name) {
        var h = hist[name], lo = Math.min.apply(null, h), hi = Math.max.apply(null, h);
        var range = hi - lo || 1, pts = [];
        for (var i = 0; i < h.length; i++) {
          pts.push((X0 + (times[i] - t0) * W / span).toFixed(1) + "," +
                   (Y0 + H - (h[i] - lo) * H / range).toFixed(1));
        }
        $("line-" + name).setAttribute("points", pts.join(" "));
        var k = name === "temperature" ? "t" : "h", u = k === "t" ? " °C" : " %";
        $("ax-" + k + "-hi").textContent = hi + u;
        $("ax-" + k + "-lo").textContent = lo + u;
      });
      $("ax-x0").textContent = "-" + +span.toFixed(1) + " s";
      $("ax-x1").textContent = "-" + +(span / 2).toFixed(1) + " s";
      $("ax-x2").textContent = "now";
    }

    function onReading(e) {
      var id = parseInt(e.lastEventId, 10);
      if (lastId !== null && id <= lastId) {
        if (!(fresh && id < lastId)) { n.duplicates++; show("duplicates"); return; }
        lastId = null;          // server restarted: its ids start again
        hist.temperature = []; hist.humidity = []; times = [];
      }
      fresh = false;
      // A board publishing to MQTT takes its first id from the clock
      // (ahttp/mqtt_pub.py): after its restart the ids jump far ahead.
      if (lastId !== null && id > lastId + 1 && id - lastId <= RESTART_JUMP) {
        n.missed += id - lastId - 1; show("missed");
      }
      lastId = id;
      var r = JSON.parse(e.data);
      NAMES.forEach(function (k) { $(k).textContent = r[k]; });
      if (times.length && r.t < times[times.length - 1]) {   // a new run: its t from 0
        hist.temperature = []; hist.humidity = []; times = [];
      }
      times.push(r.t);
      hist.temperature.push(r.temperature);
      hist.humidity.push(r.humidity);
      if (times.length > KEEP) { times.shift(); hist.temperature.shift(); hist.humidity.shift(); }
      draw();
      if (!n.received++) $("received").dataset.first = id;
      show("received");
      $("last-id").textContent = id;
    }

    function connect() {
      state("connecting");
      var sep = url.indexOf("?") < 0 ? "?" : "&";
      var es = new EventSource(url + (lastId === null ? "" : sep + "last=" + lastId));
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
    self.connect = connect;
  }

  var feeds = new URLSearchParams(location.search).getAll("feed");
  if (!feeds.length) feeds = FEEDS;
  var first = document.querySelector(".feed");
  feeds.forEach(function (url, i) {
    var root = first, suffix = "";
    if (i) {            // a copy of the first section, its ids suffixed
      suffix = "-" + i;
      root = first.cloneNode(true);
      root.querySelectorAll("[id]").forEach(function (el) { el.id += suffix; });
      first.parentNode.appendChild(root);
    }
    new Feed(url, suffix, root).connect();
  });
})();
