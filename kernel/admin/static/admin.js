// Small helpers for the dashboard: the home chart, and "are you sure?" on destructive buttons.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  const canvas = document.getElementById("sales-chart");
  const data = document.getElementById("sales-chart-data");
  if (canvas && data && window.Chart) {
    const series = JSON.parse(data.textContent);
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: series.labels,
        datasets: [
          { label: "Revenue", data: series.revenue, borderColor: "#0d6efd", backgroundColor: "#0d6efd", tension: 0.25 },
          { label: "Gross profit", data: series.profit, borderColor: "#198754", backgroundColor: "#198754", tension: 0.25 },
        ],
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { y: { beginAtZero: true, ticks: { callback: (v) => series.prefix + v } } } },
    });
  }
});
