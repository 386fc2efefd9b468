// All tokens: the Revoke buttons fill and open one confirmation dialog, whose form posts the revocation.
"use strict";

(() => {
  const dialog = document.getElementById("revoke-dialog");
  const form = document.getElementById("revoke-form");
  const text = document.getElementById("revoke-text");
  const title = document.getElementById("revoke-title");
  const confirm = document.getElementById("revoke-confirm");
  const base = form.getAttribute("action");

  function ask(opener, { action, heading, message, button, username }) {
    form.action = action;
    title.textContent = heading;
    text.textContent = message;
    confirm.textContent = button;
    document.getElementById("revoke-username").value = username || "";
    window.releaseHost.openDialog(dialog, opener);
    dialog.querySelector("[data-close-dialog]").focus();
  }

  for (const button of document.querySelectorAll("button.revoke")) {
    button.addEventListener("click", () =>
      ask(button, {
        action: `${base}/${encodeURIComponent(button.dataset.id)}/revoke`,
        heading: "Revoke token?",
        message: `Scripts using "${button.dataset.name}" of ${button.dataset.username} will be refused from now on. This cannot be undone.`,
        button: "Revoke token",
      }),
    );
  }
  const all = document.getElementById("revoke-all-open");
  if (all) {
    all.addEventListener("click", () =>
      ask(all, {
        action: `${base}/revoke-all`,
        heading: "Revoke all tokens?",
        message: `Every personal access token of ${all.dataset.username} will be refused from now on. This cannot be undone.`,
        button: "Revoke all tokens",
        username: all.dataset.username,
      }),
    );
  }
})();
