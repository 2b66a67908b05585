// The publisher's poll answers: add and remove rows (2 to 20). Without
// this file the form shows four rows and leaves empty ones out.
(function () {
  "use strict";
  var box = document.querySelector(".publisher-poll .poll-answers");
  if (!box) {
    return;
  }
  var rows = function () { return box.querySelectorAll("input[name='poll_answers[]']"); };
  var add = document.createElement("button");
  add.type = "button";
  add.className = "small secondary";
  add.textContent = "Add an answer";
  add.addEventListener("click", function () {
    var all = rows();
    if (all.length >= 20) {
      return;
    }
    var row = all[all.length - 1].cloneNode(false);
    row.value = "";
    all[all.length - 1].after(row);
    row.focus();
  });
  var remove = document.createElement("button");
  remove.type = "button";
  remove.className = "small secondary";
  remove.textContent = "Remove the last answer";
  remove.addEventListener("click", function () {
    var all = rows();
    if (all.length > 2) {
      all[all.length - 1].remove();
    }
  });
  box.append(add, remove);
})();
