"""``make trace ORDER=<id>``: an order's trace from Jaeger's HTTP API, printed as a waterfall."""
