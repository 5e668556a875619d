"""What every package shares and that holds no models: request parsing and checks
(integers, text, sizes), htmx and API helpers. Imports nothing from `annotate` or `corpus`."""
