"""Regional tax: rates per country and region, tax-inclusive or -exclusive prices, per-line rounding."""
