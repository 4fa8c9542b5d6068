"""The one LLM path of every service: settings, a bounded, retrying, circuit-broken client, its cache,
versioned prompts and their case data, and the metrics of all of it. No service's domain here: each
service owns what it asks (its prompts and answer shapes)."""
