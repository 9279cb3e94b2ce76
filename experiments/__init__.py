"""alt401k.experiments."""
