/* Clickstream browser tracker (vanilla JS, no dependencies); docs/tracking.md.
 * <script async src="https://ingest.example/clickstream.js" data-site="blog"></script>
 * then  clickstream("product_view", {product: {...}});  Calls made before it loaded (queued
 * in clickstream.q by the snippet) are sent too. It posts to /clickstream on the origin it was
 * loaded from unless data-endpoint says otherwise. Do Not Track and Global Privacy Control
 * are honoured (nothing is sent or kept) unless data-dnt="0"; data-cookieless keeps nothing
 * in the browser (the server counts visitors by a salted daily hash); history.pushState and
 * popstate send page views (data-spa="0" turns that off); data-write-key is sent as X-Write-Key.
 * Cart, checkout and purchase events carry their lines: clickstream("purchase",
 * {order: {id: "1042", total: 93.5}, items: [{id: "p1", price: 50, quantity: 1}, ...]});
 * Events wait in a bounded localStorage queue and leave in batches (on size, on a timer and
 * on page hide); a failed batch is retried with back-off and keeps its event_id, so the
 * warehouse stores each event once. A signed-in page puts its access token in
 * <meta name="cs-token">, sent as "Authorization: Bearer". An event leaves the queue only
 * when the ingest API acknowledged it; a guest's batch handed to sendBeacon at page hide is
 * the browser's to deliver. */
(function (w, d, n) {
  var s = d.currentScript, c = (s && s.dataset) || {}, Q = (w.clickstream || {}).q || [];
  var E = c.endpoint || (s && s.src ? new URL("/clickstream", s.src) + "" : "/clickstream");
  var K = c.cookieless != null, KEY = c.writeKey, M = {}, P = "cs_", H = history, at = location.href;
  // Cookieless: the queue and counters live in memory only; the server makes the visitor id.
  var L = K ? { getItem: function (k) { return M[k] || null; }, setItem: function (k, v) { M[k] = v; } } : w.localStorage;
  var MAX = 200, BATCH = +c.batch || 10, EVERY = +c.interval || 5000, IDLE = 18e5;
  var busy = 0, fails = 0, next = 0, first = 0, fly = {};
  if (c.dnt != "0" && (n.doNotTrack == "1" || w.doNotTrack == "1" || n.globalPrivacyControl)) {
    w.clickstream = function () {};
    return;
  }
  if (K) E += (E.indexOf("?") < 0 ? "?" : "&") + "cookieless=1";
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
  var cid = K ? null : get("cid");
  if (!cid && !K) { cid = uuid(); put("cid", cid); first = 1; }
  function session() {
    var now = Date.now(), sid = get("sid");
    if (!sid || now - (+get("sat") || 0) > IDLE) { sid = uuid(); put("sid", sid); }
    put("sat", now);
    return sid;
  }
  function track(name, fields) {
    var e = {
      event_name: name, event_id: uuid(), event_timestamp: new Date().toISOString(),
      page_url: location.href, referrer: d.referrer || null
    }, k, m, q = load();
    if (!K) { e.client_id = cid; e.session_id = session(); e.is_first_visit = !!first; }
    if (c.site) e.site_id = c.site;
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
    if (KEY) h["X-Write-Key"] = KEY;
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
      if (!t && !KEY && n.sendBeacon) {
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
  // A single-page app's route change is a page view, referred by the route before it.
  function route() {
    var r = at;
    if (location.href != r) { at = location.href; track("page_view", { referrer: r }); }
  }
  if (c.spa != "0") {
    var push = H.pushState;
    H.pushState = function () { push.apply(H, arguments); route(); };
    w.addEventListener("popstate", route);
  }
  w.clickstream = track;
  setInterval(flush, EVERY);
  d.addEventListener("visibilitychange", function () { if (d.visibilityState == "hidden") flush(1); });
  w.addEventListener("pagehide", function () { flush(1); });
  track("page_view");
  Q.forEach(function (a) { track.apply(0, a); });
})(window, document, navigator);
