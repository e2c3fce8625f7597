// Code editor: progressive enhancement of <textarea data-code-editor> with CodeMirror 5.
//
// Needs, loaded before this file: vendor/codemirror/codemirror.css, codemirror.js, python.js
// and matchbrackets.js (comment.js is optional: it adds Ctrl-/ / Cmd-/ to toggle comments).
// Without JavaScript, or if CodeMirror is missing, the plain textarea keeps working.
//
// The textarea stays the form field: the editor copies its text back on every change, so
// normal form posts and HTMX requests carry the code. Ctrl-Enter / Cmd-Enter submits the form.
// Tab inserts 4 spaces; to leave the editor with the keyboard, press Esc, then Tab (or Shift-Tab).
//
// window.llmasosEditors maps a textarea's id to its editor, e.g. for tests:
//   window.llmasosEditors.get("id_code").setValue("def f():\n    return 1\n");
(function () {
  "use strict";

  const editors = new Map();
  window.llmasosEditors = editors;
  const enhanced = new WeakSet();
  let counter = 0;

  // While active (after Esc), Tab and Shift-Tab are left to the browser and move the focus.
  const tabEscape = { Tab: false, "Shift-Tab": false };

  function labelFor(textarea) {
    const own = textarea.getAttribute("aria-label");
    if (own) return own.trim();
    const labelledBy = textarea.getAttribute("aria-labelledby");
    if (labelledBy) {
      const text = labelledBy.split(/\s+/)
        .map((id) => document.getElementById(id))
        .filter(Boolean)
        .map((el) => el.textContent.trim())
        .join(" ");
      if (text) return text;
    }
    const label = textarea.labels && textarea.labels[0];
    if (label) return label.textContent.replace(/\s+/g, " ").trim();
    return textarea.getAttribute("title") || "Code editor";
  }

  function submitForm(form) {
    if (!form) return;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  }

  function create(textarea) {
    if (!textarea.id) textarea.id = "code-editor-" + (++counter);
    // An editor wrapper already next to a textarea we have not enhanced is a dead copy, e.g.
    // from an htmx history snapshot: drop it so the new editor does not appear twice.
    const next = textarea.nextElementSibling;
    if (next && next.classList.contains("CodeMirror")) next.remove();

    const readOnly = textarea.readOnly;
    const editor = window.CodeMirror.fromTextArea(textarea, {
      mode: "python",
      lineNumbers: true,
      indentUnit: 4,
      tabSize: 4,
      indentWithTabs: false,
      smartIndent: true,
      matchBrackets: true,
      readOnly: readOnly,
      inputStyle: "contenteditable", // better for screen readers than the hidden-textarea model
      screenReaderLabel: labelFor(textarea),
      viewportMargin: Infinity, // the editor grows with its content; the page scrolls
      extraKeys: {
        Tab: (cm) => {
          if (cm.somethingSelected()) cm.execCommand("indentMore");
          else cm.execCommand("insertSoftTab");
        },
        "Shift-Tab": (cm) => cm.execCommand("indentLess"),
        Esc: (cm) => {
          cm.addKeyMap(tabEscape);
          return window.CodeMirror.Pass; // keep the default Esc behaviour too
        },
        "Ctrl-Enter": (cm) => { cm.save(); submitForm(textarea.form); },
        "Cmd-Enter": (cm) => { cm.save(); submitForm(textarea.form); },
        "Ctrl-/": "toggleComment", // needs comment.js; harmless without it
        "Cmd-/": "toggleComment",
      },
    });

    const input = editor.getInputField();
    input.setAttribute("aria-label", labelFor(textarea));
    if (input.isContentEditable || input.getAttribute("contenteditable") === "true") {
      input.setAttribute("role", "textbox");
      input.setAttribute("aria-multiline", "true");
    }
    if (readOnly) input.setAttribute("aria-readonly", "true");
    const describedBy = textarea.getAttribute("aria-describedby");
    if (describedBy) input.setAttribute("aria-describedby", describedBy);
    if (textarea.getAttribute("aria-invalid")) {
      input.setAttribute("aria-invalid", textarea.getAttribute("aria-invalid"));
    }
    editor.getWrapperElement().classList.add("code-editor");
    if (readOnly) editor.getWrapperElement().classList.add("code-editor-readonly");

    editor.on("change", (cm) => {
      cm.save();
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    });
    editor.on("keydown", (cm, event) => {
      if (!["Escape", "Tab", "Shift"].includes(event.key)) cm.removeKeyMap(tabEscape);
    });
    editor.on("blur", (cm) => cm.removeKeyMap(tabEscape));

    // The hidden textarea cannot take focus: send label clicks and validation to the editor.
    if (textarea.labels) {
      Array.from(textarea.labels).forEach((label) => {
        label.addEventListener("click", (event) => {
          if (editor.getWrapperElement().contains(event.target)) return; // label wraps the editor
          event.preventDefault();
          editor.focus();
        });
      });
    }
    textarea.addEventListener("invalid", () => editor.focus());

    editors.set(textarea.id, editor);
    return editor;
  }

  function enhance(root) {
    if (!window.CodeMirror || !root) return;
    // Forget editors whose textarea an htmx swap has removed.
    editors.forEach((editor, id) => {
      if (!editor.getTextArea().isConnected) editors.delete(id);
    });
    const textareas = [];
    if (root.matches && root.matches("textarea[data-code-editor]")) textareas.push(root);
    if (root.querySelectorAll) textareas.push(...root.querySelectorAll("textarea[data-code-editor]"));
    textareas.forEach((textarea) => {
      if (enhanced.has(textarea)) return; // never twice
      enhanced.add(textarea);
      create(textarea);
    });
  }

  window.llmasosEnhanceCodeEditors = enhance;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => enhance(document));
  } else {
    enhance(document);
  }
  document.addEventListener("htmx:load", (event) => enhance(event.detail.elt));
  document.addEventListener("htmx:historyRestore", () => enhance(document));
})();
