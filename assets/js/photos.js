// The publisher's photos with JavaScript: chosen files go to POST /photos
// at once (the same upload diaspora*'s clients use) and show up as pending
// photos with a local preview; Remove deletes one without reloading. The
// form posts the checked photos[] as it does without JavaScript.
(function () {
  "use strict";
  var input = document.getElementById("publisher_file");
  var list = document.getElementById("pending-photos");
  if (!input || !list || !window.fetch || !window.FormData) {
    return;
  }
  var meta = document.querySelector("meta[name=csrf-token]");
  var token = meta ? meta.getAttribute("content") : "";
  var status = document.createElement("p");
  status.className = "field-error";
  status.setAttribute("role", "status");
  input.parentNode.insertBefore(status, input.nextSibling);

  function remove(id, li) {
    fetch("/photos/" + id, {method: "DELETE", headers: {"X-CSRF-Token": token, "Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (r.ok || r.status === 404) { li.remove(); } });
  }

  list.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[name=remove_photo]");
    if (!b) { return; }
    ev.preventDefault();
    remove(b.value, b.closest("li"));
  });

  function add(photo, file) {
    var li = document.createElement("li");
    var label = document.createElement("label");
    label.className = "check";
    var box = document.createElement("input");
    box.type = "checkbox"; box.name = "photos[]"; box.value = photo.id; box.checked = true;
    var img = document.createElement("img");
    img.width = 50; img.height = 50; img.alt = "";
    img.src = URL.createObjectURL(file);
    label.appendChild(box); label.appendChild(img);
    label.appendChild(document.createTextNode(" " + photo.dimensions.width + "×" + photo.dimensions.height));
    var btn = document.createElement("button");
    btn.type = "submit"; btn.name = "remove_photo"; btn.value = photo.id;
    btn.className = "small secondary"; btn.textContent = "Remove";
    li.appendChild(label); li.appendChild(btn);
    list.appendChild(li);
  }

  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files || []);
    input.value = "";
    status.textContent = "";
    files.forEach(function (file) {
      var fd = new FormData();
      fd.append("file", file);
      fetch("/photos", {method: "POST", body: fd, credentials: "same-origin",
        headers: {"X-CSRF-Token": token, "Accept": "application/json"}})
        .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, body: j}; }); })
        .then(function (res) {
          if (res.ok && res.body.data) {
            add(res.body.data.photo, file);
          } else {
            status.textContent = file.name + ": " + ((res.body.errors && res.body.errors.file) || res.body.error || "could not be uploaded");
          }
        })
        .catch(function () { status.textContent = file.name + ": could not be uploaded"; });
    });
  });
})();
