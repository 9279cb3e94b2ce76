"""alt401k.model."""
