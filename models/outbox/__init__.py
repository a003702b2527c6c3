"""The notifications outbox: every email is a row first, claimed and sent by a worker later."""
