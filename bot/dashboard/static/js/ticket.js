/* The ticket page's status form: only the ready-made reasons of the chosen status, and a reason required for
   rejecting or referring (the server checks it too). */
(function () {
  "use strict";
  var form = document.getElementById("status-form");
  if (!form) { return; }
  var status = document.getElementById("new-status");
  var reason = document.getElementById("status-reason");
  var note = document.getElementById("status-note");
  var needs = (form.dataset.needsReason || "").split(" ");
  function update() {
    var groups = reason.querySelectorAll("optgroup");
    for (var i = 0; i < groups.length; i++) {
      var mine = groups[i].dataset.status === status.value;
      groups[i].hidden = !mine;
      groups[i].disabled = !mine;
    }
    var chosen = reason.options[reason.selectedIndex];
    if (chosen && chosen.parentNode.tagName === "OPTGROUP" && chosen.parentNode.disabled) { reason.value = ""; }
    var required = needs.indexOf(status.value) >= 0;
    note.required = required && !reason.value;
    form.classList.toggle("needs-reason", required);
  }
  status.addEventListener("change", update);
  reason.addEventListener("change", update);
  update();
})();
