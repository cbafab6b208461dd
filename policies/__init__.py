"""The institution's social media policy as code, and crisis mode."""
