"""denialops_shared."""
