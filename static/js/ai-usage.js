// The course's AI usage page: questions (bars) and tokens (line) per week. The numbers are in
// the page's table too; this only draws them. Data comes from json_script (no inline script).
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("ai-usage-chart");
  const source = document.getElementById("ai-usage-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: (data.series || {}).questions || "Questions", data: data.questions, yAxisID: "questions" },
        { type: "line", label: (data.series || {}).tokens || "Tokens", data: data.tokens, yAxisID: "tokens" },
      ],
    },
    options: {
      animation: false,
      scales: {
        questions: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
        tokens: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
      },
    },
  });
});
