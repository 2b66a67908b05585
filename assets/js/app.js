// Small progressive enhancements; every flow works without this file.
(function () {
  "use strict";
  // Preview a chosen avatar before upload.
  var input = document.querySelector("input[type=file][data-preview]");
  if (input) {
    input.addEventListener("change", function () {
      var img = document.getElementById(input.getAttribute("data-preview"));
      if (img && input.files && input.files[0]) {
        img.src = URL.createObjectURL(input.files[0]);
      }
    });
  }
})();
