"""Orders: the state machine, timeline, fulfilments, payments and refunds."""
