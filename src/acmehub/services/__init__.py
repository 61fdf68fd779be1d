"""The registration authority: use cases, transactions, the only writer of state."""
