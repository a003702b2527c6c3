"""Other systems that send reports to Birge (the 111 helpline, a police register): their tokens,
scopes and rate limits (:mod:`.tokens`), and the memory of requests already answered
(:mod:`.idempotency`). What an integration does is recorded under its own name."""
