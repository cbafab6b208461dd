"""Network accounts, variants, publications and the scheduler."""
