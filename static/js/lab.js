// The LLM lab's charts and live sliders. Every instrument works without this file: the
// server renders tables (the charts' text alternative) and forms that open the lab pages.
(() => {
  if (window.llmasosLab) return; // lessons may include this file once per embedded instrument
  window.llmasosLab = true;
  // Django's JavaScript catalogue (/jsi18n/, loaded before this file) translates the labels;
  // without it they stay in English.
  const gettext = (text) => (window.gettext ? window.gettext(text) : text);
  const pgettext = (context, text) => (window.pgettext ? window.pgettext(context, text) : text);
  const interpolate = (fmt, values) => fmt.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));

  const charts = new WeakMap();

  function chartFor(canvas, config) {
    if (!window.Chart || !canvas) return null;
    const old = charts.get(canvas);
    if (old) old.destroy();
    const chart = new window.Chart(canvas, config);
    charts.set(canvas, chart);
    return chart;
  }

  function dataOf(root) {
    const island = root.querySelector('script[type="application/json"]');
    return island ? JSON.parse(island.textContent) : null;
  }

  const show = (text) => JSON.stringify(text).slice(1, -1); // spaces and newlines visible

  // --- Next token: the distribution after temperature, top-k and top-p, from raw logits. ---
  function distribution(data, temperature, topK, topP) {
    const logits = data.candidates.map((c) => c.logit);
    const n = logits.length;
    if (temperature <= 0) {
      return logits.map((_, i) => (i === 0 ? 1 : 0)); // greedy: the top token only
    }
    // Every token outside the top 50 together, as one more logit (rest_logsumexp).
    const all = logits.concat(Number.isFinite(data.rest_logsumexp) ? [data.rest_logsumexp] : []);
    const scaled = all.map((l) => l / temperature);
    const max = Math.max(...scaled);
    const weights = scaled.map((s) => Math.exp(s - max));
    const total = weights.reduce((a, b) => a + b, 0);
    let probs = weights.slice(0, n).map((w) => w / total);
    const keep = probs.map((_, i) => i < topK);
    let cumulative = 0;
    probs.forEach((p, i) => {
      if (cumulative >= topP) keep[i] = false;
      cumulative += p;
    });
    probs = probs.map((p, i) => (keep[i] ? p : 0));
    const kept = probs.reduce((a, b) => a + b, 0) || 1;
    return probs.map((p) => p / kept);
  }

  function drawNextToken(root) {
    const data = dataOf(root);
    if (!data) return;
    const form = root.querySelector(".lab-sliders");
    const read = (name) => Number(form.elements[name].value);
    const top = data.candidates.slice(0, 15);
    const chart = chartFor(root.querySelector("canvas"), {
      type: "bar",
      data: {
        labels: top.map((c) => show(c.text)),
        datasets: [
          { label: gettext("Temperature 1"), data: top.map((c) => c.probability), backgroundColor: "#9ab" },
          { label: gettext("After the sliders"), data: top.map(() => 0), backgroundColor: "#d5401c" },
        ],
      },
      options: {
        indexAxis: "y",
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { min: 0, max: 1 } },
        onClick: (_, elements) => {
          if (!elements.length) return;
          const button = root.querySelectorAll(".token-choice")[elements[0].index];
          if (button) button.click();
        },
      },
    });
    const redraw = () => {
      const probs = distribution(data, read("temperature"), read("top_k"), read("top_p"));
      form.querySelectorAll("output").forEach((output) => {
        output.textContent = output.nextElementSibling.value;
      });
      root.querySelectorAll(".lab-candidates tbody tr").forEach((row, i) => {
        row.querySelector(".lab-kept").textContent = probs[i] ? probs[i].toFixed(4) : gettext("cut");
        row.classList.toggle("cut", !probs[i]);
      });
      const survivors = probs.filter((p) => p > 0).length;
      root.querySelector(".lab-survivors").textContent =
        interpolate(gettext("%(survivors)s of the top %(total)s tokens survive the cut."), {
          survivors,
          total: probs.length,
        });
      if (chart) {
        chart.data.datasets[1].data = probs.slice(0, top.length);
        chart.update();
      }
    };
    form.addEventListener("input", redraw);
    redraw();
  }

  function drawEmbeddings(root) {
    const data = dataOf(root);
    if (!data) return;
    const colours = { passage: "#9ab", word: "#1d6fb8", query: "#d5401c" };
    const kinds = ["passage", "word", "query"];
    chartFor(root.querySelector("canvas"), {
      type: "scatter",
      data: {
        datasets: kinds
          .map((kind) => ({
            label: { passage: gettext("passage"), word: gettext("word"), query: gettext("query") }[kind],
            data: data.points.filter((p) => p.kind === kind),
            backgroundColor: colours[kind],
            pointRadius: kind === "passage" ? 3 : 5,
          }))
          .filter((set) => set.data.length),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: { xAxisKey: "x", yAxisKey: "y" },
        plugins: { tooltip: { callbacks: { label: (item) => item.raw.label } } },
      },
    });
  }

  function drawSpeed(root) {
    const data = dataOf(root);
    if (!data) return;
    const canvases = root.querySelectorAll("canvas");
    chartFor(canvases[0], {
      type: "bar",
      data: {
        labels: [gettext("KV cache"), gettext("No KV cache"), gettext("Batch 1"), gettext("Batch 8")],
        datasets: [
          {
            label: gettext("Tokens per second"),
            data: [
              data.with_cache_tokens_per_second,
              data.without_cache_tokens_per_second,
              data.batch_1_tokens_per_second,
              data.batch_8_tokens_per_second,
            ],
            backgroundColor: "#1d6fb8",
          },
        ],
      },
      options: { animation: false, maintainAspectRatio: false },
    });
    chartFor(canvases[1], {
      type: "line",
      data: {
        labels: data.time_to_first_token.map((p) => p.prompt_tokens),
        datasets: [
          {
            label: gettext("Time to first token (ms)"),
            data: data.time_to_first_token.map((p) => p.seconds * 1000),
            borderColor: "#d5401c",
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: gettext("Prompt tokens") } } },
      },
    });
  }

  function focusAttention(root) {
    const focus = root.querySelector(".lab-attention-focus");
    root.querySelectorAll(".attention-map tbody tr").forEach((row) => {
      const describe = () => {
        const cells = [...row.querySelectorAll("td")];
        const best = cells
          .map((cell, j) => ({ j, w: Number(cell.textContent) }))
          .sort((a, b) => b.w - a.w)
          .slice(0, 3);
        const headers = root.querySelectorAll(".attention-map thead th.col-token");
        focus.textContent = interpolate(gettext("“%(token)s” looks most at %(others)s"), {
          token: row.querySelector("th").textContent,
          others: best
            .map((b) => `“${headers[b.j].textContent}” (${b.w.toFixed(2)})`)
            .join(pgettext("separator of a list of names", ", ")),
        });
      };
      row.addEventListener("mouseenter", describe);
      row.addEventListener("focus", describe);
    });
  }

  const drawers = {
    "next-token": drawNextToken,
    embeddings: drawEmbeddings,
    speed: drawSpeed,
    attention: focusAttention,
  };

  function enhance(scope) {
    scope.querySelectorAll("[data-lab]").forEach((root) => {
      if (root.dataset.drawn) return;
      root.dataset.drawn = "1";
      drawers[root.dataset.lab]?.(root);
    });
  }

  // A refused request (too long, rate, budget) is answered 400/429/503 with a fragment that
  // says why: show it in place like any result.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (target?.closest?.(".lab-instrument") && [400, 429, 503].includes(event.detail.xhr.status)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSettle", (event) => enhance(event.target));
  window.addEventListener("load", () => enhance(document));
})();
