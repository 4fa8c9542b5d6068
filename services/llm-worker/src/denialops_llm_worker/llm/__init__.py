"""What llm-worker asks the model (the client, cache and metrics are `denialops_shared.llm`'s)."""
