"""Dashboard reports: revenue, cost of goods and profit from the figures orders snapshotted."""
