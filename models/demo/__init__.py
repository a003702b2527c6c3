"""The demo district that ``birge demo`` loads, idempotently."""
