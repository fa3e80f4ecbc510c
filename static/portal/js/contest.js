/* Contest question countdown (display only: the server measures the time taken). */
(function () {
  "use strict";
  var timer = document.getElementById("contest-timer");
  if (!timer) return;
  var el = timer.querySelector("[data-remaining]");
  var end = Date.now() + parseInt(timer.dataset.seconds, 10) * 1000;
  var id = setInterval(function () {
    var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    el.textContent = left;
    if (left === 0) clearInterval(id);
  }, 250);
})();
