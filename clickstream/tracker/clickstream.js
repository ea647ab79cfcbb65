/* Clickstream browser tracker (vanilla JS, no dependencies).
 * <script src="clickstream.min.js" data-endpoint="https://ingest.example/clickstream"
 *         data-dnt="1"></script>  then  clickstream("product_view", {product: {...}});
 * Cart, checkout and purchase events carry their lines: clickstream("purchase",
 * {order: {id: "1042", total: 93.5}, items: [{id: "p1", price: 50, quantity: 1}, ...]});
 * Events wait in a bounded localStorage queue and leave in batches (on size, on a timer and
 * on page hide); a failed batch is retried with back-off and keeps its event_id, so the
 * warehouse stores each event once. A signed-in page puts its access token in
 * <meta name="cs-token">, sent as "Authorization: Bearer". An event leaves the queue only
 * when the ingest API acknowledged it; a guest's batch handed to sendBeacon at page hide is
 * the browser's to deliver. */
(function (w, d, n) {
  var s = d.currentScript, c = (s && s.dataset) || {};
  var E = c.endpoint || "/clickstream", L = w.localStorage, P = "cs_";
  var MAX = 200, BATCH = +c.batch || 10, EVERY = +c.interval || 5000, IDLE = 18e5;
  var busy = 0, fails = 0, next = 0, first = 0, fly = {};
  if (c.dnt && (n.doNotTrack == "1" || w.doNotTrack == "1" || n.globalPrivacyControl)) {
    w.clickstream = function () {};
    return;
  }
  function get(k) { try { return L.getItem(P + k); } catch (x) { return null; } }
  function put(k, v) { try { L.setItem(P + k, v); } catch (x) {} }
  function uuid() {
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (x) {
      return (x ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (x / 4)))).toString(16);
    });
  }
  function load() { try { return JSON.parse(get("q")) || []; } catch (x) { return []; } }
  function save(q) { put("q", JSON.stringify(q.slice(-MAX))); }
  fails = +get("f") || 0; // the ingest API was failing on an earlier page
  var cid = get("cid");
  if (!cid) { cid = uuid(); put("cid", cid); first = 1; }
  function session() {
    var now = Date.now(), sid = get("sid");
    if (!sid || now - (+get("sat") || 0) > IDLE) { sid = uuid(); put("sid", sid); }
    put("sat", now);
    return sid;
  }
  function track(name, fields) {
    var e = {
      event_name: name, event_id: uuid(), event_timestamp: new Date().toISOString(),
      client_id: cid, session_id: session(), is_first_visit: !!first,
      page_url: location.href, referrer: d.referrer || null
    }, k, m, q = load();
    first = 0;
    for (k in fields || {}) e[k] = fields[k];
    m = d.querySelector('meta[name="cs-token"]');
    e._t = m ? m.content : "";
    q.push(e);
    save(q);
    if (q.length >= BATCH) flush();
  }
  function send(body, keep, t) {
    var h = { "Content-Type": "application/json" };
    if (t) h.Authorization = "Bearer " + t;
    return fetch(E, { method: "POST", body: body, headers: h, keepalive: keep, credentials: "omit" });
  }
  function drop(batch) {
    var ids = batch.map(function (e) { return e.event_id; });
    save(load().filter(function (e) { return ids.indexOf(e.event_id) < 0; }));
  }
  function mark(batch, on) { batch.forEach(function (e) { fly[e.event_id] = on; }); }
  function done(r) { return r.ok || (r.status > 399 && r.status < 500 && r.status != 408 && r.status != 429); }
  function flush(hide) {
    // A batch holds events tracked under one token: a guest's events never go out signed in.
    // Events already on their way from this page are not sent twice.
    var q = load().filter(function (e) { return !fly[e.event_id]; }), t = q.length ? q[0]._t : "", batch, body;
    batch = q.filter(function (e) { return e._t == t; }).slice(0, BATCH);
    if (!batch.length || (!hide && (busy || Date.now() < next))) return;
    body = JSON.stringify(batch, function (k, v) { return k == "_t" ? void 0 : v; });
    if (hide) {
      // The page is going: send what is queued, unless the ingest API is known to be down, in
      // which case the events wait in the queue for the next page's retries. A signed-in
      // batch stays queued until its answer arrives: if the page is gone first, the next page
      // sends it again (same event_id, so stored once).
      if (fails) return;
      if (!t && n.sendBeacon) {
        if (!n.sendBeacon(E, body)) return;
        drop(batch);
      } else {
        mark(batch, 1);
        send(body, true, t).then(function (r) { if (done(r)) drop(batch); mark(batch, 0); },
          function () { mark(batch, 0); });
      }
      return flush(1);
    }
    busy = 1;
    mark(batch, 1);
    send(body, body.length < 6e4, t).then(function (r) {
      // 4xx other than 408/429 will never succeed: drop the batch rather than retry forever.
      if (!done(r)) throw r;
      drop(batch);
      mark(batch, 0);
      busy = fails = next = 0;
      put("f", 0);
      flush();
    }).catch(function () {
      mark(batch, 0);
      busy = 0;
      put("f", ++fails);
      var wait = Math.min(6e4, 500 * Math.pow(2, fails));
      next = Date.now() + wait;
      setTimeout(flush, wait);
    });
  }
  w.clickstream = track;
  setInterval(flush, EVERY);
  d.addEventListener("visibilitychange", function () { if (d.visibilityState == "hidden") flush(1); });
  w.addEventListener("pagehide", function () { flush(1); });
  track("page_view");
})(window, document, navigator);
