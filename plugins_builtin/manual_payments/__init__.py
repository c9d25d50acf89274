"""Manual payments: bank transfer and cash on delivery; staff mark the payment received."""
