/* Reports study progress to /api/v1/lessons/<id>/progress/ (the elearning service decides
 * what counts). Watched intervals are batched; each batch carries an Idempotency-Key that
 * is reused on every retry, so a retried batch is never counted twice. Pending batches
 * survive a reload (localStorage) and are retried with exponential backoff. */
(function () {
  "use strict";

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function postJSON(url, body, key, keepalive) {
    var headers = { "Content-Type": "application/json", "X-CSRFToken": csrfToken() };
    if (key) headers["Idempotency-Key"] = key;
    return fetch(url, {
      method: "POST", headers: headers, body: JSON.stringify(body),
      credentials: "same-origin", keepalive: !!keepalive,
    });
  }

  /* Union of [from, to] pairs: a batch must not overlap itself. */
  function mergeIntervals(list) {
    var sorted = list.slice().sort(function (a, b) { return a[0] - b[0]; });
    var out = [];
    sorted.forEach(function (iv) {
      var last = out[out.length - 1];
      if (last && iv[0] <= last[1]) { last[1] = Math.max(last[1], iv[1]); last[2] = Math.max(last[2], iv[2]); }
      else out.push(iv.slice());
    });
    return out;
  }

  function Reporter(url, opts) {
    opts = opts || {};
    this.url = url;
    this.duration = opts.duration || 0;
    this.onState = opts.onState || function () {};
    this.storeKey = "ehome-progress:" + url;
    this.open = [];          // closed intervals not yet batched: [from, to, rate]
    this.current = null;     // the interval being watched
    this.last = null;        // last observed playback position
    this.queue = this.load();
    this.sending = false;
    this.backoff = 0;
    this.timer = null;
    this.stats = { sent: 0, accepted: 0, duplicates: 0, rejected: 0, retries: 0 };
    var self = this;
    this.interval = setInterval(function () { self.flush(); }, opts.flushMs || 10000);
    if (this.queue.length) this.send();
  }

  Reporter.prototype.load = function () {
    try { return JSON.parse(localStorage.getItem(this.storeKey) || "[]"); } catch (e) { return []; }
  };
  Reporter.prototype.save = function () {
    try { localStorage.setItem(this.storeKey, JSON.stringify(this.queue)); } catch (e) { /* private mode */ }
  };

  /* Called on every timeupdate: extend the current interval while playback is continuous. */
  Reporter.prototype.observe = function (media) {
    var t = media.currentTime, rate = media.playbackRate || 1;
    if (this.duration) t = Math.min(t, this.duration);
    if (media.paused || media.seeking) { this.cut(); this.last = t; return; }
    if (this.current && this.last !== null && t >= this.last && t - this.last <= 2.5 * rate) {
      this.current[1] = t;
      this.current[2] = Math.max(this.current[2], rate);
    } else {
      this.cut();
      this.current = [t, t, rate];
    }
    this.last = t;
  };

  Reporter.prototype.cut = function () {
    if (this.current && this.current[1] - this.current[0] >= 0.5) this.open.push(this.current);
    this.current = null;
  };

  /* Move what was watched into a keyed batch and send the queue. */
  Reporter.prototype.flush = function (keepalive) {
    var pending = this.open.slice();
    if (this.current && this.current[1] - this.current[0] >= 0.5) {
      pending.push(this.current.slice());
      this.current = [this.current[1], this.current[1], this.current[2]];
    }
    this.open = [];
    if (pending.length) {
      var intervals = mergeIntervals(pending).map(function (iv) {
        return { from_s: Math.round(iv[0] * 100) / 100, to_s: Math.round(iv[1] * 100) / 100, rate: iv[2] };
      });
      this.queue.push({ key: newKey(), intervals: intervals });
      this.save();
    }
    this.send(keepalive);
  };

  Reporter.prototype.send = function (keepalive) {
    var self = this;
    if (this.sending || !this.queue.length || this.timer) return;
    var batch = this.queue[0];
    this.sending = true;
    this.stats.sent++;
    postJSON(this.url, { event: "intervals", intervals: batch.intervals }, batch.key, keepalive)
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          return { status: resp.status, data: data };
        });
      })
      .then(function (r) {
        self.sending = false;
        if (r.status >= 200 && r.status < 300) {
          self.stats[r.data.duplicate ? "duplicates" : "accepted"]++;
          self.done(r.data);
        } else if (r.status === 429 || r.status >= 500) {
          self.retry();
        } else {
          // The server refused this batch for good (e.g. implausible): drop it.
          self.stats.rejected++;
          self.done(null, r.data);
        }
      })
      .catch(function () { self.sending = false; self.retry(); });
  };

  Reporter.prototype.done = function (state, error) {
    this.queue.shift();
    this.save();
    this.backoff = 0;
    if (state) this.onState(state);
    if (error) this.onState(null, error);
    this.send();
  };

  Reporter.prototype.retry = function () {
    var self = this;
    this.stats.retries++;
    this.backoff = Math.min(60000, this.backoff ? this.backoff * 2 : 1000);
    var wait = this.backoff / 2 + Math.random() * this.backoff / 2;
    this.timer = setTimeout(function () { self.timer = null; self.send(); }, wait);
  };

  /* Article/reading lessons: the server measures the time between the events it gets.
   * A heartbeat goes every `seconds`, and one more exactly when the required time falls
   * due (the server's clock started when it rendered the page, before this timer), so a
   * 60 s lesson completes at 60 s, not at the next regular beat. None after completion. */
  function startReading(url, onState, seconds, opts) {
    opts = opts || {};
    var every = (seconds || 20) * 1000;
    var required = opts.required || 0, spent = opts.spent || 0, done = !!opts.completed;
    var timer = null;
    function schedule() {
      if (done) { timer = null; return; }
      var wait = every;
      if (required > spent) wait = Math.min(every, (required - spent) * 1000 + 250);
      timer = setTimeout(beat, wait);
    }
    function whenVisible() {
      if (document.visibilityState === "visible") beat();
      else document.addEventListener("visibilitychange", whenVisible, { once: true });
    }
    function beat() {
      if (document.visibilityState !== "visible") { timer = null; whenVisible(); return; }
      postJSON(url, { event: "heartbeat" }).then(function (resp) {
        return resp.ok ? resp.json() : null;
      }).then(function (state) {
        if (state) {
          spent = state.seconds_spent || 0;
          required = state.required_seconds || required;
          done = !!state.completed;
          onState(state);
        }
        schedule();
      }).catch(function () { schedule(); /* next beat */ });
    }
    schedule();
    return { stop: function () { clearTimeout(timer); done = true; } };
  }

  /* The lesson list beside the lesson (and on the course page): the reported lesson's
   * row shows its new percentage, or the "done" badge, without a reload. */
  function renderLessonRow(state) {
    document.querySelectorAll('[data-lesson-row="' + state.lesson + '"]').forEach(function (row) {
      var bar = row.querySelector("[data-lesson-bar]");
      var pct = row.querySelector("[data-lesson-percent]");
      if (state.completed) {
        if (row.querySelector(".badge-done")) return;
        var list = row.closest("[data-done-text]");
        var badge = document.createElement("span");
        badge.className = "badge badge-done";
        badge.setAttribute("data-testid", "lesson-done-" + state.lesson);
        badge.textContent = (list && list.getAttribute("data-done-text")) || "✓";
        if (bar) bar.remove();
        if (pct) pct.remove();
        row.appendChild(badge);
        return;
      }
      var percent = Math.round((state.coverage || 0) * 100);
      if (bar) {
        bar.setAttribute("aria-valuenow", percent);
        if (bar.firstElementChild) bar.firstElementChild.style.width = percent + "%";
      }
      if (pct) pct.textContent = percent + "%";
    });
  }

  function renderState(box) {
    return function (state, error) {
      if (!box) return;
      if (error) { box.setAttribute("data-last-error", (error.error && error.error.code) || "error"); return; }
      ["unique_seconds", "seconds_spent"].forEach(function (f) {
        var el = box.querySelector('[data-field="' + f + '"]');
        var value = state[f];
        // never "79 / 60": reading time is shown against the requirement
        if (f === "seconds_spent" && state.required_seconds && value > state.required_seconds) value = state.required_seconds;
        if (el && value !== undefined) el.textContent = value;
      });
      var status = box.querySelector('[data-field="status"]');
      if (status && state.completed) status.textContent = box.getAttribute("data-done-text") || "✓";
      box.setAttribute("data-completed", state.completed ? "1" : "0");
      if (state.lesson !== undefined) renderLessonRow(state);
    };
  }

  window.EhomeProgress = { Reporter: Reporter, startReading: startReading, renderState: renderState, renderLessonRow: renderLessonRow, mergeIntervals: mergeIntervals };

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("lesson-progress");
    if (box && box.getAttribute("data-reading")) {
      startReading(box.getAttribute("data-progress-url"), renderState(box), parseFloat(box.getAttribute("data-heartbeat-seconds")), {
        required: parseFloat(box.getAttribute("data-required-seconds")) || 0,
        spent: parseFloat(box.getAttribute("data-seconds-spent")) || 0,
        completed: box.getAttribute("data-completed") === "1",
      });
    }
  });
  /* Back to a page with a lesson list restored from the back/forward cache: it shows the
   * progress of when it was left; load it again (the views also send no-store). */
  window.addEventListener("pageshow", function (e) {
    if (e.persisted && document.querySelector("[data-lesson-row]")) location.reload();
  });
})();
