// The playground page: runs the editor's program over /ws/playground/ (JSON frames, see the
// README's "Playground protocol"), streams its output, sends typed input, stops it, runs an
// assignment's visible tests and streams the tutor's help. Without JavaScript the Run form posts
// and the server runs the program once with the input field as stdin.
(function () {
  "use strict";
  // Django's JavaScript catalogue (/jsi18n/) defines these; without it the page stays in English.
  const gettext = window.gettext || ((text) => text);
  const ngettext = window.ngettext || ((one, many, n) => (n === 1 ? one : many));
  const interpolate = window.interpolate || ((fmt, obj) => fmt.replace(/%\((\w+)\)s/g, (_, k) => String(obj[k])));

  function start() {
    const root = document.getElementById("playground");
    if (!root || root.dataset.started) return;
    root.dataset.started = "1";
    const form = document.getElementById("run-form");
    const textarea = document.getElementById("id_code");
    const output = document.getElementById("output");
    const status = document.getElementById("run-status");
    const runButton = document.getElementById("run-button");
    const stopButton = document.getElementById("stop-button");
    const stdinForm = document.getElementById("stdin-form");
    const stdinLine = document.getElementById("stdin-line");
    const stdinSend = document.getElementById("stdin-send");
    const helpAnswer = document.getElementById("help-answer");
    const testsButton = document.getElementById("tests-button");
    const submitButton = document.getElementById("submit-button");
    const testResults = document.getElementById("test-results");
    const assignment = root.dataset.assignment || "";
    let lastErrors = "";
    let helpText = "";
    const helpQuotes = document.getElementById("help-quotes");

    // The course material's own sentences, highlighted in their passage, before the reply.
    // Built with text nodes only: material is shown, never interpreted as HTML.
    function showQuotes(quotes) {
      if (!helpQuotes) return;
      helpQuotes.replaceChildren();
      helpQuotes.hidden = quotes.length === 0;
      if (!quotes.length) return;
      const label = document.createElement("h3");
      label.className = "tutor-label";
      label.textContent = gettext("From the course material");
      helpQuotes.append(label);
      for (const quote of quotes) {
        const figure = document.createElement("figure");
        figure.className = "tutor-quote";
        const block = document.createElement("blockquote");
        const text = document.createElement("p");
        const mark = document.createElement("mark");
        mark.textContent = quote.text;
        text.append(quote.before, mark, quote.after);
        block.append(text);
        const caption = document.createElement("figcaption");
        const link = document.createElement("a");
        link.href = quote.url;
        link.textContent = quote.source;
        const where = document.createElement("small");
        where.textContent = ` — ${quote.location}`;
        caption.append(link, " ", where);
        figure.append(block, caption);
        helpQuotes.append(figure);
      }
      const own = document.createElement("h3");
      own.className = "tutor-label";
      own.textContent = gettext("The tutor's reply");
      helpQuotes.append(own);
    }
    let running = false;
    let socket = null;
    let queue = [];

    document.querySelectorAll(".no-js-only").forEach((el) => (el.hidden = true));
    document.querySelectorAll(".js-only").forEach((el) => (el.hidden = false));
    if (testsButton) testsButton.hidden = false;
    if (submitButton) submitButton.hidden = false;

    const editor = () => (window.llmasosEditors && window.llmasosEditors.get("id_code")) || null;
    const code = () => (editor() ? editor().getValue() : textarea.value);
    const selection = () => (editor() ? editor().getSelection() : "");

    function setRunning(value) {
      running = value;
      stopButton.disabled = !value;
      stdinLine.disabled = !value;
      stdinSend.disabled = !value;
      root.setAttribute("aria-busy", value ? "true" : "false");
      if (value) stdinLine.focus();
    }

    function append(text, stream) {
      const span = document.createElement("span");
      if (stream === "stderr") span.className = "stderr";
      else if (stream === "stdin") span.className = "stdin";
      span.textContent = text;
      output.appendChild(span);
      output.scrollTop = output.scrollHeight;
    }

    function send(frame) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
      else {
        queue.push(frame);
        connect();
      }
    }

    function connect() {
      if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${location.host}${root.dataset.socket}`);
      socket.addEventListener("open", () => {
        root.dataset.connected = "1";
        const pending = queue;
        queue = [];
        pending.forEach((frame) => socket.send(JSON.stringify(frame)));
      });
      socket.addEventListener("close", () => {
        delete root.dataset.connected;
        if (running) {
          setRunning(false);
          status.textContent = gettext("Connection lost: the program was stopped.");
        }
      });
      socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    }

    function handle(frame) {
      switch (frame.type) {
        case "started":
          output.textContent = "";
          lastErrors = "";
          status.textContent = gettext("Running…");
          setRunning(true);
          break;
        case "output":
          if (frame.stream === "stderr") lastErrors += frame.text;
          append(frame.text, frame.stream);
          break;
        case "exit": {
          setRunning(false);
          const verdict = {
            passed: gettext("Finished"),
            error: gettext("Error"),
            timeout: gettext("Time limit"),
            memory_limit: gettext("Memory limit"),
            output_limit: gettext("Output limit"),
          }[frame.verdict] || frame.verdict;
          const summary = interpolate(gettext("exit code %(code)s · %(ms)s ms"), { code: frame.exit_code ?? "–", ms: frame.time_ms }, true);
          status.textContent = `${frame.stopped ? gettext("Stopped") : verdict} · ${summary}${frame.problem ? " · " + frame.problem : ""}`;
          if (frame.problem && !frame.stopped) lastErrors += "\n" + frame.problem;
          break;
        }
        case "tests":
          showTests(frame);
          break;
        case "help.start":
          helpText = "";
          showQuotes(frame.quotes || []);
          helpAnswer.hidden = false;
          helpAnswer.setAttribute("aria-busy", "true");
          helpAnswer.textContent = "…";
          break;
        case "help.token":
          helpText += frame.text;
          helpAnswer.textContent = helpText;
          break;
        case "help.done":
          helpAnswer.setAttribute("aria-busy", "false");
          break;
        case "error":
          if (frame.code === "preempted") setRunning(false);
          status.textContent = frame.message;
          if (["model", "quota", "busy", "bad_help"].includes(frame.code)) {
            helpAnswer.hidden = false;
            helpAnswer.setAttribute("aria-busy", "false");
            helpAnswer.textContent = frame.message;
          }
          break;
      }
    }

    function showTests(frame) {
      testResults.textContent = "";
      const heading = document.createElement("p");
      const passed = frame.tests.filter((t) => t.outcome === "passed").length;
      heading.textContent = interpolate(gettext("Visible tests: %(passed)s of %(total)s passed"), { passed, total: frame.tests.length }, true) +
        (frame.hidden
          ? " " + interpolate(ngettext("(%(count)s hidden test runs only when you submit)", "(%(count)s hidden tests run only when you submit)", frame.hidden), { count: frame.hidden }, true)
          : "") +
        (frame.problem ? ` · ${frame.problem}` : "");
      testResults.appendChild(heading);
      const list = document.createElement("ul");
      frame.tests.forEach((t) => {
        const item = document.createElement("li");
        item.className = `outcome-${t.outcome}`;
        const mark = { passed: "✓", skipped: "–" }[t.outcome] || "✗";
        const outcome = { passed: gettext("passed"), failed: gettext("failed"), error: gettext("error"), skipped: gettext("skipped") }[t.outcome] || t.outcome;
        item.textContent = `${mark} ${t.name}: ${outcome}`;
        if (t.message) {
          const pre = document.createElement("pre");
          pre.className = "test-message";
          pre.textContent = t.message;
          item.appendChild(pre);
        }
        list.appendChild(item);
      });
      testResults.appendChild(list);
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      status.textContent = gettext("Starting…");
      send({ type: "run", code: code(), assignment });
    });
    stopButton.addEventListener("click", () => send({ type: "stop" }));
    stdinForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!running) return;
      append(stdinLine.value + "\n", "stdin");
      send({ type: "input", text: stdinLine.value });
      stdinLine.value = "";
    });
    document.querySelectorAll(".help-button").forEach((button) =>
      button.addEventListener("click", () =>
        send({ type: "help", kind: button.dataset.kind, code: code(), selection: selection(), output: lastErrors, assignment })
      )
    );
    if (testsButton) {
      testsButton.addEventListener("click", () => {
        testResults.textContent = gettext("Running the visible tests…");
        send({ type: "tests", code: code(), assignment });
      });
    }
    if (submitButton) {
      submitButton.addEventListener("click", () => {
        const submit = document.createElement("form");
        submit.method = "post";
        submit.action = root.dataset.submitUrl;
        const token = document.querySelector("#run-form [name=csrfmiddlewaretoken]").cloneNode();
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = "code";
        field.value = code();
        submit.append(token, field);
        document.body.appendChild(submit);
        submit.submit();
      });
    }
    const snippetForm = document.getElementById("snippet-form");
    if (snippetForm) {
      snippetForm.addEventListener("submit", () => {
        document.getElementById("snippet-code").value = code();
      });
    }
    // Code handed over from a lesson's "Open in the playground".
    const handed = new URLSearchParams(location.search).get("from") === "lesson" &&
      sessionStorage.getItem("llmasos-playground-code");
    if (handed) {
      sessionStorage.removeItem("llmasos-playground-code");
      textarea.value = handed;
      const put = () => (editor() ? editor().setValue(handed) : setTimeout(put, 50));
      put();
    }
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
