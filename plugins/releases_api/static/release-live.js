// The release page: live updates while the release runs (polling its small progress JSON, no
// reload), and the Abort and Delete dialogs (keyboard: Tab stays inside, Escape cancels, focus
// returns to the button that opened them).
"use strict";

(() => {
  const { api, formatInstant } = window.releaseHost;
  const root = document.getElementById("release");
  const POLL_MS = 1500;

  function setInstant(container, iso) {
    if (!container) return;
    if (!iso) {
      const none = document.createElement("span");
      none.className = "muted";
      none.textContent = "—";
      container.replaceChildren(none);
      return;
    }
    const time = document.createElement("time");
    time.dateTime = iso;
    time.title = iso;
    time.textContent = formatInstant(iso);
    container.replaceChildren(time);
  }

  function setBadge(badge, status, label) {
    if (!badge) return;
    badge.className = `badge status-badge status-${status.toLowerCase()}`;
    badge.textContent = label;
  }

  function field(scope, name) {
    return scope.querySelector(`[data-field="${name}"]`);
  }

  function updateTask(task) {
    const item = root.querySelector(`[data-task-id="${CSS.escape(task.id)}"]`);
    if (!item) return;
    setBadge(field(item, "status"), task.status, task.statusLabel);
    setInstant(field(item, "startDate"), task.startDate);
    setInstant(field(item, "endDate"), task.endDate);
    field(item, "attempts").textContent = String(task.attempts);
    const created = field(item, "created");
    if (created && task.createdReleaseId) {
      const link = document.createElement("a");
      link.href = `/releases/${task.createdReleaseId}`;
      link.textContent = "the release it made";
      created.querySelector("dd").replaceChildren(link);
      created.hidden = false;
    }
    field(item, "failure").hidden = !task.failureReason;
    field(item, "failureReason").textContent = task.failureReason || "";
    const problem = task.tokenProblem;
    field(item, "tokenProblem").hidden = !problem;
    field(item, "tokenState").textContent = problem ? problem.state : "";
    field(item, "tokenMessage").textContent = problem ? problem.message : "";
  }

  function update(progress) {
    setBadge(field(root, "releaseStatus"), progress.status, progress.statusLabel);
    setInstant(field(root, "releaseStart"), progress.startDate);
    setInstant(field(root, "releaseEnd"), progress.endDate);
    const comment = field(root, "abortComment");
    if (comment) {
      comment.hidden = progress.status !== "ABORTED";
      comment.querySelector("dd").textContent = progress.abortComment || "";
    }
    for (const phase of progress.phases) {
      const section = root.querySelector(`[data-phase-id="${CSS.escape(phase.id)}"]`);
      if (section) setBadge(field(section, "status"), phase.status, phase.statusLabel);
    }
    progress.tasks.forEach(updateTask);
    for (const [action, shown] of Object.entries(progress.actions)) {
      const control = root.querySelector(`[data-action="${action}"]`);
      if (control) control.hidden = !shown;
    }
  }

  async function poll() {
    if (document.hidden) {
      window.setTimeout(poll, POLL_MS);
      return;
    }
    let moving = true;
    try {
      const result = await api("GET", root.dataset.progress);
      if (result.ok && result.data) {
        update(result.data);
        moving = result.data.moving;
      } else if (result.status === 403 || result.status === 404) {
        moving = false;
      }
    } catch {
      // A network hiccup: try again at the next tick.
    }
    if (moving) window.setTimeout(poll, POLL_MS);
  }

  // A modal dialog makes the page inert, but Tab would still leave it for the browser's own
  // controls: wrap from the last control to the first and back.
  function trapTab(dialog, event) {
    if (event.key !== "Tab") return;
    const controls = [...dialog.querySelectorAll("button, textarea, input:not([type=hidden]), a[href]")].filter(
      (el) => !el.disabled && !el.hidden,
    );
    if (!controls.length) return;
    const first = controls[0];
    const last = controls[controls.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function setUpDialogs() {
    for (const opener of document.querySelectorAll("[data-opens]")) {
      const dialog = document.getElementById(opener.dataset.opens);
      if (!dialog) continue;
      opener.addEventListener("click", () => {
        dialog.showModal();
        const first = dialog.querySelector("textarea, input:not([type=hidden]), [data-closes]");
        if (first) first.focus();
      });
      dialog.addEventListener("close", () => opener.focus());
      dialog.addEventListener("keydown", (event) => trapTab(dialog, event));
      for (const cancel of dialog.querySelectorAll("[data-closes]")) {
        cancel.addEventListener("click", () => dialog.close());
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpDialogs();
    if (root && root.dataset.moving === "true") window.setTimeout(poll, POLL_MS);
  });
})();
