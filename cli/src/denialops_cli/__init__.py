"""The `denialops` command line."""
