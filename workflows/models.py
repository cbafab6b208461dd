"""Models of workflows: the custom task types land here (role, policy, external rounds)."""
