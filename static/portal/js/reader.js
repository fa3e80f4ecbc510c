/* EPUB reader (epub.js): paginated, keyboard (←/→) and buttons; remembers the position. */
(function () {
  "use strict";
  var area = document.getElementById("epub-area");
  if (!area || !window.ePub) return;
  var key = "ehome-epub:" + area.dataset.src;
  var book = window.ePub(area.dataset.src, { openAs: "epub" });
  var rendition = book.renderTo(area, { width: "100%", height: "100%", spread: "none" });
  var where = document.querySelector("[data-epub-location]");
  rendition.display(localStorage.getItem(key) || undefined);
  rendition.on("relocated", function (loc) {
    try { localStorage.setItem(key, loc.start.cfi); } catch (e) { /* private mode */ }
    if (where && loc.start.displayed) where.textContent = loc.start.displayed.page + " / " + loc.start.displayed.total;
    area.dataset.rendered = "1";
  });
  document.querySelector("[data-epub-prev]").addEventListener("click", function () { rendition.prev(); });
  document.querySelector("[data-epub-next]").addEventListener("click", function () { rendition.next(); });
  function onKey(e) { if (e.key === "ArrowLeft") rendition.prev(); if (e.key === "ArrowRight") rendition.next(); }
  area.addEventListener("keydown", onKey);
  rendition.on("keydown", onKey);
})();
