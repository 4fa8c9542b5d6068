"""The LLM adapter: a bounded, retrying, circuit-broken client, its cache, prompts and the uses made of it."""
