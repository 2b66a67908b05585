// The publisher's helpers: @mention completion (publisher and comments),
// a live markdown preview and the characters left. Without this file
// everything still works: mentions are typed as @{Name; user@pod} and the
// Preview button renders the preview on the server.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function debounce(fn, ms) {
    var timer;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // Mention completion: typing "@al" lists the people the textarea's
  // data-mentions URL offers; picking one writes "@{Name; handle} ".
  function mentions(area) {
    var list = document.createElement("ul");
    list.className = "mention-list";
    list.id = area.id + "_mentions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    area.insertAdjacentElement("afterend", list);
    area.setAttribute("aria-autocomplete", "list");
    area.setAttribute("aria-controls", list.id);
    var people = [], active = -1, start = -1, seq = 0;

    function typed() {
      var before = area.value.slice(0, area.selectionStart);
      var m = /(^|\s)@([^\s@{};]{1,40})$/.exec(before);
      return m ? { q: m[2], at: before.length - m[2].length - 1 } : null;
    }
    function url(q) {
      var u = area.getAttribute("data-mentions") + "?q=" + encodeURIComponent(q);
      if (area.form) {
        area.form.querySelectorAll('input[name="aspect_ids[]"]:checked').forEach(function (box) {
          u += "&aspect_ids[]=" + encodeURIComponent(box.value);
        });
      }
      return u;
    }
    function mark() {
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      if (active >= 0) {
        area.setAttribute("aria-activedescendant", list.id + "_" + active);
      } else {
        area.removeAttribute("aria-activedescendant");
      }
    }
    function close() {
      seq++;
      people = [];
      active = -1;
      list.hidden = true;
      list.textContent = "";
      mark();
    }
    function pick(i) {
      var p = people[i];
      if (!p) return;
      var mention = "@{" + p.name.replace(/[{};]/g, "") + "; " + p.handle + "} ";
      var caret = start + mention.length;
      area.value = area.value.slice(0, start) + mention + area.value.slice(area.selectionStart);
      area.setSelectionRange(caret, caret);
      close();
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function show(found) {
      people = found;
      active = people.length ? 0 : -1;
      list.textContent = "";
      people.forEach(function (p, i) {
        var li = document.createElement("li");
        li.id = list.id + "_" + i;
        li.setAttribute("role", "option");
        var name = document.createElement("strong");
        name.textContent = p.name;
        var handle = document.createElement("span");
        handle.className = "muted";
        handle.textContent = " " + p.handle;
        li.append(name, handle);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { pick(i); });
        list.appendChild(li);
      });
      list.hidden = !people.length;
      mark();
    }
    var lookup = debounce(function () {
      var t = typed();
      if (!t) {
        close();
        return;
      }
      var mine = ++seq;
      fetch(url(t.q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) {
          if (mine === seq) {
            start = t.at;
            show(Array.isArray(found) ? found : []);
          }
        })
        .catch(close);
    }, 150);
    area.addEventListener("input", lookup);
    area.addEventListener("blur", close);
    area.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        active = (active + (e.key === "ArrowDown" ? 1 : people.length - 1)) % people.length;
        mark();
      } else if ((e.key === "Enter" || e.key === "Tab") && active >= 0) {
        pick(active);
      } else if (e.key === "Escape") {
        close();
      } else {
        return;
      }
      e.preventDefault();
    });
  }
  document.querySelectorAll("textarea[data-mentions]").forEach(mentions);

  // The publisher: characters left, and the preview rendered by the server
  // (POST /posts/preview) as the post page will show it.
  var area = document.querySelector("textarea[data-text-preview]");
  if (!area || !area.form) return;
  var box = document.getElementById(area.getAttribute("data-text-preview"));
  var max = parseInt(area.getAttribute("maxlength"), 10) || 65535;
  var count = document.createElement("p");
  count.className = "hint char-count";
  count.setAttribute("aria-live", "polite");
  var list = area.nextElementSibling;
  (list && list.classList.contains("mention-list") ? list : area).insertAdjacentElement("afterend", count);
  function left() {
    // The server counts characters (code points) of the trimmed text.
    var n = max - Array.from(area.value.trim()).length;
    count.textContent = n + (n === 1 || n === -1 ? " character" : " characters") + " left";
    count.classList.toggle("over", n < 0);
  }
  var render = debounce(function () {
    if (!box) return;
    var out = box.querySelector(".text");
    if (!area.value.trim()) {
      box.hidden = true;
      return;
    }
    fetch("/posts/preview", {
      method: "POST", credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrf },
      body: new URLSearchParams(new FormData(area.form))
    }).then(function (r) {
      return r.json().then(function (j) {
        if (r.ok) {
          out.innerHTML = j.html; // sanitised by the server, as on the post page
        } else {
          out.textContent = j.error || "The preview failed.";
        }
        box.hidden = false;
      });
    }).catch(function () {});
  }, 400);
  area.addEventListener("input", function () {
    left();
    render();
  });
  left();
})();
