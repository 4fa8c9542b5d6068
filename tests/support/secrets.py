"""Test helpers for secrets (API keys, CSRF tokens)."""


def tampered(secret: str) -> str:
    """The secret with its last character changed: always differs, whatever that character was.

    Replacing it with a fixed letter would leave a secret that already ends in that letter unchanged
    (1 run in 64 for a base64 token), and the test would then flake.
    """
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")
