// Optional: saves what is being written to the server every few seconds, so a dropped
// connection loses nothing. Without JavaScript the "保存草稿" button does the same.
(function () {
  "use strict";
  document.querySelectorAll("form[data-draft-url]").forEach(function (form) {
    var status = form.querySelector("[data-draft-status]");
    var last = "";
    function snapshot() {
      var title = form.querySelector("[name=title]");
      return (title ? title.value : "") + "\u0000" + form.querySelector("[name=body]").value;
    }
    last = snapshot();
    window.setInterval(function () {
      var now = snapshot();
      if (now === last) { return; }
      var data = new FormData(form);
      fetch(form.dataset.draftUrl, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          if (response.ok) {
            last = now;
            if (status) { status.textContent = "草稿已自动保存 " + new Date().toLocaleTimeString("zh-CN"); }
          }
        })
        .catch(function () { /* offline: try again at the next tick */ });
    }, 8000);
  });
})();
