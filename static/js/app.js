// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:wsAfterMessage", () => {
  // Toasts pushed over the notification socket fade away after a while.
  document.querySelectorAll("#toasts article:not([data-timer])").forEach((toast) => {
    toast.dataset.timer = "1";
    setTimeout(() => toast.remove(), 10000);
  });
});
