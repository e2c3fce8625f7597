// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:wsAfterMessage", () => {
  // Toasts pushed over the notification socket fade away after a while.
  document.querySelectorAll("#toasts article:not([data-timer])").forEach((toast) => {
    toast.dataset.timer = "1";
    setTimeout(() => toast.remove(), 10000);
  });
});

// Tutor: Enter sends the question (Shift+Enter adds a line); the box empties once it is sent.
document.addEventListener("keydown", (event) => {
  const box = event.target;
  if (box.id === "tutor-question" && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    box.form.requestSubmit();
  }
});
document.addEventListener("htmx:wsAfterSend", (event) => {
  const form = event.target.closest ? event.target.closest("#tutor-form") : null;
  if (form) form.question.value = "";
});

// Lessons: every Python code block gets "Open in the playground" (the code travels in
// sessionStorage, so nothing long goes into a URL).
document.addEventListener("DOMContentLoaded", () => {
  const playground = document.body.dataset.playgroundUrl;
  if (!playground) return;
  document.querySelectorAll(".lesson-body pre > code.language-python").forEach((block, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "outline secondary open-in-playground";
    // Translated when the page loads Django's JavaScript catalogue (/jsi18n/), else English.
    const gettext = window.gettext || ((text) => text);
    const interpolate = window.interpolate || ((fmt, values) => fmt.replace(/%\((\w+)\)s/g, (_, key) => String(values[key])));
    button.textContent = gettext("Open in the playground");
    button.setAttribute("aria-label", interpolate(gettext("Open code example %(number)s in the playground"), { number: index + 1 }, true));
    button.addEventListener("click", () => {
      sessionStorage.setItem("llmasos-playground-code", block.textContent);
      location.href = `${playground}?from=lesson`;
    });
    block.parentElement.after(button);
  });
});

// Fields marked data-select-on-focus (the API token) select their whole value when clicked, so
// it copies in one go. Here, not in an onclick attribute: the Content-Security-Policy allows no
// inline script.
document.addEventListener("click", (event) => {
  if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
});
