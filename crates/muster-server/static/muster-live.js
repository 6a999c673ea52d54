// Muster's live updates: one server-sent event stream per browser tab, kept across htmx-boosted
// navigation, re-dispatched on <body> as `live-<topic>` events that page regions refresh on
// (`hx-trigger="live-incident from:body"`).
//
// A burst of changes (an alert storm) is coalesced per topic: the first change is dispatched at
// once, later ones at most every WINDOW milliseconds, and the last change of a burst is always
// dispatched, so a page never stays behind the last change (htmx's own `throttle` drops events).
//
// One stream per tab matters: over HTTP/1.1 a browser opens at most six connections to a host,
// and Chromium keeps a closed EventSource's connection for about a minute, so a stream per page
// (what htmx's SSE extension does) stalls every request after a few clicks.
(function () {
  "use strict";
  if (window.musterLive) {
    return;
  }
  var topics = ["user", "team", "service", "schedule", "alert", "heartbeat", "escalation_policy", "incident", "postmortem"];
  var WINDOW = 300;
  var source = new EventSource("/api/v1/events");
  var waiting = {};
  var pending = {};
  function fire(topic) {
    document.body.dispatchEvent(new CustomEvent("live-" + topic));
  }
  function dispatch(topic) {
    if (waiting[topic]) {
      pending[topic] = true;
      return;
    }
    fire(topic);
    waiting[topic] = setTimeout(function settle() {
      if (pending[topic]) {
        pending[topic] = false;
        fire(topic);
        waiting[topic] = setTimeout(settle, WINDOW);
      } else {
        waiting[topic] = null;
      }
    }, WINDOW);
  }
  topics.forEach(function (topic) {
    source.addEventListener(topic, function () { dispatch(topic); });
  });
  // Events were skipped (a slow tab): everything may be stale.
  source.addEventListener("resync", function () { topics.forEach(dispatch); });
  window.addEventListener("pagehide", function () { source.close(); });
  window.musterLive = source;
})();
