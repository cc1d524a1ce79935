"""Monday digests for account channels and team leads."""
