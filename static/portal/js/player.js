/* HLS players: hls.js where Media Source Extensions exist, the browser's native HLS
 * (Safari, iOS) otherwise. Storyboard thumbnails preview the scrub position. A player
 * with data-progress-url reports watched intervals through EhomeProgress.Reporter. */
(function () {
  "use strict";

  function parseTime(s) {
    var p = s.trim().split(":").map(parseFloat);
    return p.length === 3 ? p[0] * 3600 + p[1] * 60 + p[2] : p[0] * 60 + p[1];
  }

  /* WebVTT cues whose text is "image.jpg#xywh=x,y,w,h". */
  function loadStoryboard(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (text) {
      var cues = [];
      text.split(/\r?\n\r?\n/).forEach(function (block) {
        var lines = block.trim().split(/\r?\n/);
        var i = lines.findIndex(function (l) { return l.indexOf("-->") >= 0; });
        if (i < 0 || !lines[i + 1]) return;
        var times = lines[i].split("-->");
        var ref = lines[i + 1].trim();
        var m = ref.match(/^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/);
        if (!m) return;
        cues.push({ start: parseTime(times[0]), end: parseTime(times[1].trim().split(/\s+/)[0]),
          src: new URL(m[1], new URL(url, location.href)).href, x: +m[2], y: +m[3], w: +m[4], h: +m[5] });
      });
      return cues;
    });
  }

  function setupScrub(root, media, info) {
    var range = root.querySelector("[data-scrub]");
    var preview = root.querySelector("[data-scrub-preview]");
    if (!range) return;
    var cues = [];
    var dragging = false;
    if (root.dataset.storyboard) {
      loadStoryboard(root.dataset.storyboard).then(function (c) { cues = c; info.storyboardCues = c.length; })
        .catch(function () { info.storyboardCues = 0; });
    }
    function show(t, clientX) {
      var cue = cues.find(function (c) { return t >= c.start && t < c.end; }) || cues[cues.length - 1];
      if (!cue || !preview) return;
      preview.style.width = cue.w + "px";
      preview.style.height = cue.h + "px";
      preview.style.backgroundImage = "url(" + JSON.stringify(cue.src) + ")";
      preview.style.backgroundPosition = -cue.x + "px " + -cue.y + "px";
      var rect = range.getBoundingClientRect();
      var x = clientX !== undefined ? clientX - rect.left : (t / (range.max || 1)) * rect.width;
      preview.style.left = Math.max(0, Math.min(rect.width - cue.w, x - cue.w / 2)) + "px";
      preview.classList.add("on");
    }
    function hide() { preview && preview.classList.remove("on"); }
    media.addEventListener("loadedmetadata", function () { if (isFinite(media.duration)) range.max = Math.floor(media.duration); });
    media.addEventListener("timeupdate", function () { if (!dragging) range.value = Math.floor(media.currentTime); });
    range.addEventListener("input", function () { dragging = true; show(+range.value); });
    range.addEventListener("change", function () { dragging = false; media.currentTime = +range.value; hide(); });
    range.addEventListener("pointermove", function (e) {
      var rect = range.getBoundingClientRect();
      show(((e.clientX - rect.left) / rect.width) * (range.max || 0), e.clientX);
    });
    range.addEventListener("pointerleave", hide);
    range.addEventListener("blur", hide);
  }

  function setup(root) {
    var media = root.querySelector("video, audio");
    var src = root.dataset.src;
    var status = root.querySelector("[data-player-status]");
    var info = { engine: null, manifestLevels: 0, levelsLoaded: [], fragsLoaded: 0, errors: [], storyboardCues: null };
    root.ehome = info;
    (window.__ehomePlayers = window.__ehomePlayers || []).push(info);
    if (!media || !src) return;

    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ capLevelToPlayerSize: true, maxBufferLength: 30 });
      info.engine = "hls.js";
      hls.on(window.Hls.Events.MANIFEST_PARSED, function (e, d) { info.manifestLevels = d.levels.length; });
      hls.on(window.Hls.Events.LEVEL_LOADED, function (e, d) { info.levelsLoaded.push(d.details.url); });
      hls.on(window.Hls.Events.FRAG_LOADED, function () { info.fragsLoaded++; });
      hls.on(window.Hls.Events.ERROR, function (e, d) {
        info.errors.push(d.details);
        if (!d.fatal) return;
        if (d.type === window.Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
        else if (d.type === window.Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      });
      hls.loadSource(src);
      hls.attachMedia(media);
      root.hls = hls;
    } else if (media.canPlayType("application/vnd.apple.mpegurl")) {
      info.engine = "native";
      media.src = src;
    } else if (status) {
      info.engine = "none";
      status.insertAdjacentHTML("afterbegin", "<span>" + (document.documentElement.lang.indexOf("zh") === 0
        ? "此浏览器无法播放 HLS 视频。" : "This browser cannot play HLS video.") + "</span> ");
    }

    setupScrub(root, media, info);

    var url = root.dataset.progressUrl;
    if (url && window.EhomeProgress) {
      var box = document.getElementById("lesson-progress");
      var reporter = new window.EhomeProgress.Reporter(url, {
        duration: parseFloat(root.dataset.duration) || 0,
        onState: window.EhomeProgress.renderState(box),
      });
      info.reporter = reporter;
      ["timeupdate", "playing"].forEach(function (ev) { media.addEventListener(ev, function () { reporter.observe(media); }); });
      media.addEventListener("seeking", function () { reporter.cut(); reporter.last = null; });
      ["pause", "ended"].forEach(function (ev) { media.addEventListener(ev, function () { reporter.observe(media); reporter.cut(); reporter.flush(); }); });
      document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") reporter.flush(true); });
      window.addEventListener("pagehide", function () { reporter.flush(true); });
    }
  }

  function init() { document.querySelectorAll("[data-player]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
