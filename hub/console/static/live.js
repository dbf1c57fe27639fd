/* Liandong console: live board and incident page.
 * Counts down to each deadline (corrected for the server's clock), listens to the hub's
 * server-sent events, swaps in fresh server-rendered HTML on any change, and beeps
 * (WebAudio, no sound file) when something escalates. No inline script: the console's CSP
 * allows only this file. */
(function () {
  "use strict";
  var body = document.body;
  var root = document.getElementById("board") || document.getElementById("live");
  var status = document.getElementById("live-status");
  var soundButton = document.getElementById("sound-toggle");
  var offset = 0;
  var beeps = 0;
  var audio = null;
  var soundOn = window.localStorage.getItem("ld-sound") !== "off";
  var pending = null;
  var lastLate = null;
  var lastBeep = 0;

  function text(name) { return body.getAttribute("data-i18n-" + name) || name; }

  function syncClock() {
    var el = root && root.querySelector("[data-server-now]");
    if (el) { offset = Date.parse(el.getAttribute("data-server-now")) - Date.now(); }
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function format(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return (h > 0 ? h + ":" + two(m) : String(m)) + ":" + two(s % 60);
  }

  function tick() {
    var now = Date.now() + offset;
    var items = document.querySelectorAll(".countdown[data-due]");
    for (var i = 0; i < items.length; i++) {
      var el = items[i];
      var left = Date.parse(el.getAttribute("data-due")) - now;
      var cls = left < 0 ? "cd-late" : left < 60000 ? "cd-soon" : left < 300000 ? "cd-warn" : "cd-ok";
      if (el.getAttribute("data-urgency") !== cls) {
        el.classList.remove("cd-late", "cd-soon", "cd-warn", "cd-ok");
        el.classList.add(cls);
        el.setAttribute("data-urgency", cls);
      }
      var out = el.querySelector(".dl-left");
      if (out) { out.textContent = (left < 0 ? text("late") + " " : "") + format(left); }
    }
  }

  function beep() {
    /* One cue per burst: an escalation event and the late count it raises are one thing. */
    if (Date.now() - lastBeep < 2000) { return; }
    lastBeep = Date.now();
    beeps += 1;
    body.setAttribute("data-beeps", String(beeps));
    if (!soundOn) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") { audio.resume(); }
      [0, 0.35, 0.7].forEach(function (start) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = "square";
        osc.frequency.value = 880;
        gain.gain.value = 0.15;
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(audio.currentTime + start);
        osc.stop(audio.currentTime + start + 0.22);
      });
    } catch (e) { /* no audio device: the red rows still show it */ }
  }

  function checkLate() {
    var el = root.querySelector("[data-late]");
    if (!el) { return; }
    var late = parseInt(el.getAttribute("data-late"), 10) || 0;
    if (lastLate !== null && late > lastLate) { beep(); }
    lastLate = late;
  }

  function refresh() {
    var url = root.getAttribute("data-fragment") || root.getAttribute("data-live");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected || !r.ok) { window.location.reload(); return null; }
        /* The red "cut off from the broker" banner is drawn by the server: reload the page
         * when the hub's link state no longer matches what is on screen. */
        var broker = r.headers.get("X-Liandong-Broker");
        if (broker && (broker === "down") !== !!document.getElementById("broker-down")) {
          window.location.reload();
          return null;
        }
        return r.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        root.innerHTML = html;
        syncClock();
        tick();
        checkLate();
        body.setAttribute("data-refreshes", String((parseInt(body.getAttribute("data-refreshes"), 10) || 0) + 1));
      })
      .catch(function () { setLive(false); });
  }

  function soon() {
    if (pending) { return; }
    pending = window.setTimeout(function () { pending = null; refresh(); }, 150);
  }

  function setLive(on) {
    if (!status) { return; }
    status.textContent = on ? text("live") : text("offline");
    status.classList.toggle("on", on);
    status.classList.toggle("off", !on);
  }

  function connect() {
    var source = new EventSource(root.getAttribute("data-events"));
    source.onopen = function () { setLive(true); soon(); };
    source.addEventListener("change", soon);
    source.addEventListener("escalation", function () { beep(); soon(); });
    source.onerror = function () {
      setLive(false);
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(function () { window.location.reload(); }, 5000);
      }
    };
  }

  function setSound(on) {
    soundOn = on;
    window.localStorage.setItem("ld-sound", on ? "on" : "off");
    if (soundButton) { soundButton.textContent = on ? text("sound-on") : text("sound-off"); }
  }

  if (soundButton) {
    setSound(soundOn);
    soundButton.addEventListener("click", function () { setSound(!soundOn); if (soundOn) { beep(); } });
  }
  /* Browsers start audio only after a gesture: any click unlocks it for later alarms. */
  document.addEventListener("click", function () {
    if (audio && audio.state === "suspended") { audio.resume(); }
  });

  body.setAttribute("data-beeps", "0");
  if (root) {
    syncClock();
    checkLate();
    tick();
    window.setInterval(tick, 1000);
    window.setInterval(soon, 60000);
    connect();
  }
})();
