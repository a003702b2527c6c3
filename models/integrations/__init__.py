"""Other systems that send reports to Birge (the 111 helpline, a police register): their tokens,
scopes and rate limits (:mod:`.tokens`), the memory of requests already answered
(:mod:`.idempotency`), and the events of their cases posted back to their webhooks
(:mod:`.webhooks`, to the URLs :mod:`.urls` allows). What an integration does is recorded under
its own name."""
