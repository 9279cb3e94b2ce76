"""alt401k.agents."""
