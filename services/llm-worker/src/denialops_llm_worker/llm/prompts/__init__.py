"""llm-worker's versioned prompts: `<version>/<name>.md`, loaded with `denialops_shared.llm.prompts.load_prompt`."""
