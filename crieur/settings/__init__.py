"""Settings package: base.py holds everything, the others adjust it per environment."""
