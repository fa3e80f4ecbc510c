// "Add page" in the admin: the slug follows the title as pinyin, asked from the server
// (cms.slugs via /admin/cms/slug/), while the editor has not typed a slug of their own.
// Wagtail's own title → slug sync is held back meanwhile: with WAGTAIL_ALLOW_UNICODE_SLUGS
// off it would blank the slug of a Chinese title. The server makes the same slug at save
// when the slug is left empty, so this is a preview the editor can still change.
(function () {
  'use strict';
  var script = document.currentScript;
  var match = window.location.pathname.match(/\/pages\/add\/[^/]+\/[^/]+\/(\d+)\/?$/);
  if (!script || !match) return;
  var parentId = match[1];

  function start() {
    var title = document.getElementById('id_title');
    var slug = document.getElementById('id_slug');
    if (!title || !slug) return;
    var auto = !slug.value;
    var timer = null;
    var asked = 0;

    document.addEventListener(
      'w-sync:apply',
      function (event) {
        if (auto && event.target === slug) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      },
      true
    );
    slug.addEventListener('input', function (event) {
      if (event.isTrusted) auto = slug.value === '';
    });

    function prefill() {
      if (!auto) return;
      var mine = ++asked;
      var query = new URLSearchParams({ title: title.value, parent: parentId });
      fetch(script.dataset.url + '?' + query.toString(), {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      })
        .then(function (resp) { return resp.ok ? resp.json() : null; })
        .then(function (data) {
          if (data && auto && mine === asked) slug.value = data.slug;
        })
        .catch(function () {});
    }
    function later() {
      clearTimeout(timer);
      timer = setTimeout(prefill, 250);
    }
    title.addEventListener('input', later);
    title.addEventListener('change', later);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
