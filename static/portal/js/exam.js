/* Exam paper: a countdown to the SERVER deadline (corrected for clock skew), autosave of
 * each changed answer (PATCH, debounced, retried), and submit with one idempotency key
 * so a retried submit returns the first result. Without JS the form still submits. */
(function () {
  "use strict";
  var form = document.getElementById("exam-form");
  var timer = document.getElementById("exam-timer");
  if (!form || !timer) return;
  var zh = document.documentElement.lang.indexOf("zh") === 0;
  var T = zh ? { saving: "正在保存…", saved: "已自动保存", retry: "保存失败，正在重试…", submitting: "正在交卷…", over: "时间到，正在交卷…" }
             : { saving: "Saving…", saved: "Saved", retry: "Save failed, retrying…", submitting: "Submitting…", over: "Time is up, submitting…" };
  var stateEl = timer.querySelector("[data-save-state]");
  var remainingEl = timer.querySelector("[data-remaining]");
  var deadline = Date.parse(timer.dataset.deadline);
  var skew = Date.parse(timer.dataset.serverNow) - Date.now(); // server minus client
  var key = form.querySelector('[name="idempotency_key"]').value;
  var dirty = {};
  var saveTimer = null, backoff = 0, submitting = false;

  function csrf() { return form.querySelector('[name="csrfmiddlewaretoken"]').value; }

  function valueOf(box) {
    var type = box.dataset.type, name = "q" + box.dataset.qid;
    if (type === "multiple") {
      return Array.prototype.map.call(box.querySelectorAll('input[name="' + name + '"]:checked'), function (i) { return i.value; });
    }
    if (type === "fill") { var t = box.querySelector('input[name="' + name + '"]'); return t.value === "" ? null : t.value; }
    var r = box.querySelector('input[name="' + name + '"]:checked');
    if (!r) return null;
    if (type === "true_false") return r.value === "true";
    return r.value;
  }

  function collect(all) {
    var out = {};
    form.querySelectorAll(".question[data-qid]").forEach(function (box) {
      if (all || dirty[box.dataset.qid]) out[box.dataset.qid] = valueOf(box);
    });
    return out;
  }

  function save() {
    saveTimer = null;
    var answers = collect(false);
    if (!Object.keys(answers).length || submitting) return;
    dirty = {};
    stateEl.textContent = T.saving;
    fetch(form.dataset.autosaveUrl, {
      method: "PATCH", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ answers: answers }),
    }).then(function (resp) {
      if (resp.ok) { backoff = 0; stateEl.textContent = T.saved; form.dataset.saved = String(Date.now()); return; }
      if (resp.status >= 500 || resp.status === 429) throw new Error("retry");
      return resp.json().then(function (d) { stateEl.textContent = (d.error && d.error.message) || String(resp.status); });
    }).catch(function () {
      Object.keys(answers).forEach(function (k) { dirty[k] = true; });
      stateEl.textContent = T.retry;
      backoff = Math.min(30000, backoff ? backoff * 2 : 1000);
      saveTimer = setTimeout(save, backoff);
    });
  }

  form.addEventListener("change", function (e) {
    var box = e.target.closest(".question[data-qid]");
    if (!box) return;
    dirty[box.dataset.qid] = true;
    if (!saveTimer) saveTimer = setTimeout(save, 800);
  });
  form.addEventListener("input", function (e) {
    if (e.target.type !== "text") return;
    var box = e.target.closest(".question[data-qid]");
    dirty[box.dataset.qid] = true;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 1500);
  });

  function submit(reason) {
    if (submitting) return;
    submitting = true;
    clearTimeout(saveTimer);
    form.querySelector("[data-submit]").disabled = true;
    stateEl.textContent = reason === "timeout" ? T.over : T.submitting;
    var answers = collect(true);
    Object.keys(answers).forEach(function (k) { if (answers[k] === null || (Array.isArray(answers[k]) && !answers[k].length)) delete answers[k]; });
    var attempt = function (n) {
      fetch(form.dataset.submitUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Idempotency-Key": key },
        body: JSON.stringify({ answers: answers }),
      }).then(function (resp) {
        if (resp.ok || resp.status === 409) { location.assign(form.dataset.resultUrl); return; }
        if (resp.status >= 500 || resp.status === 429) throw new Error("retry");
        return resp.json().then(function (d) {
          submitting = false;
          form.querySelector("[data-submit]").disabled = false;
          stateEl.textContent = (d.error && d.error.message) || String(resp.status);
        });
      }).catch(function () {
        if (n < 6) setTimeout(function () { attempt(n + 1); }, Math.min(16000, 1000 * Math.pow(2, n)));
        else form.submit(); // last resort: the plain form post (same idempotency key)
      });
    };
    attempt(0);
  }

  // Handing in asks first, saying how many questions are still unanswered.
  var confirmBox = document.getElementById("submit-confirm");
  function unanswered() {
    var answers = collect(true);
    return Object.keys(answers).filter(function (k) {
      var v = answers[k];
      return v === null || (Array.isArray(v) && !v.length);
    }).length;
  }
  if (confirmBox && typeof confirmBox.showModal === "function") {
    confirmBox.addEventListener("close", function () {
      if (confirmBox.returnValue === "confirm") submit("user");
    });
  } else {
    confirmBox = null;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!confirmBox) { submit("user"); return; }
    var n = unanswered();
    confirmBox.querySelector("[data-unanswered-count]").textContent = String(n);
    confirmBox.querySelector("[data-unanswered-note]").hidden = n === 0;
    confirmBox.querySelector("[data-all-answered-note]").hidden = n !== 0;
    confirmBox.returnValue = "";
    confirmBox.showModal();
  });

  function tick() {
    var left = Math.max(0, Math.floor((deadline - (Date.now() + skew)) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    remainingEl.textContent = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
    timer.dataset.left = String(left);
    if (left <= 0) {
      if (confirmBox && confirmBox.open) confirmBox.close("timeout");
      submit("timeout");
      return;
    }
    setTimeout(tick, 1000 - ((Date.now() + skew) % 1000));
  }
  tick();
})();
